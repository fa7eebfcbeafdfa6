// @ts-nocheck
function stryNS_9fa48() {
  var g = typeof globalThis === 'object' && globalThis && globalThis.Math === Math && globalThis || new Function("return this")();
  var ns = g.__stryker__ || (g.__stryker__ = {});
  if (ns.activeMutant === undefined && g.process && g.process.env && g.process.env.__STRYKER_ACTIVE_MUTANT__) {
    ns.activeMutant = g.process.env.__STRYKER_ACTIVE_MUTANT__;
  }
  function retrieveNS() {
    return ns;
  }
  stryNS_9fa48 = retrieveNS;
  return retrieveNS();
}
stryNS_9fa48();
function stryCov_9fa48() {
  var ns = stryNS_9fa48();
  var cov = ns.mutantCoverage || (ns.mutantCoverage = {
    static: {},
    perTest: {}
  });
  function cover() {
    var c = cov.static;
    if (ns.currentTestId) {
      c = cov.perTest[ns.currentTestId] = cov.perTest[ns.currentTestId] || {};
    }
    var a = arguments;
    for (var i = 0; i < a.length; i++) {
      c[a[i]] = (c[a[i]] || 0) + 1;
    }
  }
  stryCov_9fa48 = cover;
  cover.apply(null, arguments);
}
function stryMutAct_9fa48(id) {
  var ns = stryNS_9fa48();
  function isActive(id) {
    if (ns.activeMutant === id) {
      if (ns.hitCount !== void 0 && ++ns.hitCount > ns.hitLimit) {
        throw new Error('Stryker: Hit count limit reached (' + ns.hitCount + ')');
      }
      return true;
    }
    return false;
  }
  stryMutAct_9fa48 = isActive;
  return isActive(id);
}
import { PoolDepletionError } from "./PoolDepletionError.ts";
import type { AdmissionDecision, AdmissionRequest, BudgetValue, GuardFleetView, PoolBudget, PoolMember, PoolNumbers } from "./types.ts";

/** A budget resolved against a pool size. */
export interface ResolvedBudget {
  /** Members that must stay available. */
  readonly required: number;
  /** Members that must stay schedulable. */
  readonly requiredSchedulable: number;
}
function percentOf(value: `${number}%`): number {
  if (stryMutAct_9fa48("57")) {
    {}
  } else {
    stryCov_9fa48("57");
    const p = Number(stryMutAct_9fa48("58") ? value : (stryCov_9fa48("58"), value.slice(0, stryMutAct_9fa48("59") ? +1 : (stryCov_9fa48("59"), -1))));
    if (stryMutAct_9fa48("62") ? (!Number.isFinite(p) || p < 0) && p > 100 : stryMutAct_9fa48("61") ? false : stryMutAct_9fa48("60") ? true : (stryCov_9fa48("60", "61", "62"), (stryMutAct_9fa48("64") ? !Number.isFinite(p) && p < 0 : stryMutAct_9fa48("63") ? false : (stryCov_9fa48("63", "64"), (stryMutAct_9fa48("65") ? Number.isFinite(p) : (stryCov_9fa48("65"), !Number.isFinite(p))) || (stryMutAct_9fa48("68") ? p >= 0 : stryMutAct_9fa48("67") ? p <= 0 : stryMutAct_9fa48("66") ? false : (stryCov_9fa48("66", "67", "68"), p < 0)))) || (stryMutAct_9fa48("71") ? p <= 100 : stryMutAct_9fa48("70") ? p >= 100 : stryMutAct_9fa48("69") ? false : (stryCov_9fa48("69", "70", "71"), p > 100)))) {
      if (stryMutAct_9fa48("72")) {
        {}
      } else {
        stryCov_9fa48("72");
        throw new RangeError(stryMutAct_9fa48("74") ? `` : (stryCov_9fa48("74"), `budget "${value}": a percent must be between 0% and 100%`));
      }
    }
    return p;
  }
}
function count(value: number, what: string): number {
  if (stryMutAct_9fa48("75")) {
    {}
  } else {
    stryCov_9fa48("75");
    if (stryMutAct_9fa48("78") ? !Number.isInteger(value) && value < 0 : stryMutAct_9fa48("77") ? false : stryMutAct_9fa48("76") ? true : (stryCov_9fa48("76", "77", "78"), (stryMutAct_9fa48("79") ? Number.isInteger(value) : (stryCov_9fa48("79"), !Number.isInteger(value))) || (stryMutAct_9fa48("82") ? value >= 0 : stryMutAct_9fa48("81") ? value <= 0 : stryMutAct_9fa48("80") ? false : (stryCov_9fa48("80", "81", "82"), value < 0)))) {
      if (stryMutAct_9fa48("83")) {
        {}
      } else {
        stryCov_9fa48("83");
        throw new RangeError(stryMutAct_9fa48("85") ? `` : (stryCov_9fa48("85"), `${what} ${value}: a count must be a whole number >= 0`));
      }
    }
    return value;
  }
}

/** A minimum (minAvailable / minSchedulable) as a member count; percent rounds UP. */
function atLeast(value: BudgetValue | undefined, total: number, what: string): number {
  if (stryMutAct_9fa48("86")) {
    {}
  } else {
    stryCov_9fa48("86");
    if (stryMutAct_9fa48("89") ? value !== undefined : stryMutAct_9fa48("88") ? false : stryMutAct_9fa48("87") ? true : (stryCov_9fa48("87", "88", "89"), value === undefined)) return 0;
    if (stryMutAct_9fa48("92") ? typeof value !== "number" : stryMutAct_9fa48("91") ? false : stryMutAct_9fa48("90") ? true : (stryCov_9fa48("90", "91", "92"), typeof value === (stryMutAct_9fa48("93") ? "" : (stryCov_9fa48("93"), "number")))) return count(value, what);
    return Math.ceil(stryMutAct_9fa48("94") ? percentOf(value) * total * 100 : (stryCov_9fa48("94"), (stryMutAct_9fa48("95") ? percentOf(value) / total : (stryCov_9fa48("95"), percentOf(value) * total)) / 100));
  }
}

/**
 * maxUnavailable as a member count. A percent rounds DOWN, so the pool keeps at
 * least the share it asked for; but a non-zero percent of a pool of 2+ members
 * allows at least 1, otherwise "10%" of a 5-node pool could never roll. A pool
 * of one member rounds to 0 unless the percent is 100%.
 */
function atMostUnavailable(value: BudgetValue, total: number): number {
  if (stryMutAct_9fa48("96")) {
    {}
  } else {
    stryCov_9fa48("96");
    if (stryMutAct_9fa48("99") ? typeof value !== "number" : stryMutAct_9fa48("98") ? false : stryMutAct_9fa48("97") ? true : (stryCov_9fa48("97", "98", "99"), typeof value === (stryMutAct_9fa48("100") ? "" : (stryCov_9fa48("100"), "number")))) return count(value, stryMutAct_9fa48("101") ? "" : (stryCov_9fa48("101"), "maxUnavailable"));
    const p = percentOf(value);
    const floor = Math.floor(stryMutAct_9fa48("102") ? p * total * 100 : (stryCov_9fa48("102"), (stryMutAct_9fa48("103") ? p / total : (stryCov_9fa48("103"), p * total)) / 100));
    return (stryMutAct_9fa48("106") ? p > 0 || total >= 2 : stryMutAct_9fa48("105") ? false : stryMutAct_9fa48("104") ? true : (stryCov_9fa48("104", "105", "106"), (stryMutAct_9fa48("109") ? p <= 0 : stryMutAct_9fa48("108") ? p >= 0 : stryMutAct_9fa48("107") ? true : (stryCov_9fa48("107", "108", "109"), p > 0)) && (stryMutAct_9fa48("112") ? total < 2 : stryMutAct_9fa48("111") ? total > 2 : stryMutAct_9fa48("110") ? true : (stryCov_9fa48("110", "111", "112"), total >= 2)))) ? stryMutAct_9fa48("113") ? Math.min(1, floor) : (stryCov_9fa48("113"), Math.max(1, floor)) : floor;
  }
}

/**
 * Resolves a pool's budget against its size. `required` is the stricter of
 * `minAvailable` (percent rounded up) and `total - maxUnavailable` (percent
 * rounded down, at least 1 for a non-zero percent of a pool of 2+).
 *
 * @example
 * resolveBudget({ name: "web", minAvailable: "50%" }, 3).required;   // 2 (1.5 rounds up)
 * resolveBudget({ name: "web", maxUnavailable: "50%" }, 3).required; // 2 (1.5 rounds down to 1 unavailable)
 */
export function resolveBudget(pool: PoolBudget, total: number): ResolvedBudget {
  if (stryMutAct_9fa48("114")) {
    {}
  } else {
    stryCov_9fa48("114");
    const minAvailable = atLeast(pool.minAvailable, total, stryMutAct_9fa48("115") ? "" : (stryCov_9fa48("115"), "minAvailable"));
    const fromMax = (stryMutAct_9fa48("118") ? pool.maxUnavailable !== undefined : stryMutAct_9fa48("117") ? false : stryMutAct_9fa48("116") ? true : (stryCov_9fa48("116", "117", "118"), pool.maxUnavailable === undefined)) ? 0 : stryMutAct_9fa48("119") ? Math.min(0, total - atMostUnavailable(pool.maxUnavailable, total)) : (stryCov_9fa48("119"), Math.max(0, stryMutAct_9fa48("120") ? total + atMostUnavailable(pool.maxUnavailable, total) : (stryCov_9fa48("120"), total - atMostUnavailable(pool.maxUnavailable, total))));
    return stryMutAct_9fa48("121") ? {} : (stryCov_9fa48("121"), {
      required: stryMutAct_9fa48("122") ? Math.min(minAvailable, fromMax) : (stryCov_9fa48("122"), Math.max(minAvailable, fromMax)),
      requiredSchedulable: atLeast(pool.minSchedulable, total, stryMutAct_9fa48("123") ? "" : (stryCov_9fa48("123"), "minSchedulable"))
    });
  }
}

/** The phase of `member` that counts for `pool` (its role phase, else its node phase). */
export function phaseFor(pool: PoolBudget, member: PoolMember): string {
  if (stryMutAct_9fa48("124")) {
    {}
  } else {
    stryCov_9fa48("124");
    if (stryMutAct_9fa48("127") ? pool.role === undefined : stryMutAct_9fa48("126") ? false : stryMutAct_9fa48("125") ? true : (stryCov_9fa48("125", "126", "127"), pool.role !== undefined)) {
      if (stryMutAct_9fa48("128")) {
        {}
      } else {
        stryCov_9fa48("128");
        const rolePhase = stryMutAct_9fa48("129") ? member.roles[pool.role] : (stryCov_9fa48("129"), member.roles?.[pool.role]);
        if (stryMutAct_9fa48("132") ? rolePhase === undefined : stryMutAct_9fa48("131") ? false : stryMutAct_9fa48("130") ? true : (stryCov_9fa48("130", "131", "132"), rolePhase !== undefined)) return rolePhase;
      }
    }
    return member.phase;
  }
}

/**
 * Available: healthy and `active` or `cordoned`. A cordoned member still serves
 * its traffic (Kubernetes semantics), so a cordon does not cost availability;
 * `draining`, `drained`, `failed`, an unhealthy node or any unknown phase does.
 */
export function isAvailable(pool: PoolBudget, member: PoolMember): boolean {
  if (stryMutAct_9fa48("133")) {
    {}
  } else {
    stryCov_9fa48("133");
    if (stryMutAct_9fa48("136") ? member.healthy !== false : stryMutAct_9fa48("135") ? false : stryMutAct_9fa48("134") ? true : (stryCov_9fa48("134", "135", "136"), member.healthy === (stryMutAct_9fa48("137") ? true : (stryCov_9fa48("137"), false)))) return stryMutAct_9fa48("138") ? true : (stryCov_9fa48("138"), false);
    const phase = phaseFor(pool, member);
    return stryMutAct_9fa48("141") ? phase === "active" && phase === "cordoned" : stryMutAct_9fa48("140") ? false : stryMutAct_9fa48("139") ? true : (stryCov_9fa48("139", "140", "141"), (stryMutAct_9fa48("143") ? phase !== "active" : stryMutAct_9fa48("142") ? false : (stryCov_9fa48("142", "143"), phase === (stryMutAct_9fa48("144") ? "" : (stryCov_9fa48("144"), "active")))) || (stryMutAct_9fa48("146") ? phase !== "cordoned" : stryMutAct_9fa48("145") ? false : (stryCov_9fa48("145", "146"), phase === (stryMutAct_9fa48("147") ? "" : (stryCov_9fa48("147"), "cordoned")))));
  }
}

/** Schedulable: healthy and `active` (takes new placements). */
export function isSchedulable(pool: PoolBudget, member: PoolMember): boolean {
  if (stryMutAct_9fa48("148")) {
    {}
  } else {
    stryCov_9fa48("148");
    return stryMutAct_9fa48("151") ? member.healthy !== false || phaseFor(pool, member) === "active" : stryMutAct_9fa48("150") ? false : stryMutAct_9fa48("149") ? true : (stryCov_9fa48("149", "150", "151"), (stryMutAct_9fa48("153") ? member.healthy === false : stryMutAct_9fa48("152") ? true : (stryCov_9fa48("152", "153"), member.healthy !== (stryMutAct_9fa48("154") ? true : (stryCov_9fa48("154"), false)))) && (stryMutAct_9fa48("156") ? phaseFor(pool, member) !== "active" : stryMutAct_9fa48("155") ? true : (stryCov_9fa48("155", "156"), phaseFor(pool, member) === (stryMutAct_9fa48("157") ? "" : (stryCov_9fa48("157"), "active")))));
  }
}

/** The nodes a request names, as a set. */
export function requestNodes(request: AdmissionRequest): ReadonlySet<string> {
  if (stryMutAct_9fa48("158")) {
    {}
  } else {
    stryCov_9fa48("158");
    return new Set((stryMutAct_9fa48("161") ? typeof request.node !== "string" : stryMutAct_9fa48("160") ? false : stryMutAct_9fa48("159") ? true : (stryCov_9fa48("159", "160", "161"), typeof request.node === (stryMutAct_9fa48("162") ? "" : (stryCov_9fa48("162"), "string")))) ? stryMutAct_9fa48("163") ? [] : (stryCov_9fa48("163"), [request.node]) : request.node);
  }
}

/** Counts a pool's numbers before and after `request`. */
export function poolNumbers(pool: PoolBudget, fleet: GuardFleetView, request: AdmissionRequest): PoolNumbers {
  if (stryMutAct_9fa48("164")) {
    {}
  } else {
    stryCov_9fa48("164");
    return countPools(stryMutAct_9fa48("165") ? [] : (stryCov_9fa48("165"), [pool]), fleet, request)[0]!;
  }
}
interface Tally {
  total: number;
  available: number;
  availableAfter: number;
  schedulable: number;
  schedulableAfter: number;
  drainsInFlight: number;
}

/** Every pool's numbers in one pass over the fleet, so a large fleet with many pools costs O(nodes). */
function countPools(pools: readonly PoolBudget[], fleet: GuardFleetView, request: AdmissionRequest): PoolNumbers[] {
  if (stryMutAct_9fa48("166")) {
    {}
  } else {
    stryCov_9fa48("166");
    const targets = requestNodes(request);
    const tallies = new Map<string, {
      pool: PoolBudget;
      tally: Tally;
    }>();
    for (const pool of pools) tallies.set(pool.name, stryMutAct_9fa48("168") ? {} : (stryCov_9fa48("168"), {
      pool,
      tally: stryMutAct_9fa48("169") ? {} : (stryCov_9fa48("169"), {
        total: 0,
        available: 0,
        availableAfter: 0,
        schedulable: 0,
        schedulableAfter: 0,
        drainsInFlight: 0
      })
    }));
    for (const member of fleet.nodes) {
      if (stryMutAct_9fa48("170")) {
        {}
      } else {
        stryCov_9fa48("170");
        for (const name of member.pools) {
          if (stryMutAct_9fa48("171")) {
            {}
          } else {
            stryCov_9fa48("171");
            const entry = tallies.get(name);
            if (stryMutAct_9fa48("174") ? entry !== undefined : stryMutAct_9fa48("173") ? false : stryMutAct_9fa48("172") ? true : (stryCov_9fa48("172", "173", "174"), entry === undefined)) continue;
            const {
              pool,
              tally
            } = entry;
            const isTarget = targets.has(member.id);
            stryMutAct_9fa48("175") ? tally.total-- : (stryCov_9fa48("175"), tally.total++);
            if (stryMutAct_9fa48("178") ? phaseFor(pool, member) !== "draining" : stryMutAct_9fa48("177") ? false : stryMutAct_9fa48("176") ? true : (stryCov_9fa48("176", "177", "178"), phaseFor(pool, member) === (stryMutAct_9fa48("179") ? "" : (stryCov_9fa48("179"), "draining")))) stryMutAct_9fa48("180") ? tally.drainsInFlight-- : (stryCov_9fa48("180"), tally.drainsInFlight++);
            if (stryMutAct_9fa48("182") ? false : stryMutAct_9fa48("181") ? true : (stryCov_9fa48("181", "182"), isAvailable(pool, member))) {
              if (stryMutAct_9fa48("183")) {
                {}
              } else {
                stryCov_9fa48("183");
                stryMutAct_9fa48("184") ? tally.available-- : (stryCov_9fa48("184"), tally.available++);
                if (stryMutAct_9fa48("187") ? false : stryMutAct_9fa48("186") ? true : stryMutAct_9fa48("185") ? isTarget && request.kind === "drain" : (stryCov_9fa48("185", "186", "187"), !(stryMutAct_9fa48("190") ? isTarget || request.kind === "drain" : stryMutAct_9fa48("189") ? false : stryMutAct_9fa48("188") ? true : (stryCov_9fa48("188", "189", "190"), isTarget && (stryMutAct_9fa48("192") ? request.kind !== "drain" : stryMutAct_9fa48("191") ? true : (stryCov_9fa48("191", "192"), request.kind === (stryMutAct_9fa48("193") ? "" : (stryCov_9fa48("193"), "drain")))))))) stryMutAct_9fa48("194") ? tally.availableAfter-- : (stryCov_9fa48("194"), tally.availableAfter++);
              }
            }
            if (stryMutAct_9fa48("196") ? false : stryMutAct_9fa48("195") ? true : (stryCov_9fa48("195", "196"), isSchedulable(pool, member))) {
              if (stryMutAct_9fa48("197")) {
                {}
              } else {
                stryCov_9fa48("197");
                stryMutAct_9fa48("198") ? tally.schedulable-- : (stryCov_9fa48("198"), tally.schedulable++);
                if (stryMutAct_9fa48("201") ? false : stryMutAct_9fa48("200") ? true : stryMutAct_9fa48("199") ? isTarget : (stryCov_9fa48("199", "200", "201"), !isTarget)) stryMutAct_9fa48("202") ? tally.schedulableAfter-- : (stryCov_9fa48("202"), tally.schedulableAfter++);
              }
            }
          }
        }
      }
    }
    return pools.map(pool => {
      if (stryMutAct_9fa48("203")) {
        {}
      } else {
        stryCov_9fa48("203");
        const t = tallies.get(pool.name)!.tally;
        const {
          required,
          requiredSchedulable
        } = resolveBudget(pool, t.total);
        return stryMutAct_9fa48("204") ? {} : (stryCov_9fa48("204"), {
          pool: pool.name,
          ...t,
          required,
          requiredSchedulable
        });
      }
    });
  }
}

/**
 * The bound `numbers` break, if any. A request that does not make a bound worse
 * (re-draining a draining node, cordoning a cordoned one) never breaks it, so
 * retries stay idempotent even when the pool is already short.
 */
export function breachOf(numbers: PoolNumbers, nodes: readonly string[]): PoolDepletionError | undefined {
  if (stryMutAct_9fa48("205")) {
    {}
  } else {
    stryCov_9fa48("205");
    const broken = stryMutAct_9fa48("206") ? () => undefined : (stryCov_9fa48("206"), (() => {
      const broken = (bound: "available" | "schedulable", available: number, required: number, availableAfter: number): PoolDepletionError | undefined => (stryMutAct_9fa48("209") ? availableAfter < available || availableAfter < required : stryMutAct_9fa48("208") ? false : stryMutAct_9fa48("207") ? true : (stryCov_9fa48("207", "208", "209"), (stryMutAct_9fa48("212") ? availableAfter >= available : stryMutAct_9fa48("211") ? availableAfter <= available : stryMutAct_9fa48("210") ? true : (stryCov_9fa48("210", "211", "212"), availableAfter < available)) && (stryMutAct_9fa48("215") ? availableAfter >= required : stryMutAct_9fa48("214") ? availableAfter <= required : stryMutAct_9fa48("213") ? true : (stryCov_9fa48("213", "214", "215"), availableAfter < required)))) ? new PoolDepletionError(stryMutAct_9fa48("216") ? {} : (stryCov_9fa48("216"), {
        pool: numbers.pool,
        available,
        required,
        drainsInFlight: numbers.drainsInFlight,
        availableAfter,
        bound,
        nodes
      })) : undefined;
      return broken;
    })());
    return stryMutAct_9fa48("217") ? broken("available", numbers.available, numbers.required, numbers.availableAfter) && broken("schedulable", numbers.schedulable, numbers.requiredSchedulable, numbers.schedulableAfter) : (stryCov_9fa48("217"), broken(stryMutAct_9fa48("218") ? "" : (stryCov_9fa48("218"), "available"), numbers.available, numbers.required, numbers.availableAfter) ?? broken(stryMutAct_9fa48("219") ? "" : (stryCov_9fa48("219"), "schedulable"), numbers.schedulable, numbers.requiredSchedulable, numbers.schedulableAfter));
  }
}

/**
 * Decides whether `request` may take its node(s) out of `pool`. Pure and
 * synchronous, so a store can run it inside the transaction that writes the
 * drain: two operators then cannot both take the last spare node.
 *
 * Nodes that are not members of `pool` are ignored (the pool is allowed).
 *
 * @example
 * const pool = { name: "web", minAvailable: 2 };
 * const fleet = { nodes: [
 *   { id: "a", pools: ["web"], phase: "active" },
 *   { id: "b", pools: ["web"], phase: "active" },
 *   { id: "c", pools: ["web"], phase: "draining" },
 * ] };
 * const d = admit(pool, fleet, { kind: "drain", node: "a" });
 * // d.outcome === "refused"; d.error.details → { available: 2, required: 2, drainsInFlight: 1, ... }
 */
export function admit(pool: PoolBudget, fleet: GuardFleetView, request: AdmissionRequest): AdmissionDecision {
  if (stryMutAct_9fa48("220")) {
    {}
  } else {
    stryCov_9fa48("220");
    return decide(stryMutAct_9fa48("221") ? [] : (stryCov_9fa48("221"), [pool]), fleet, request);
  }
}

/** Admission across several pools: refused when any pool refuses. */
export function decide(pools: readonly PoolBudget[], fleet: GuardFleetView, request: AdmissionRequest): AdmissionDecision {
  if (stryMutAct_9fa48("222")) {
    {}
  } else {
    stryCov_9fa48("222");
    const nodes = stryMutAct_9fa48("223") ? [] : (stryCov_9fa48("223"), [...requestNodes(request)]);
    const numbers = countPools(pools, fleet, request);
    const breaches: PoolNumbers[] = stryMutAct_9fa48("224") ? ["Stryker was here"] : (stryCov_9fa48("224"), []);
    let first: PoolDepletionError | undefined;
    for (const n of numbers) {
      if (stryMutAct_9fa48("225")) {
        {}
      } else {
        stryCov_9fa48("225");
        const breach = breachOf(n, nodes);
        if (stryMutAct_9fa48("228") ? breach === undefined : stryMutAct_9fa48("227") ? false : stryMutAct_9fa48("226") ? true : (stryCov_9fa48("226", "227", "228"), breach !== undefined)) {
          if (stryMutAct_9fa48("229")) {
            {}
          } else {
            stryCov_9fa48("229");
            if (stryMutAct_9fa48("230")) {
              ;
            } else {
              stryCov_9fa48("230");
              breaches.push(n);
            }
            stryMutAct_9fa48("231") ? first &&= breach : (stryCov_9fa48("231"), first ??= breach);
          }
        }
      }
    }
    if (stryMutAct_9fa48("234") ? first !== undefined : stryMutAct_9fa48("233") ? false : stryMutAct_9fa48("232") ? true : (stryCov_9fa48("232", "233", "234"), first === undefined)) return stryMutAct_9fa48("235") ? {} : (stryCov_9fa48("235"), {
      outcome: stryMutAct_9fa48("236") ? "" : (stryCov_9fa48("236"), "allowed"),
      forced: stryMutAct_9fa48("237") ? true : (stryCov_9fa48("237"), false),
      pools: numbers
    });
    // A force without a reason is no override: the audit trail must say why.
    if (stryMutAct_9fa48("240") ? request.force !== undefined || request.force.reason.trim() !== "" : stryMutAct_9fa48("239") ? false : stryMutAct_9fa48("238") ? true : (stryCov_9fa48("238", "239", "240"), (stryMutAct_9fa48("242") ? request.force === undefined : stryMutAct_9fa48("241") ? true : (stryCov_9fa48("241", "242"), request.force !== undefined)) && (stryMutAct_9fa48("244") ? request.force.reason.trim() === "" : stryMutAct_9fa48("243") ? true : (stryCov_9fa48("243", "244"), (stryMutAct_9fa48("245") ? request.force.reason : (stryCov_9fa48("245"), request.force.reason.trim())) !== (stryMutAct_9fa48("246") ? "Stryker was here!" : (stryCov_9fa48("246"), "")))))) {
      if (stryMutAct_9fa48("247")) {
        {}
      } else {
        stryCov_9fa48("247");
        return stryMutAct_9fa48("248") ? {} : (stryCov_9fa48("248"), {
          outcome: stryMutAct_9fa48("249") ? "" : (stryCov_9fa48("249"), "allowed"),
          forced: stryMutAct_9fa48("250") ? false : (stryCov_9fa48("250"), true),
          reason: request.force.reason,
          breaches,
          pools: numbers
        });
      }
    }
    return stryMutAct_9fa48("251") ? {} : (stryCov_9fa48("251"), {
      outcome: (stryMutAct_9fa48("254") ? request.queue !== true : stryMutAct_9fa48("253") ? false : stryMutAct_9fa48("252") ? true : (stryCov_9fa48("252", "253", "254"), request.queue === (stryMutAct_9fa48("255") ? false : (stryCov_9fa48("255"), true)))) ? stryMutAct_9fa48("256") ? "" : (stryCov_9fa48("256"), "queued") : stryMutAct_9fa48("257") ? "" : (stryCov_9fa48("257"), "refused"),
      error: first,
      pools: numbers
    });
  }
}