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
import type { Counter, Metrics } from "../ports/metrics.ts";
import { noopMetrics } from "../ports/metrics.ts";
import { decide } from "./admit.ts";
import type { AdmissionDecision, AdmissionRequest, GuardFleetView, PoolBudget } from "./types.ts";

/** Options of {@link CapacityGuard}. */
export interface CapacityGuardOptions {
  /** The pool budgets; a node in no listed pool is never refused. */
  readonly pools: readonly PoolBudget[];
  /** Counts `pool_forced_breaches_total{pool}` and `pool_admissions_total{pool?,outcome}`. */
  readonly metrics?: Metrics;
}

/**
 * The capacity guard over every pool: admits a request against each pool its
 * node(s) belong to, and counts forced breaches. Deterministic and synchronous;
 * the only side effect is the metrics it is given.
 *
 * @example
 * const guard = new CapacityGuard({ pools: [{ name: "web", maxUnavailable: 1 }] });
 * const d = guard.admit(fleet, { kind: "drain", node: "web-3", queue: true });
 * if (d.outcome !== "allowed") console.log(d.error.details); // {pool, available, required, drainsInFlight, ...}
 */
export class CapacityGuard {
  readonly pools: readonly PoolBudget[];
  readonly #byName: ReadonlyMap<string, PoolBudget>;
  readonly #forced: Counter;
  readonly #admissions: Counter;
  constructor(options: CapacityGuardOptions) {
    if (stryMutAct_9fa48("0")) {
      {}
    } else {
      stryCov_9fa48("0");
      this.pools = options.pools;
      this.#byName = new Map(options.pools.map(stryMutAct_9fa48("1") ? () => undefined : (stryCov_9fa48("1"), p => stryMutAct_9fa48("2") ? [] : (stryCov_9fa48("2"), [p.name, p]))));
      const metrics = stryMutAct_9fa48("3") ? options.metrics && noopMetrics : (stryCov_9fa48("3"), options.metrics ?? noopMetrics);
      this.#forced = metrics.counter(stryMutAct_9fa48("4") ? "" : (stryCov_9fa48("4"), "pool_forced_breaches_total"), stryMutAct_9fa48("5") ? "" : (stryCov_9fa48("5"), "Drains or cordons an admin forced through a pool budget."));
      this.#admissions = metrics.counter(stryMutAct_9fa48("6") ? "" : (stryCov_9fa48("6"), "pool_admissions_total"), stryMutAct_9fa48("7") ? "" : (stryCov_9fa48("7"), "Capacity guard decisions by outcome."));
    }
  }

  /** The budget named `name`, if any. */
  pool(name: string): PoolBudget | undefined {
    if (stryMutAct_9fa48("8")) {
      {}
    } else {
      stryCov_9fa48("8");
      return this.#byName.get(name);
    }
  }

  /**
   * The budgets of the pools `member` belongs to: of `budgets` when given
   * (budgets read from a store at decision time), else the guard's own.
   */
  poolsOf(member: {
    readonly pools: readonly string[];
  }, budgets?: readonly PoolBudget[]): PoolBudget[] {
    if (stryMutAct_9fa48("9")) {
      {}
    } else {
      stryCov_9fa48("9");
      if (stryMutAct_9fa48("12") ? budgets === undefined : stryMutAct_9fa48("11") ? false : stryMutAct_9fa48("10") ? true : (stryCov_9fa48("10", "11", "12"), budgets !== undefined)) return stryMutAct_9fa48("13") ? budgets : (stryCov_9fa48("13"), budgets.filter(stryMutAct_9fa48("14") ? () => undefined : (stryCov_9fa48("14"), b => member.pools.includes(b.name))));
      const out: PoolBudget[] = stryMutAct_9fa48("15") ? ["Stryker was here"] : (stryCov_9fa48("15"), []);
      for (const name of member.pools) {
        if (stryMutAct_9fa48("16")) {
          {}
        } else {
          stryCov_9fa48("16");
          const pool = this.#byName.get(name);
          if (stryMutAct_9fa48("19") ? pool === undefined : stryMutAct_9fa48("18") ? false : stryMutAct_9fa48("17") ? true : (stryCov_9fa48("17", "18", "19"), pool !== undefined)) if (stryMutAct_9fa48("20")) {
            ;
          } else {
            stryCov_9fa48("20");
            out.push(pool);
          }
        }
      }
      return out;
    }
  }

  /**
   * Admits `request` against every pool its node(s) belong to, by `budgets`
   * when given (budgets read from a store at decision time), else by the
   * guard's own.
   */
  admit(fleet: GuardFleetView, request: AdmissionRequest, budgets: readonly PoolBudget[] = this.pools): AdmissionDecision {
    if (stryMutAct_9fa48("21")) {
      {}
    } else {
      stryCov_9fa48("21");
      const targets = new Set((stryMutAct_9fa48("24") ? typeof request.node !== "string" : stryMutAct_9fa48("23") ? false : stryMutAct_9fa48("22") ? true : (stryCov_9fa48("22", "23", "24"), typeof request.node === (stryMutAct_9fa48("25") ? "" : (stryCov_9fa48("25"), "string")))) ? stryMutAct_9fa48("26") ? [] : (stryCov_9fa48("26"), [request.node]) : request.node);
      const declared = (stryMutAct_9fa48("29") ? budgets !== this.pools : stryMutAct_9fa48("28") ? false : stryMutAct_9fa48("27") ? true : (stryCov_9fa48("27", "28", "29"), budgets === this.pools)) ? this.#byName : new Set(budgets.map(stryMutAct_9fa48("30") ? () => undefined : (stryCov_9fa48("30"), b => b.name)));
      const names = new Set<string>();
      for (const member of fleet.nodes) {
        if (stryMutAct_9fa48("31")) {
          {}
        } else {
          stryCov_9fa48("31");
          if (stryMutAct_9fa48("33") ? false : stryMutAct_9fa48("32") ? true : (stryCov_9fa48("32", "33"), targets.has(member.id))) for (const p of member.pools) if (stryMutAct_9fa48("35") ? false : stryMutAct_9fa48("34") ? true : (stryCov_9fa48("34", "35"), declared.has(p))) if (stryMutAct_9fa48("36")) {
            ;
          } else {
            stryCov_9fa48("36");
            names.add(p);
          }
        }
      }
      const pools = stryMutAct_9fa48("37") ? budgets : (stryCov_9fa48("37"), budgets.filter(stryMutAct_9fa48("38") ? () => undefined : (stryCov_9fa48("38"), p => names.has(p.name))));
      const decision = decide(pools, fleet, request);
      this.#admissions.inc(stryMutAct_9fa48("40") ? {} : (stryCov_9fa48("40"), {
        outcome: (stryMutAct_9fa48("43") ? decision.outcome === "allowed" || decision.forced : stryMutAct_9fa48("42") ? false : stryMutAct_9fa48("41") ? true : (stryCov_9fa48("41", "42", "43"), (stryMutAct_9fa48("45") ? decision.outcome !== "allowed" : stryMutAct_9fa48("44") ? true : (stryCov_9fa48("44", "45"), decision.outcome === (stryMutAct_9fa48("46") ? "" : (stryCov_9fa48("46"), "allowed")))) && decision.forced)) ? stryMutAct_9fa48("47") ? "" : (stryCov_9fa48("47"), "forced") : decision.outcome
      }));
      if (stryMutAct_9fa48("50") ? decision.outcome === "allowed" || decision.forced : stryMutAct_9fa48("49") ? false : stryMutAct_9fa48("48") ? true : (stryCov_9fa48("48", "49", "50"), (stryMutAct_9fa48("52") ? decision.outcome !== "allowed" : stryMutAct_9fa48("51") ? true : (stryCov_9fa48("51", "52"), decision.outcome === (stryMutAct_9fa48("53") ? "" : (stryCov_9fa48("53"), "allowed")))) && decision.forced)) {
        if (stryMutAct_9fa48("54")) {
          {}
        } else {
          stryCov_9fa48("54");
          for (const b of decision.breaches) this.#forced.inc(stryMutAct_9fa48("56") ? {} : (stryCov_9fa48("56"), {
            pool: b.pool
          }));
        }
      }
      return decision;
    }
  }
}