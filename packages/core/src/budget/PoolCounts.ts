import { phaseFor } from "./admit.ts";
import type { GuardPoolCounts, PoolBudget, PoolMember, PoolTally } from "./types.ts";

interface MutableTally {
  total: number;
  available: number;
  schedulable: number;
  drainsInFlight: number;
}

/**
 * Each pool's member counts (total, available, schedulable, draining), kept
 * up to date as members change instead of counted from the whole fleet on
 * every admission. Counts by the guard's own rule (a member's phase for the
 * pool's role, its health), the same as a fresh count over the members; hand
 * it to {@link CapacityGuard.admit} as the view's `counts` and an admission
 * costs O(the request's nodes × their pools), not O(pool size).
 *
 * The holder keeps it current: {@link set} every member when it changes (or
 * first appears), {@link delete} it when it leaves. Members are kept by id:
 * the fleet view it stands for must not list an id twice.
 *
 * @example
 * const counts = new PoolCounts(pools);
 * for (const m of fleet.nodes) counts.set(m);
 * counts.set({ ...m, phase: "draining" }); // one member changed
 * guard.admit({ nodes: fleet.nodes, counts }, { kind: "drain", node: "web-3" });
 */
export class PoolCounts implements GuardPoolCounts {
  /** The budget each counted pool name was counted for (its role decides which phase counts). */
  readonly #budgets = new Map<string, PoolBudget>();
  readonly #tallies = new Map<string, MutableTally>();
  readonly #members = new Map<string, PoolMember>();

  /** Counts for `pools` (by name; the last budget of a repeated name gives its role, as the guard reads it). */
  constructor(pools: readonly PoolBudget[]) {
    for (const pool of pools) {
      this.#budgets.set(pool.name, pool);
      this.#tallies.set(pool.name, { total: 0, available: 0, schedulable: 0, drainsInFlight: 0 });
    }
  }

  /** Adds `member`, or replaces the member with its id. */
  set(member: PoolMember): void {
    const before = this.#members.get(member.id);
    if (before !== undefined) this.#add(before, -1);
    this.#members.set(member.id, member);
    this.#add(member, 1);
  }

  /** Removes the member with `id`, if counted. */
  delete(id: string): void {
    const before = this.#members.get(id);
    if (before === undefined) return;
    this.#add(before, -1);
    this.#members.delete(id);
  }

  member(id: string): PoolMember | undefined {
    return this.#members.get(id);
  }

  tally(pool: PoolBudget): PoolTally | undefined {
    const counted = this.#budgets.get(pool.name);
    // Counted for another role: these numbers are not that budget's.
    if (counted === undefined || counted.role !== pool.role) return undefined;
    return this.#tallies.get(pool.name);
  }

  #add(member: PoolMember, sign: 1 | -1): void {
    const healthy = member.healthy !== false;
    for (const name of member.pools) {
      const tally = this.#tallies.get(name);
      if (tally === undefined) continue;
      tally.total += sign;
      const phase = phaseFor(this.#budgets.get(name)!, member);
      if (phase === "draining") tally.drainsInFlight += sign;
      if (!healthy) continue;
      if (phase === "active") {
        tally.available += sign;
        tally.schedulable += sign;
      } else if (phase === "cordoned") tally.available += sign;
    }
  }
}
