import {
  createNodeState,
  isAvailable,
  resolveBudget,
  type NodeState,
  type PoolBudget,
  type PoolMember,
  type RolePhase,
} from "@drainkit/core";
import type { Scenario } from "../scenario/types.ts";

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

  constructor(scenario: Scenario) {
    const n = scenario.fleet.nodes;
    const poolCount = Math.min(scenario.fleet.pools, n);
    const zones = scenario.fleet.zones ?? 3;
    this.roles = scenario.fleet.roles ?? ["edge", "ingest", "storage", "processing"];
    this.size = n;
    this.ids = Array.from({ length: n }, (_, i) => `n${i}`);
    this.pools = Array.from({ length: poolCount }, (_, p) => ({
      name: `pool-${p}`,
      role: this.roles[p % this.roles.length]!,
      ...(scenario.budget.maxUnavailable === undefined ? {} : { maxUnavailable: scenario.budget.maxUnavailable }),
      ...(scenario.budget.minAvailable === undefined ? {} : { minAvailable: scenario.budget.minAvailable }),
    }));
    this.poolOf = new Int32Array(n);
    this.zoneOf = new Int32Array(n);
    const counts = new Int32Array(poolCount);
    for (let i = 0; i < n; i++) {
      const p = i % poolCount;
      this.poolOf[i] = p;
      this.zoneOf[i] = Math.floor(i / poolCount) % zones;
      counts[p]!++;
    }
    const members = Array.from({ length: poolCount }, (_, p) => new Int32Array(counts[p]!));
    const fill = new Int32Array(poolCount);
    for (let i = 0; i < n; i++) {
      const p = this.poolOf[i]!;
      members[p]![fill[p]!++] = i;
    }
    this.members = members;
    this.state = Array.from({ length: n }, (_, i) => createNodeState([this.roleOf(i)]));
    this.up = new Uint8Array(n).fill(1);
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
    // Counters were built up from zero above; the run starts with every member available.
    this.minRatio.fill(1);
    for (let p = 0; p < poolCount; p++) this.minRatio[p] = this.available[p]! / counts[p]!;
  }

  roleOf(node: number): string {
    return this.pools[this.poolOf[node]!]!.role!;
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
