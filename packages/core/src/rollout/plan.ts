import { isAvailable, resolveBudget } from "../budget/admit.ts";
import type { PoolBudget } from "../budget/types.ts";
import type { FleetNode, FleetView } from "../scheduler/types.ts";

/** What a rollout upgrades: every node not on `version`, or only `nodes` when given. */
export interface RolloutTarget {
  readonly version: string;
  /** Restrict the rollout to these nodes (in this order of preference). */
  readonly nodes?: readonly string[];
}

/** Settings of {@link planRollout}. */
export interface RolloutPlanOptions {
  /** The pool budgets every wave must respect. */
  readonly pools: readonly PoolBudget[];
  /** Nodes per wave at most, whatever the pools allow (default: no global cap). */
  readonly maxParallel?: number;
  /**
   * Plan at most this many waves (default: all). The nodes past them are in
   * no wave and not blocked; `total` and `blocked` are as for the full plan.
   * A controller that re-plans before every wave needs only the first.
   */
  readonly maxWaves?: number;
}

/** Why a node cannot drain now. */
export type RolloutBlockReason = "pool-budget" | "only-node-left" | "no-destination";

/** A node the plan cannot take now, with the reason (the dry run). */
export interface BlockedNode {
  readonly node: string;
  readonly reason: RolloutBlockReason;
  /** What to do about it, for people. */
  readonly detail: string;
  /** The pool whose budget blocks it (`pool-budget` only). */
  readonly pool?: string;
}

/** A set of nodes cordoned together, then drained, upgraded and resumed together. */
export interface RolloutWave {
  readonly index: number;
  readonly nodes: readonly string[];
}

/**
 * The plan: waves in order, and the nodes that cannot drain now with the
 * reason. Computed from the fleet as it is now (drains in flight and unhealthy
 * members count against their pools); re-plan when the fleet changes.
 */
export interface RolloutPlan {
  readonly target: RolloutTarget;
  readonly waves: readonly RolloutWave[];
  readonly blocked: readonly BlockedNode[];
  /** Nodes the rollout covers (in waves or blocked). */
  readonly total: number;
}

interface PoolRoom {
  readonly pool: PoolBudget;
  /** Members that may still become unavailable at once. */
  readonly headroom: number;
  readonly available: number;
  readonly required: number;
  taken: number;
}

/**
 * Plans a rolling upgrade: waves sized by every pool's budget (`minAvailable`
 * / `maxUnavailable`, counting drains already in flight) and by `maxParallel`,
 * each leaving at least one schedulable node outside the wave so its
 * workloads have somewhere to go. Each wave is meant to be cordoned whole
 * before any of it drains, so work never lands on the next node to drain.
 *
 * Nodes with the same pool membership are taken in fleet order; a wave takes
 * as many as fit. Pure and deterministic; O(waves × distinct pool sets).
 *
 * @example
 * const plan = planRollout(fleet, { version: "2.0.0" }, { pools: [{ name: "web", maxUnavailable: "25%" }], maxParallel: 10 });
 * for (const wave of plan.waves) console.log(wave.index, wave.nodes);
 * for (const b of plan.blocked) console.log(b.node, b.reason, b.detail); // the dry run
 */
export function planRollout(fleet: FleetView, target: RolloutTarget, options: RolloutPlanOptions): RolloutPlan {
  const maxParallel = options.maxParallel ?? Number.POSITIVE_INFINITY;
  if (!(maxParallel >= 1)) throw new RangeError(`maxParallel ${maxParallel}: must be >= 1`);
  const maxWaves = options.maxWaves ?? Number.POSITIVE_INFINITY;
  if (!(maxWaves >= 1)) throw new RangeError(`maxWaves ${maxWaves}: must be >= 1`);
  const loaded = new Set<string>();
  for (const w of fleet.workloads ?? []) loaded.add(w.node);

  // Every pool's size and available members, and the schedulable nodes, in one pass over the fleet.
  const totals = new Map<string, { pool: PoolBudget; total: number; available: number }>();
  for (const pool of options.pools) totals.set(pool.name, { pool, total: 0, available: 0 });
  let schedulableTotal = 0;
  for (const n of fleet.nodes) {
    if (schedulable(n)) schedulableTotal++;
    for (const name of n.pools) {
      const t = totals.get(name);
      if (t === undefined) continue;
      t.total++;
      if (isAvailable(t.pool, n)) t.available++;
    }
  }
  const rooms = new Map<string, PoolRoom>();
  for (const pool of options.pools) {
    const { total, available } = totals.get(pool.name)!;
    const { required } = resolveBudget(pool, total);
    rooms.set(pool.name, { pool, headroom: available - required, available, required, taken: 0 });
  }

  let candidates: FleetNode[];
  if (target.nodes !== undefined) {
    const byId = new Map<string, FleetNode>();
    for (const n of fleet.nodes) byId.set(n.id, n);
    candidates = [];
    for (const id of target.nodes) {
      const n = byId.get(id);
      if (n !== undefined) candidates.push(n);
    }
  } else {
    candidates = fleet.nodes.filter((n) => n.version !== target.version);
  }

  const blocked: BlockedNode[] = [];
  // Nodes with the same pools behave the same against every budget: grouping
  // them lets a wave skip a whole exhausted group at once.
  const groups = new Map<string, { rooms: PoolRoom[]; queue: FleetNode[]; head: number }>();
  for (const n of candidates) {
    const nodeRooms: PoolRoom[] = [];
    for (const p of n.pools) {
      const r = rooms.get(p);
      if (r !== undefined) nodeRooms.push(r);
    }
    const why = blockedAlone(n, nodeRooms, schedulableTotal, loaded.has(n.id));
    if (why !== undefined) {
      blocked.push(why);
      continue;
    }
    const key = nodeRooms.length === 1 ? nodeRooms[0]!.pool.name : nodeRooms.map((r) => r.pool.name).sort().join("\u0000");
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { rooms: nodeRooms, queue: [], head: 0 }));
    g.queue.push(n);
  }

  const waves: RolloutWave[] = [];
  let left = candidates.length - blocked.length;
  while (left > 0 && waves.length < maxWaves) {
    for (const r of rooms.values()) r.taken = 0;
    const wave: string[] = [];
    let schedulableOutside = schedulableTotal;
    for (const g of groups.values()) {
      while (g.head < g.queue.length && wave.length < maxParallel) {
        const n = g.queue[g.head]!;
        let full = false;
        for (const r of g.rooms) {
          if (isAvailable(r.pool, n) && r.taken >= r.headroom) {
            full = true;
            break;
          }
        }
        if (full) break;
        const isSched = schedulable(n);
        if (isSched && schedulableOutside <= 1) break;
        for (const r of g.rooms) if (isAvailable(r.pool, n)) r.taken++;
        if (isSched) schedulableOutside--;
        wave.push(n.id);
        g.head++;
      }
      if (wave.length >= maxParallel) break;
    }
    if (wave.length === 0) break; // cannot happen for nodes that fit alone; a guard against looping
    waves.push({ index: waves.length, nodes: wave });
    left -= wave.length;
  }
  return { target, waves, blocked, total: candidates.length };
}

function schedulable(n: FleetNode): boolean {
  return n.schedulable ?? (n.phase === "active" && n.healthy !== false);
}

/** Why `n` could not drain even alone, if so. */
function blockedAlone(n: FleetNode, rooms: readonly PoolRoom[], schedulableTotal: number, hasWork: boolean): BlockedNode | undefined {
  for (const r of rooms) {
    if (isAvailable(r.pool, n) && r.headroom < 1) {
      return {
        node: n.id,
        reason: "pool-budget",
        pool: r.pool.name,
        detail:
          `Pool "${r.pool.name}" has ${r.available} available member(s) and requires ${r.required}; draining "${n.id}" would break its budget. ` +
          `Wait for drains in flight to finish, bring members back, or add capacity.`,
      };
    }
  }
  const others = schedulableTotal - (schedulable(n) ? 1 : 0);
  if (others < 1 && schedulable(n)) {
    return {
      node: n.id,
      reason: "only-node-left",
      detail: `"${n.id}" is the only schedulable node; draining it would leave none. Uncordon or add a node first.`,
    };
  }
  if (others < 1 && hasWork) {
    return {
      node: n.id,
      reason: "no-destination",
      detail: `"${n.id}" holds workloads and no other node is schedulable to take them. Uncordon or add a node first.`,
    };
  }
  return undefined;
}
