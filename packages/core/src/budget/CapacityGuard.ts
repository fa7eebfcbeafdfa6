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
  /** Where each name appears in `pools`, so picking a node's budgets costs O(its pools), not O(all pools). */
  readonly #positions: ReadonlyMap<string, readonly number[]>;
  readonly #forced: Counter;
  readonly #admissions: Counter;

  constructor(options: CapacityGuardOptions) {
    this.pools = options.pools;
    this.#byName = new Map(options.pools.map((p) => [p.name, p]));
    const positions = new Map<string, number[]>();
    options.pools.forEach((p, i) => {
      const at = positions.get(p.name);
      if (at === undefined) positions.set(p.name, [i]);
      else at.push(i);
    });
    this.#positions = positions;
    const metrics = options.metrics ?? noopMetrics;
    this.#forced = metrics.counter("pool_forced_breaches_total", "Drains or cordons an admin forced through a pool budget.");
    this.#admissions = metrics.counter("pool_admissions_total", "Capacity guard decisions by outcome.");
  }

  /** The budget named `name`, if any. */
  pool(name: string): PoolBudget | undefined {
    return this.#byName.get(name);
  }

  /**
   * The budgets of the pools `member` belongs to: of `budgets` when given
   * (budgets read from a store at decision time), else the guard's own.
   */
  poolsOf(member: { readonly pools: readonly string[] }, budgets?: readonly PoolBudget[]): PoolBudget[] {
    if (budgets !== undefined) return budgets.filter((b) => member.pools.includes(b.name));
    const out: PoolBudget[] = [];
    for (const name of member.pools) {
      const pool = this.#byName.get(name);
      if (pool !== undefined) out.push(pool);
    }
    return out;
  }

  /**
   * Admits `request` against every pool its node(s) belong to, by `budgets`
   * when given (budgets read from a store at decision time), else by the
   * guard's own.
   */
  admit(fleet: GuardFleetView, request: AdmissionRequest, budgets: readonly PoolBudget[] = this.pools): AdmissionDecision {
    const own = budgets === this.pools;
    const declared = own ? this.#byName : new Set(budgets.map((b) => b.name));
    const names = new Set<string>();
    const counts = fleet.counts;
    if (counts !== undefined) {
      // The holder keeps the members by id: no pass over the fleet to find the request's nodes.
      for (const id of typeof request.node === "string" ? [request.node] : request.node) {
        const member = counts.member(id);
        if (member !== undefined) for (const p of member.pools) if (declared.has(p)) names.add(p);
      }
    } else if (typeof request.node === "string") {
      const one = request.node;
      for (const member of fleet.nodes) if (member.id === one) for (const p of member.pools) if (declared.has(p)) names.add(p);
    } else {
      const targets = new Set(request.node);
      for (const member of fleet.nodes) if (targets.has(member.id)) for (const p of member.pools) if (declared.has(p)) names.add(p);
    }
    const pools = names.size === 0 ? [] : own ? this.#inOrder(names) : budgets.filter((p) => names.has(p.name));
    const decision = decide(pools, fleet, request);
    this.#admissions.inc({ outcome: decision.outcome === "allowed" && decision.forced ? "forced" : decision.outcome });
    if (decision.outcome === "allowed" && decision.forced) {
      for (const b of decision.breaches) this.#forced.inc({ pool: b.pool });
    }
    return decision;
  }

  /** The guard's budgets named in `names`, in the order of `pools` (as `pools.filter` would give them). */
  #inOrder(names: ReadonlySet<string>): PoolBudget[] {
    const at: number[] = [];
    for (const name of names) for (const i of this.#positions.get(name)!) at.push(i);
    if (at.length > 1) at.sort((a, b) => a - b);
    return at.map((i) => this.pools[i]!);
  }
}
