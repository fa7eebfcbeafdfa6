import {
  createNodeState,
  PoolCounts,
  type NodeState,
  type PoolBudget,
  type PoolMember,
  transitionNode,
  type NodeEvent,
  type RolePhase,
} from "@drainkit/core";
import type { FleetSnapshot, Scenario } from "../scenario/types.ts";
import { requiredMembers, servesTraffic } from "./budgetOracle.ts";

/** Pool of snapshot nodes that belong to none: no budget, so it never refuses. */
export const NO_POOL = "(no pool)";

interface Layout {
  readonly ids: readonly string[];
  readonly pools: readonly PoolBudget[];
  /** Pools of node i: poolList[poolStart[i] .. poolStart[i + 1]), its first pool first. */
  readonly poolStart: Int32Array;
  readonly poolList: Int32Array;
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
  const zoneOf = new Int32Array(n);
  // `overlap` of the nodes (spread evenly) also belong to the next pool.
  const overlap = poolCount > 1 ? (scenario.fleet.overlap ?? 0) : 0;
  const poolStart = new Int32Array(n + 1);
  const list: number[] = [];
  for (let i = 0; i < n; i++) {
    poolStart[i] = list.length;
    list.push(i % poolCount);
    if (Math.floor((i + 1) * overlap) > Math.floor(i * overlap)) list.push((i + 1) % poolCount);
    zoneOf[i] = Math.floor(i / poolCount) % zones;
  }
  poolStart[n] = list.length;
  return { ids: Array.from({ length: n }, (_, i) => `n${i}`), pools, poolStart, poolList: Int32Array.from(list), zoneOf, roleOf: Array.from({ length: n }, (_, i) => pools[i % poolCount]!.role) };
}

/**
 * A snapshot's nodes and budgets. A node counts in every pool it names; pools
 * named by nodes but not budgeted get no bounds.
 */
function snapshotLayout(snapshot: FleetSnapshot): Layout {
  const pools: PoolBudget[] = snapshot.pools.map((p) => ({ ...p }));
  const poolIndex = new Map(pools.map((p, i) => [p.name, i]));
  const zoneIndex = new Map<string, number>();
  const n = snapshot.nodes.length;
  const poolStart = new Int32Array(n + 1);
  const list: number[] = [];
  const zoneOf = new Int32Array(n);
  const roleOf: string[] = [];
  snapshot.nodes.forEach((node, i) => {
    poolStart[i] = list.length;
    for (const name of node.pools.length === 0 ? [NO_POOL] : [...new Set(node.pools)]) {
      let q = poolIndex.get(name);
      if (q === undefined) {
        q = pools.push({ name }) - 1;
        poolIndex.set(name, q);
      }
      list.push(q);
    }
    const p = list[poolStart[i]!]!;
    const zone = node.zone ?? "";
    if (!zoneIndex.has(zone)) zoneIndex.set(zone, zoneIndex.size);
    zoneOf[i] = zoneIndex.get(zone)!;
    const budgetRole = pools[p]!.role;
    roleOf.push(budgetRole !== undefined && node.roles.includes(budgetRole) ? budgetRole : (node.roles[0] ?? budgetRole ?? "default"));
  });
  poolStart[n] = list.length;
  // A pool no node is in would divide by zero below; it has nothing to guard.
  const used = new Set(list);
  const keep = pools.map((_, p) => used.has(p));
  const renumber = new Int32Array(pools.length);
  let k = 0;
  keep.forEach((kept, p) => (renumber[p] = kept ? k++ : -1));
  const poolList = Int32Array.from(list, (p) => renumber[p]!);
  return { ids: snapshot.nodes.map((x) => x.id), pools: pools.filter((_, p) => keep[p]), poolStart, poolList, zoneOf, roleOf };
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
 * The hosts: N nodes spread over pools (a node may be in several), roles and
 * zones, each with the registry's copy of its core `NodeState`. Pool
 * availability is the simulator's own ledger, kept incrementally by its own
 * rule (`servesTraffic`, `requiredMembers`; never core's `isAvailable` /
 * `resolveBudget`, which it checks), so the check after every event costs
 * O(pools of the node), not O(N).
 */
export class Fleet {
  readonly size: number;
  readonly ids: readonly string[];
  readonly pools: readonly PoolBudget[];
  readonly roles: readonly string[];
  /** First pool of each node (its traffic's pool and its role's). */
  readonly poolOf: Int32Array;
  /** Pools of node i: poolList[poolStart[i] .. poolStart[i + 1]). */
  readonly poolStart: Int32Array;
  readonly poolList: Int32Array;
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
  /** Bumped by every {@link refresh} of the node: a view built from it is stale when this moved. */
  readonly stamp: Uint32Array;
  /**
   * Core's per-pool counts of the guard views, kept by {@link refresh} and handed to the guard with
   * each view, so an admission does not count its pools' members. Core counts them by its own
   * rule; the pool check reads `available` above, the simulator's own ledger.
   */
  readonly guardCounts: PoolCounts;
  /** Called after every {@link refresh} (the traffic model follows which hosts the router may use). */
  onChange: ((node: number) => void) | undefined;

  readonly #roleOf: readonly string[];
  /** Each pool's members as the guard reads them, in `members` order; `#poolPos[k]` is where poolList[k]'s node sits. */
  #poolView: PoolMember[][] = [];
  readonly #poolPos: Int32Array;
  /** Pool names of each node, shared by its cached guard views. */
  readonly #poolNames: readonly (readonly string[])[];
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
    this.poolStart = layout.poolStart;
    this.poolList = layout.poolList;
    this.#poolPos = new Int32Array(this.poolList.length);
    this.poolOf = new Int32Array(n);
    for (let i = 0; i < n; i++) this.poolOf[i] = this.poolList[this.poolStart[i]!]!;
    this.zoneOf = layout.zoneOf;
    this.#roleOf = layout.roleOf;
    this.#index = snapshot === undefined ? undefined : new Map(layout.ids.map((id, i) => [id, i]));
    const counts = new Int32Array(poolCount);
    for (const p of this.poolList) counts[p]!++;
    const members = Array.from({ length: poolCount }, (_, p) => new Int32Array(counts[p]!));
    const fill = new Int32Array(poolCount);
    for (let i = 0; i < n; i++) {
      for (let k = this.poolStart[i]!; k < this.poolStart[i + 1]!; k++) {
        const p = this.poolList[k]!;
        this.#poolPos[k] = fill[p]!;
        members[p]![fill[p]!++] = i;
      }
    }
    this.members = members;
    const names = new Map<string, readonly string[]>();
    this.#poolNames = Array.from({ length: n }, (_, i) => {
      const list = Array.from(this.poolsOf(i), (p) => this.pools[p]!.name);
      const key = list.join("\u0000");
      let shared = names.get(key);
      if (shared === undefined) names.set(key, (shared = list));
      return shared;
    });
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
    this.guardCounts = new PoolCounts(this.pools);
    this.stamp = new Uint32Array(n);
    this.member = Array.from({ length: n }, (_, i) => this.#memberOf(i));
    this.#poolView = members.map((ids) => Array.from(ids, (i) => this.member[i]!));
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
    for (let p = 0; p < poolCount; p++) this.required[p] = requiredMembers(this.pools[p]!, counts[p]!);
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

  /** The members of every pool `node` is in, each once, as core's guard reads them. */
  guardView(node: number): { readonly nodes: readonly PoolMember[]; readonly counts: PoolCounts } {
    const start = this.poolStart[node]!;
    const end = this.poolStart[node + 1]!;
    // The common case: one pool, whose view is kept current by refresh (the guard reads it at once, never keeps it).
    if (end - start === 1) return { nodes: this.#poolView[this.poolList[start]!]!, counts: this.guardCounts };
    // Several pools: the guard reads the counts; the members are gathered only if someone reads them.
    let nodes: PoolMember[] | undefined;
    const gather = (): PoolMember[] => (nodes ??= this.#gather(start, end));
    return {
      get nodes() {
        return gather();
      },
      counts: this.guardCounts,
    };
  }

  #gather(start: number, end: number): PoolMember[] {
    const seen = new Set<number>();
    const nodes: PoolMember[] = [];
    for (let q = start; q < end; q++) {
      for (const i of this.members[this.poolList[q]!]!) {
        if (seen.has(i)) continue;
        seen.add(i);
        nodes.push(this.member[i]!);
      }
    }
    return nodes;
  }

  /** The pools node is in (its first pool first). */
  poolsOf(node: number): Int32Array {
    return this.poolList.subarray(this.poolStart[node]!, this.poolStart[node + 1]!);
  }

  /** Recomputes the node's cached guard view and the counters of each of its pools. */
  refresh(node: number): void {
    this.stamp[node]!++;
    const m = this.#memberOf(node);
    this.member[node] = m;
    for (let k = this.poolStart[node]!; k < this.poolStart[node + 1]!; k++) this.#poolView[this.poolList[k]!]![this.#poolPos[k]!] = m;
    this.guardCounts.set(m);
    const phase = this.phase(node);
    const serves = servesTraffic(phase);
    const avail = this.up[node] === 1 && serves ? 1 : 0;
    const ca = this.crashed[node] === 1 && serves ? 1 : 0;
    const dr = phase === "draining" ? 1 : 0;
    const dAvail = avail - this.#availableFlag[node]!;
    const dCrashed = ca - this.#crashedAvailableFlag[node]!;
    const dDraining = dr - this.#drainingFlag[node]!;
    this.#availableFlag[node] = avail;
    this.#crashedAvailableFlag[node] = ca;
    this.#drainingFlag[node] = dr;
    this.totalDraining += dDraining;
    this.routableFlag[node] = this.up[node] === 1 && serves ? 1 : 0;
    this.quiescedFlag[node] = phase === "draining" || phase === "drained" ? 1 : 0;
    for (let k = this.poolStart[node]!; k < this.poolStart[node + 1]!; k++) {
      const p = this.poolList[k]!;
      this.available[p]! += dAvail;
      this.crashedAvailable[p]! += dCrashed;
      this.draining[p]! += dDraining;
      const ratio = this.available[p]! / this.members[p]!.length;
      if (ratio < this.minRatio[p]!) this.minRatio[p] = ratio;
    }
    this.onChange?.(node);
  }

  #memberOf(node: number): PoolMember {
    const role = this.roleOf(node);
    const phase = this.state[node]!.roles[role]!.phase;
    return { id: this.ids[node]!, pools: this.#poolNames[node]!, phase, roles: { [role]: phase }, healthy: this.up[node] === 1 };
  }
}
