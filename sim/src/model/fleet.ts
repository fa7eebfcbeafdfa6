import {
  createNodeState,
  isAvailable,
  resolveBudget,
  type NodeState,
  type PoolBudget,
  type PoolMember,
  transitionNode,
  type NodeEvent,
  type RolePhase,
} from "@drainkit/core";
import type { FleetSnapshot, Scenario } from "../scenario/types.ts";

/** Pool of snapshot nodes that belong to none: no budget, so it never refuses. */
export const NO_POOL = "(no pool)";

interface Layout {
  readonly ids: readonly string[];
  readonly pools: readonly PoolBudget[];
  readonly poolOf: Int32Array;
  readonly zoneOf: Int32Array;
  readonly roleOf: readonly string[];
}

function generatedLayout(scenario: Scenario, roles: readonly string[]): Layout {
  const n = scenario.fleet.nodes;
  const poolCount = Math.min(scenario.fleet.pools, n);
  const zones = scenario.fleet.zones ?? 3;
  const pools = Array.from({ length: poolCount }, (_, p) => ({
    name: `pool-${p}`,
    role: roles[p % roles.length]!,
    ...(scenario.budget.maxUnavailable === undefined ? {} : { maxUnavailable: scenario.budget.maxUnavailable }),
    ...(scenario.budget.minAvailable === undefined ? {} : { minAvailable: scenario.budget.minAvailable }),
  }));
  const poolOf = new Int32Array(n);
  const zoneOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    poolOf[i] = i % poolCount;
    zoneOf[i] = Math.floor(i / poolCount) % zones;
  }
  return { ids: Array.from({ length: n }, (_, i) => `n${i}`), pools, poolOf, zoneOf, roleOf: Array.from({ length: n }, (_, i) => pools[i % poolCount]!.role) };
}

/**
 * A snapshot's nodes and budgets. Each node counts in its first pool only (the
 * fleet keeps one pool per node); pools named by nodes but not budgeted get no bounds.
 */
function snapshotLayout(snapshot: FleetSnapshot): Layout {
  const pools: PoolBudget[] = snapshot.pools.map((p) => ({ ...p }));
  const poolIndex = new Map(pools.map((p, i) => [p.name, i]));
  const zoneIndex = new Map<string, number>();
  const n = snapshot.nodes.length;
  const poolOf = new Int32Array(n);
  const zoneOf = new Int32Array(n);
  const roleOf: string[] = [];
  snapshot.nodes.forEach((node, i) => {
    const name = node.pools[0] ?? NO_POOL;
    let p = poolIndex.get(name);
    if (p === undefined) {
      p = pools.push({ name }) - 1;
      poolIndex.set(name, p);
    }
    poolOf[i] = p;
    const zone = node.zone ?? "";
    if (!zoneIndex.has(zone)) zoneIndex.set(zone, zoneIndex.size);
    zoneOf[i] = zoneIndex.get(zone)!;
    const budgetRole = pools[p]!.role;
    roleOf.push(budgetRole !== undefined && node.roles.includes(budgetRole) ? budgetRole : (node.roles[0] ?? budgetRole ?? "default"));
  });
  // A pool no node is in would divide by zero below; it has nothing to guard.
  const used = new Set(poolOf);
  const keep = pools.map((_, p) => used.has(p));
  const renumber = new Int32Array(pools.length);
  let k = 0;
  keep.forEach((kept, p) => (renumber[p] = kept ? k++ : -1));
  for (let i = 0; i < n; i++) poolOf[i] = renumber[poolOf[i]!]!;
  return { ids: snapshot.nodes.map((x) => x.id), pools: pools.filter((_, p) => keep[p]), poolOf, zoneOf, roleOf };
}

/** The registry events that bring a fresh node to the phase the snapshot recorded. */
function phaseEvents(phase: string, cordoned: boolean): NodeEvent[] {
  const cordon: NodeEvent = { type: "cordon", owner: "snapshot", reason: "cordoned when the snapshot was taken" };
  const drain: NodeEvent = { type: "drain", reason: "draining when the snapshot was taken", deadline: Number.MAX_SAFE_INTEGER, owner: "snapshot" };
  switch (phase) {
    case "cordoned":
      return [cordon];
    case "draining":
    case "partially-drained":
      return [drain];
    case "drained":
      return [drain, { type: "drained" }];
    case "failed":
      return [drain, { type: "fail", reason: "failed when the snapshot was taken" }];
    default:
      return cordoned ? [cordon] : [];
  }
}

/**
 * The hosts: N nodes spread over pools, roles and zones, each with the
 * registry's copy of its core `NodeState`. Pool availability is kept
 * incrementally (core's `isAvailable` decides per member) so the invariant
 * check after every event costs O(1), not O(N).
 */
export class Fleet {
  readonly size: number;
  readonly ids: readonly string[];
  readonly pools: readonly PoolBudget[];
  readonly roles: readonly string[];
  /** Pool index of each node. */
  readonly poolOf: Int32Array;
  readonly zoneOf: Int32Array;
  /** Node indices of each pool. */
  readonly members: readonly Int32Array[];
  /** The registry's view of each node (core state machine). */
  readonly state: NodeState[];
  /** 0 while the host is down (crashed or stopped for its upgrade). */
  readonly up: Uint8Array;
  /** 1 while down because it crashed (not planned). */
  readonly crashed: Uint8Array;
  /** Cached guard view of each node, rebuilt on every change. */
  readonly member: PoolMember[];
  readonly available: Int32Array;
  /** Members down because they crashed while available-by-phase: unplanned loss the guard cannot prevent. */
  readonly crashedAvailable: Int32Array;
  readonly required: Int32Array;
  readonly draining: Int32Array;
  /** 1 while the node takes new requests (up, role active or cordoned); kept by {@link refresh} for the traffic model's hot loop. */
  readonly routableFlag: Uint8Array;
  /** 1 while the node's role is draining or drained. */
  readonly quiescedFlag: Uint8Array;
  /** Lowest available/total ratio seen per pool. */
  readonly minRatio: Float64Array;
  #availableFlag: Uint8Array;
  #crashedAvailableFlag: Uint8Array;
  #drainingFlag: Uint8Array;
  totalDraining = 0;

  readonly #roleOf: readonly string[];
  /** Node index by id, for snapshot fleets (generated ids are `n<index>`). */
  readonly #index: Map<string, number> | undefined;

  constructor(scenario: Scenario) {
    const snapshot = scenario.fleet.snapshot;
    const layout = snapshot === undefined ? generatedLayout(scenario, scenario.fleet.roles ?? ["edge", "ingest", "storage", "processing"]) : snapshotLayout(snapshot);
    const n = layout.ids.length;
    const poolCount = layout.pools.length;
    this.roles = [...new Set(layout.roleOf)];
    this.size = n;
    this.ids = layout.ids;
    this.pools = layout.pools;
    this.poolOf = layout.poolOf;
    this.zoneOf = layout.zoneOf;
    this.#roleOf = layout.roleOf;
    this.#index = snapshot === undefined ? undefined : new Map(layout.ids.map((id, i) => [id, i]));
    const counts = new Int32Array(poolCount);
    for (let i = 0; i < n; i++) counts[this.poolOf[i]!]!++;
    const members = Array.from({ length: poolCount }, (_, p) => new Int32Array(counts[p]!));
    const fill = new Int32Array(poolCount);
    for (let i = 0; i < n; i++) {
      const p = this.poolOf[i]!;
      members[p]![fill[p]!++] = i;
    }
    this.members = members;
    this.state = Array.from({ length: n }, (_, i) => createNodeState([this.roleOf(i)]));
    this.up = new Uint8Array(n).fill(1);
    snapshot?.nodes.forEach((node, i) => {
      for (const event of phaseEvents(node.phase, node.cordoned)) {
        const r = transitionNode(this.state[i]!, event, 0);
        if (r.ok) this.state[i] = r.state;
      }
      if (node.healthy === false) this.up[i] = 0;
    });
    this.crashed = new Uint8Array(n);
    this.member = Array.from({ length: n }, (_, i) => this.#memberOf(i));
    this.available = new Int32Array(poolCount);
    this.crashedAvailable = new Int32Array(poolCount);
    this.required = new Int32Array(poolCount);
    this.draining = new Int32Array(poolCount);
    this.minRatio = new Float64Array(poolCount).fill(1);
    this.routableFlag = new Uint8Array(n);
    this.quiescedFlag = new Uint8Array(n);
    this.#availableFlag = new Uint8Array(n);
    this.#crashedAvailableFlag = new Uint8Array(n);
    this.#drainingFlag = new Uint8Array(n);
    for (let p = 0; p < poolCount; p++) this.required[p] = resolveBudget(this.pools[p]!, counts[p]!).required;
    for (let i = 0; i < n; i++) this.refresh(i);
    // Counters were built up from zero above; the run starts from the fleet as it is.
    this.minRatio.fill(1);
    for (let p = 0; p < poolCount; p++) this.minRatio[p] = this.available[p]! / counts[p]!;
  }

  roleOf(node: number): string {
    return this.#roleOf[node]!;
  }

  /** The node's index by id, or -1 when the fleet has no such node. */
  index(id: string): number {
    if (this.#index !== undefined) return this.#index.get(id) ?? -1;
    // Hot path (every move and scheduler event): no regex, no map.
    const i = id.charCodeAt(0) === 110 /* n */ ? Number(id.slice(1)) : Number.NaN;
    return Number.isInteger(i) && i >= 0 && i < this.size ? i : -1;
  }

  /** The node's phase for its pool's role. */
  phase(node: number): RolePhase {
    return this.state[node]!.roles[this.roleOf(node)]!.phase;
  }

  epoch(node: number): number {
    return this.state[node]!.roles[this.roleOf(node)]!.epoch;
  }

  /** Takes new requests: up, and its role active or cordoned in the registry. */
  routable(node: number): boolean {
    return this.routableFlag[node] === 1;
  }

  /** Takes new workload placements: up and active. */
  schedulable(node: number): boolean {
    return this.up[node] === 1 && this.phase(node) === "active";
  }

  /** The members of a pool as core's guard reads them. */
  poolView(pool: number): { nodes: PoolMember[] } {
    const ids = this.members[pool]!;
    const nodes = new Array<PoolMember>(ids.length);
    for (let k = 0; k < ids.length; k++) nodes[k] = this.member[ids[k]!]!;
    return { nodes };
  }

  /** Recomputes the node's cached guard view and its pool's counters. */
  refresh(node: number): void {
    const m = this.#memberOf(node);
    this.member[node] = m;
    const p = this.poolOf[node]!;
    const pool = this.pools[p]!;
    const avail = isAvailable(pool, m) ? 1 : 0;
    this.available[p]! += avail - this.#availableFlag[node]!;
    this.#availableFlag[node] = avail;
    const phaseAvailable = isAvailable(pool, { ...m, healthy: true });
    const ca = this.crashed[node] === 1 && phaseAvailable ? 1 : 0;
    this.crashedAvailable[p]! += ca - this.#crashedAvailableFlag[node]!;
    this.#crashedAvailableFlag[node] = ca;
    const phase = this.phase(node);
    this.routableFlag[node] = this.up[node] === 1 && (phase === "active" || phase === "cordoned") ? 1 : 0;
    this.quiescedFlag[node] = phase === "draining" || phase === "drained" ? 1 : 0;
    const dr = phase === "draining" ? 1 : 0;
    this.draining[p]! += dr - this.#drainingFlag[node]!;
    this.totalDraining += dr - this.#drainingFlag[node]!;
    this.#drainingFlag[node] = dr;
    const ratio = this.available[p]! / this.members[p]!.length;
    if (ratio < this.minRatio[p]!) this.minRatio[p] = ratio;
  }

  #memberOf(node: number): PoolMember {
    const role = this.roleOf(node);
    const phase = this.state[node]!.roles[role]!.phase;
    return { id: this.ids[node]!, pools: [this.pools[this.poolOf[node]!]!.name], phase, roles: { [role]: phase }, healthy: this.up[node] === 1 };
  }
}
