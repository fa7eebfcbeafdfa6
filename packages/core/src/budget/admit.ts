import { PoolDepletionError } from "./PoolDepletionError.ts";
import type {
  AdmissionDecision,
  AdmissionRequest,
  BudgetValue,
  GuardFleetView,
  GuardPoolCounts,
  PoolBudget,
  PoolMember,
  PoolNumbers,
} from "./types.ts";

/** A budget resolved against a pool size. */
export interface ResolvedBudget {
  /** Members that must stay available. */
  readonly required: number;
  /** Members that must stay schedulable. */
  readonly requiredSchedulable: number;
}

function percentOf(value: `${number}%`): number {
  const p = Number(value.slice(0, -1));
  if (!Number.isFinite(p) || p < 0 || p > 100) {
    throw new RangeError(`budget "${value}": a percent must be between 0% and 100%`);
  }
  return p;
}

function count(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${what} ${value}: a count must be a whole number >= 0`);
  }
  return value;
}

/** A minimum (minAvailable / minSchedulable) as a member count; percent rounds UP. */
function atLeast(value: BudgetValue | undefined, total: number, what: string): number {
  if (value === undefined) return 0;
  if (typeof value === "number") return count(value, what);
  return Math.ceil((percentOf(value) * total) / 100);
}

/**
 * maxUnavailable as a member count. A percent rounds DOWN, so the pool keeps at
 * least the share it asked for; but a non-zero percent of a pool of 2+ members
 * allows at least 1, otherwise "10%" of a 5-node pool could never roll. A pool
 * of one member rounds to 0 unless the percent is 100%.
 */
function atMostUnavailable(value: BudgetValue, total: number): number {
  if (typeof value === "number") return count(value, "maxUnavailable");
  const p = percentOf(value);
  const floor = Math.floor((p * total) / 100);
  return p > 0 && total >= 2 ? Math.max(1, floor) : floor;
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
  const minAvailable = atLeast(pool.minAvailable, total, "minAvailable");
  const fromMax = pool.maxUnavailable === undefined ? 0 : Math.max(0, total - atMostUnavailable(pool.maxUnavailable, total));
  return {
    required: Math.max(minAvailable, fromMax),
    requiredSchedulable: atLeast(pool.minSchedulable, total, "minSchedulable"),
  };
}

/** The phase of `member` that counts for `pool` (its role phase, else its node phase). */
export function phaseFor(pool: PoolBudget, member: PoolMember): string {
  if (pool.role !== undefined) {
    const rolePhase = member.roles?.[pool.role];
    if (rolePhase !== undefined) return rolePhase;
  }
  return member.phase;
}

/**
 * Available: healthy and `active` or `cordoned`. A cordoned member still serves
 * its traffic (Kubernetes semantics), so a cordon does not cost availability;
 * `draining`, `drained`, `failed`, an unhealthy node or any unknown phase does.
 */
export function isAvailable(pool: PoolBudget, member: PoolMember): boolean {
  if (member.healthy === false) return false;
  const phase = phaseFor(pool, member);
  return phase === "active" || phase === "cordoned";
}

/** Schedulable: healthy and `active` (takes new placements). */
export function isSchedulable(pool: PoolBudget, member: PoolMember): boolean {
  return member.healthy !== false && phaseFor(pool, member) === "active";
}

/** The nodes a request names, as a set. */
export function requestNodes(request: AdmissionRequest): ReadonlySet<string> {
  return new Set(typeof request.node === "string" ? [request.node] : request.node);
}

/** Counts a pool's numbers before and after `request`. */
export function poolNumbers(pool: PoolBudget, fleet: GuardFleetView, request: AdmissionRequest): PoolNumbers {
  return countPools([pool], fleet, request, requestNodes(request))[0]!;
}

interface Tally {
  total: number;
  available: number;
  availableAfter: number;
  schedulable: number;
  schedulableAfter: number;
  drainsInFlight: number;
}

/**
 * Every pool's numbers in one pass over the fleet, so a large fleet with many
 * pools costs O(nodes). Reads each member's phase once per pool and its
 * target-ness once per member (same counts as {@link isAvailable} /
 * {@link isSchedulable}, without the repeated look-ups).
 */
function countPools(pools: readonly PoolBudget[], fleet: GuardFleetView, request: AdmissionRequest, targets: ReadonlySet<string>): PoolNumbers[] {
  const drain = request.kind === "drain";
  const tallies = new Map<string, { pool: PoolBudget; tally: Tally }>();
  for (const pool of pools) tallies.set(pool.name, { pool, tally: { total: 0, available: 0, availableAfter: 0, schedulable: 0, schedulableAfter: 0, drainsInFlight: 0 } });
  for (const member of fleet.nodes) {
    let isTarget: boolean | undefined;
    const healthy = member.healthy !== false;
    for (const name of member.pools) {
      const entry = tallies.get(name);
      if (entry === undefined) continue;
      const { pool, tally } = entry;
      isTarget ??= targets.has(member.id);
      tally.total++;
      const phase = phaseFor(pool, member);
      if (phase === "draining") tally.drainsInFlight++;
      if (!healthy) continue;
      if (phase === "active") {
        tally.available++;
        if (!(isTarget && drain)) tally.availableAfter++;
        tally.schedulable++;
        if (!isTarget) tally.schedulableAfter++;
      } else if (phase === "cordoned") {
        tally.available++;
        if (!(isTarget && drain)) tally.availableAfter++;
      }
    }
  }
  return pools.map((pool) => {
    const t = tallies.get(pool.name)!.tally;
    const { required, requiredSchedulable } = resolveBudget(pool, t.total);
    return { pool: pool.name, ...t, required, requiredSchedulable };
  });
}

/**
 * The same numbers as {@link countPools}, from counts the view's holder keeps
 * (`fleet.counts`): each pool's tally, less what the request's own nodes
 * would take away. Undefined when a pool's counts are not kept (or a name
 * repeats among `pools`): then the caller counts the members.
 */
function fromCounts(pools: readonly PoolBudget[], counts: GuardPoolCounts, request: AdmissionRequest, targets: ReadonlySet<string>): PoolNumbers[] | undefined {
  const drain = request.kind === "drain";
  const members: PoolMember[] = [];
  for (const id of targets) {
    const m = counts.member(id);
    if (m !== undefined) members.push(m);
  }
  const out: PoolNumbers[] = [];
  const seen = pools.length > 1 ? new Set<string>() : undefined;
  for (const pool of pools) {
    if (seen !== undefined) {
      if (seen.has(pool.name)) return undefined;
      seen.add(pool.name);
    }
    const t = counts.tally(pool);
    if (t === undefined) return undefined;
    let availableAfter = t.available;
    let schedulableAfter = t.schedulable;
    for (const m of members) {
      if (m.healthy === false) continue;
      // Once per time the member lists the pool, as a pass over the members counts it.
      for (const name of m.pools) {
        if (name !== pool.name) continue;
        const phase = phaseFor(pool, m);
        if (phase === "active") {
          if (drain) availableAfter--;
          schedulableAfter--;
        } else if (phase === "cordoned" && drain) availableAfter--;
      }
    }
    const { required, requiredSchedulable } = resolveBudget(pool, t.total);
    out.push({
      pool: pool.name,
      total: t.total,
      available: t.available,
      availableAfter,
      schedulable: t.schedulable,
      schedulableAfter,
      drainsInFlight: t.drainsInFlight,
      required,
      requiredSchedulable,
    });
  }
  return out;
}

/**
 * The bound `numbers` break, if any. A request that does not make a bound worse
 * (re-draining a draining node, cordoning a cordoned one) never breaks it, so
 * retries stay idempotent even when the pool is already short.
 */
export function breachOf(numbers: PoolNumbers, nodes: readonly string[]): PoolDepletionError | undefined {
  const broken = (bound: "available" | "schedulable", available: number, required: number, availableAfter: number): PoolDepletionError | undefined =>
    availableAfter < available && availableAfter < required
      ? new PoolDepletionError({ pool: numbers.pool, available, required, drainsInFlight: numbers.drainsInFlight, availableAfter, bound, nodes })
      : undefined;
  return (
    broken("available", numbers.available, numbers.required, numbers.availableAfter) ??
    broken("schedulable", numbers.schedulable, numbers.requiredSchedulable, numbers.schedulableAfter)
  );
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
  return decide([pool], fleet, request);
}

/** Admission across several pools: refused when any pool refuses. */
export function decide(pools: readonly PoolBudget[], fleet: GuardFleetView, request: AdmissionRequest): AdmissionDecision {
  const targets = requestNodes(request);
  const nodes = [...targets];
  const numbers = (fleet.counts === undefined ? undefined : fromCounts(pools, fleet.counts, request, targets)) ?? countPools(pools, fleet, request, targets);
  const breaches: PoolNumbers[] = [];
  let first: PoolDepletionError | undefined;
  for (const n of numbers) {
    const breach = breachOf(n, nodes);
    if (breach !== undefined) {
      breaches.push(n);
      first ??= breach;
    }
  }
  if (first === undefined) return { outcome: "allowed", forced: false, pools: numbers };
  // A force without a reason is no override: the audit trail must say why.
  if (request.force !== undefined && request.force.reason.trim() !== "") {
    return { outcome: "allowed", forced: true, reason: request.force.reason, breaches, pools: numbers };
  }
  return { outcome: request.queue === true ? "queued" : "refused", error: first, pools: numbers };
}
