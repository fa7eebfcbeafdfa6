import { CapacityGuard } from "../budget/CapacityGuard.ts";
import type { PoolBudget } from "../budget/types.ts";
import type { FleetNode, FleetView } from "../scheduler/types.ts";
import { sleep } from "../ports/clock.ts";
import type { EventSink } from "../ports/events.ts";
import { nullEventSink } from "../ports/events.ts";
import { createNodeState, nodePhase, transitionNode, type NodeEvent, type NodeState } from "../state/node.ts";
import { planRollout, type BlockedNode, type RolloutPlan, type RolloutTarget } from "./plan.ts";
import { assessUpgrade } from "./upgradeCheck.ts";

export type { RolloutControllerOptions, RolloutDrainResult, RolloutEvent, RolloutHooks, RolloutNodePhase, RolloutProgress, RolloutResult } from "./types.ts";
import type { RolloutControllerOptions, RolloutEvent, RolloutNodePhase, RolloutProgress, RolloutResult } from "./types.ts";

class NodeFailure extends Error {}

/**
 * Drives a rolling upgrade: wave by wave, every node of a wave is admitted
 * through the capacity guard and cordoned before any of it drains; then each
 * goes drain → upgrade → resume → healthy through the node/role state machine.
 * Pauses when failures pass `failureThreshold`; `pause` / `resume` / `abort`
 * at any time (they take effect between steps). Progress arrives as events.
 * Time only through the injected clock, so it runs on virtual time in the
 * simulator.
 *
 * @example
 * const rollout = new RolloutController({ clock, pools, fleet: () => view, hooks, maxParallel: 2 });
 * const result = await rollout.start({ version: "2.0.0" });
 * result.status; // "completed"
 */
export class RolloutController {
  readonly #o: RolloutControllerOptions;
  readonly #guard: CapacityGuard;
  readonly #events: EventSink<RolloutEvent>;
  readonly #states = new Map<string, NodeState>();
  readonly #active = new Set<string>();
  #state: RolloutProgress["state"] = "idle";
  #pauseReason: string | undefined;
  #wake: (() => void) | undefined;
  #total = 0;
  #upgraded: string[] = [];
  #failed: { node: string; reason: string }[] = [];
  /** Nodes whose drain was refused for capacity in the last wave: back in the queue. */
  #deferred: string[] = [];
  #startedMono = 0;
  #target = "";

  constructor(options: RolloutControllerOptions) {
    this.#o = options;
    this.#guard = new CapacityGuard({ pools: typeof options.pools === "function" ? [] : options.pools, ...(options.metrics === undefined ? {} : { metrics: options.metrics }) });
    this.#events = options.events ?? nullEventSink;
  }

  /** Plans without acting: the waves and, for every node that cannot drain now, the reason. */
  async dryRun(target: RolloutTarget): Promise<RolloutPlan> {
    return planRollout(this.#overlay(await this.#o.fleet()), target, { pools: await this.#budgets(), maxParallel: this.#o.maxParallel ?? 1 });
  }

  /** The budgets now: read again before each plan and wave when given as a function. */
  async #budgets(): Promise<readonly PoolBudget[]> {
    const pools = this.#o.pools;
    return typeof pools === "function" ? await pools() : pools;
  }

  /** Counts, ETA and state now. */
  get progress(): RolloutProgress {
    const done = this.#upgraded.length;
    const failed = this.#failed.length;
    const remaining = Math.max(0, this.#total - done - failed);
    const elapsed = this.#o.clock.monotonic() - this.#startedMono;
    const etaMs = done + failed > 0 ? Math.round((elapsed / (done + failed)) * remaining) : undefined;
    return { total: this.#total, done, failed, inProgress: this.#active.size, remaining, etaMs, state: this.#state };
  }

  /** Stops starting new steps until {@link resume}. */
  pause(reason = "paused by operator"): void {
    if (this.#state !== "running") return;
    this.#state = "paused";
    this.#pauseReason = reason;
    this.#events.emit({ type: "rollout-paused", reason });
  }

  /** Continues a paused rollout. */
  resume(): void {
    if (this.#state !== "paused") return;
    this.#state = "running";
    this.#pauseReason = undefined;
    this.#events.emit({ type: "rollout-resumed" });
    this.#wake?.();
  }

  /** Stops the rollout: steps under way finish; nodes cordoned but not yet draining are resumed. */
  abort(): void {
    if (this.#state === "finished" || this.#state === "aborted") return;
    this.#state = "aborted";
    this.#wake?.();
  }

  /** Why the rollout is paused, if it is. */
  get pauseReason(): string | undefined {
    return this.#pauseReason;
  }

  /** Runs the rollout to its end (or abort). */
  async start(target: RolloutTarget): Promise<RolloutResult> {
    if (this.#state !== "idle") throw new RangeError("start(): a RolloutController runs one rollout; create another for the next");
    this.#state = "running";
    this.#target = target.version;
    this.#startedMono = this.#o.clock.monotonic();
    const first = planRollout(this.#overlay(await this.#o.fleet()), target, { pools: await this.#budgets(), maxParallel: this.#o.maxParallel ?? 1 });
    this.#total = first.total;
    this.#events.emit({ type: "rollout-planned", plan: first });
    let pending = [...first.waves.flatMap((w) => w.nodes), ...first.blocked.map((b) => b.node)];
    let blocked: readonly BlockedNode[] = first.blocked;
    // The nodes left to upgrade, re-planned before every wave against the fleet as it is then.
    let wave = 0;
    let attempts = 0;
    while (pending.length > 0) {
      if (!(await this.#gate())) break;
      const view = this.#overlay(await this.#o.fleet());
      const pools = await this.#budgets();
      // Only the next wave is acted on: the rest is re-planned before its turn.
      const plan = planRollout(view, { version: target.version, nodes: pending }, { pools, maxParallel: this.#o.maxParallel ?? 1, maxWaves: 1 });
      blocked = plan.blocked;
      const admitted = this.#admit(view, plan.waves[0]?.nodes ?? [], wave, pools);
      if (admitted.length === 0) {
        if (++attempts > (this.#o.blockedAttempts ?? 3)) break;
        this.#events.emit({ type: "rollout-blocked", blocked: plan.blocked, attempt: attempts });
        await sleep(this.#o.clock, this.#o.retryDelayMs ?? 30_000);
        continue;
      }
      const taken = new Set(admitted);
      pending = pending.filter((n) => !taken.has(n));
      for (const n of view.nodes) {
        if (taken.has(n.id) && !this.#states.has(n.id)) this.#states.set(n.id, { ...createNodeState(["node"]), epoch: n.epoch ?? 0 });
      }
      await this.#runWave(wave++, admitted);
      const deferred = this.#deferred.splice(0);
      pending = [...deferred, ...pending];
      if (deferred.length < admitted.length) {
        attempts = 0;
      } else {
        // Every node of the wave was refused for capacity: wait for it to return, as for a plan that admits nothing.
        if (++attempts > (this.#o.blockedAttempts ?? 3)) break;
        await sleep(this.#o.clock, this.#o.retryDelayMs ?? 30_000);
      }
    }
    const aborted = this.#isAborted();
    const done = new Set([...this.#upgraded, ...this.#failed.map((f) => f.node)]);
    const stillBlocked = aborted ? [] : blocked.filter((b) => !done.has(b.node));
    if (!aborted) {
      // Planned but refused by the guard on every attempt: the fleet changed under the plan.
      const named = new Set(stillBlocked.map((b) => b.node));
      for (const node of pending) {
        if (done.has(node) || named.has(node)) continue;
        stillBlocked.push({ node, reason: "pool-budget", detail: `The capacity guard refused "${node}" on every attempt; a pool it belongs to has no room. Re-run once the pool recovers.` });
      }
    }
    const result: RolloutResult = {
      status: aborted ? "aborted" : this.#failed.length === 0 && this.#upgraded.length === this.#total ? "completed" : "incomplete",
      upgraded: [...this.#upgraded],
      failed: [...this.#failed],
      blocked: stillBlocked,
    };
    if (!aborted) this.#state = "finished";
    this.#events.emit({ type: "rollout-finished", result });
    return result;
  }

  /** Admits the wave node by node against the guard, so a fleet that changed since planning defers the rest. */
  #admit(view: FleetView, nodes: readonly string[], wave: number, pools: readonly PoolBudget[]): string[] {
    if (nodes.length === 0) return [];
    // The common case: the wave as planned still fits, in one pass over the fleet.
    if (this.#guard.admit(view, { kind: "drain", node: nodes }, pools).outcome === "allowed") return [...nodes];
    // Node by node, each judged against the members of its own pools only (the
    // guard reads nothing else), with the nodes admitted before it counted as
    // draining: O(wave × pool size), not a copy of the whole fleet per node.
    const byId = new Map<string, FleetNode>();
    const byPool = new Map<string, FleetNode[]>();
    for (const n of view.nodes) {
      byId.set(n.id, n);
      for (const p of n.pools) {
        let members = byPool.get(p);
        if (members === undefined) byPool.set(p, (members = []));
        members.push(n);
      }
    }
    const taken = new Set<string>();
    const admitted: string[] = [];
    for (const id of nodes) {
      const node = byId.get(id);
      const members: FleetNode[] = [];
      if (node !== undefined) {
        const seen = node.pools.length > 1 ? new Set<string>() : undefined;
        for (const p of node.pools) {
          for (const m of byPool.get(p) ?? []) {
            if (seen !== undefined) {
              if (seen.has(m.id)) continue;
              seen.add(m.id);
            }
            members.push(taken.has(m.id) ? { ...m, phase: "draining", schedulable: false } : m);
          }
        }
      }
      const d = this.#guard.admit({ nodes: members }, { kind: "drain", node: id }, pools);
      if (d.outcome !== "allowed") {
        this.#emitNode(id, "deferred", wave, d.error.message);
        continue;
      }
      admitted.push(id);
      taken.add(id);
    }
    return admitted;
  }

  async #runWave(wave: number, nodes: readonly string[]): Promise<void> {
    this.#events.emit({ type: "rollout-wave-started", wave, nodes });
    const cordoned: string[] = [];
    // The whole wave is cordoned before any of it drains: nothing moves onto the next node to drain.
    for (const node of nodes) {
      try {
        this.#apply(node, { type: "cordon", owner: this.#owner, reason: "rolling upgrade" });
        await this.#o.hooks.cordon(node);
        cordoned.push(node);
        this.#active.add(node);
        this.#emitNode(node, "cordoned", wave);
      } catch (e) {
        this.#fail(node, wave, `cordon failed: ${message(e)}`);
      }
    }
    await Promise.all(cordoned.map((node) => this.#runNode(node, wave)));
  }

  async #runNode(node: string, wave: number): Promise<void> {
    try {
      if (!(await this.#gate())) {
        await this.#release(node);
        return;
      }
      const deadline = this.#o.clock.now() + (this.#o.drainTimeoutMs ?? 600_000);
      const beforeDrain = this.#states.get(node);
      const state = this.#apply(node, { type: "drain", reason: "rolling upgrade", deadline, owner: this.#owner });
      const epoch = state.epoch;
      this.#emitNode(node, "draining", wave, undefined, epoch);
      const result = await this.#o.hooks.drain(node, epoch, deadline);
      if (result.status === "deferred") {
        // A capacity refusal is no failure: give the node back and try it again in a later wave.
        if (beforeDrain !== undefined) this.#states.set(node, beforeDrain);
        await this.#release(node);
        this.#deferred.push(node);
        this.#emitNode(node, "deferred", wave, result.failure ?? "the capacity guard refused the drain");
        return;
      }
      if (result.status !== "drained") {
        this.#apply(node, { type: "fail", reason: result.failure ?? "drain failed", epoch });
        throw new NodeFailure(`drain failed: ${result.failure ?? "no reason given"}`);
      }
      this.#apply(node, { type: "drained", epoch });
      this.#emitNode(node, "drained", wave, undefined, epoch);
      if (!(await this.#gate())) return; // aborted: the node stays drained, visible, for an operator
      this.#emitNode(node, "upgrading", wave, undefined, epoch);
      const healthyBy = this.#o.clock.now() + (this.#o.healthTimeoutMs ?? 300_000);
      await this.#o.hooks.upgrade(node, healthyBy);
      this.#emitNode(node, "resuming", wave, undefined, epoch);
      const resumedAt = (await this.#o.hooks.resume(node)) ?? this.#o.clock.now();
      this.#apply(node, { type: "resume" });
      await this.#awaitUpgraded(node, resumedAt, healthyBy);
      this.#upgraded.push(node);
      this.#emitNode(node, "healthy", wave, undefined, epoch);
    } catch (e) {
      this.#fail(node, wave, e instanceof NodeFailure ? e.message : message(e));
    } finally {
      this.#active.delete(node);
      this.#emitProgress();
    }
  }

  /** Observes the node until core's {@link assessUpgrade} counts it upgraded, or fails it with the reason. */
  async #awaitUpgraded(node: string, resumedAt: number, deadline: number): Promise<void> {
    const clock = this.#o.clock;
    const check = { target: this.#target, verify: this.#o.verify ?? true, minHealthyMs: this.#o.minHealthyMs ?? 0, resumedAt, deadline };
    let since: number | undefined;
    for (;;) {
      const verdict = assessUpgrade(check, await this.#o.hooks.observe(node), since, clock.now());
      if (verdict.status === "upgraded") return;
      if (verdict.status === "failed") throw new NodeFailure(`${verdict.reason}: ${verdict.detail}`);
      since = verdict.healthySince;
      await sleep(clock, this.#o.healthIntervalMs ?? 1_000);
    }
  }

  /** Gives back the rollout's cordon on a node that never drained. */
  async #release(node: string): Promise<void> {
    const s = this.#states.get(node);
    if (s !== undefined) {
      const r = transitionNode(s, { type: "uncordon", owner: this.#owner });
      if (r.ok) this.#states.set(node, r.state);
    }
    if (this.#o.hooks.release !== undefined) await this.#o.hooks.release(node);
    else await this.#o.hooks.resume(node);
  }

  get #owner(): string {
    return this.#o.owner ?? "rollout";
  }

  #apply(node: string, event: NodeEvent): NodeState {
    const current = this.#states.get(node) ?? createNodeState(["node"]);
    const r = transitionNode(current, event);
    if (!r.ok) throw r.error;
    this.#states.set(node, r.state);
    return r.state;
  }

  #fail(node: string, wave: number, reason: string): void {
    const s = this.#states.get(node);
    // Failure is never silent: a node whose drain broke stays quiesced as failed.
    if (s !== undefined && nodePhase(s) === "draining") {
      const r = transitionNode(s, { type: "fail", reason });
      if (r.ok) this.#states.set(node, r.state);
    }
    this.#failed.push({ node, reason });
    this.#emitNode(node, "failed", wave, reason);
    const threshold = this.#o.failureThreshold ?? 0;
    if (this.#failed.length > threshold && this.#state === "running") this.pause(`${this.#failed.length} node(s) failed, above the threshold of ${threshold}`);
  }

  #isAborted(): boolean {
    return this.#state === "aborted";
  }

  /** Waits while paused; false once aborted. */
  async #gate(): Promise<boolean> {
    while (this.#state === "paused") {
      await new Promise<void>((resolve) => {
        const previous = this.#wake;
        this.#wake = () => {
          previous?.();
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.#state !== "aborted";
  }

  /** The fleet with the phases this rollout drives laid over it, so the guard never sees a stale view of our own nodes. */
  #overlay(view: FleetView): FleetView {
    if (this.#states.size === 0) return view;
    const nodes = view.nodes.map((n): FleetNode => {
      const s = this.#states.get(n.id);
      if (s === undefined) return n;
      const phase = nodePhase(s);
      return phase === "active" ? n : { ...n, phase, schedulable: false };
    });
    return view.workloads === undefined ? { nodes } : { nodes, workloads: view.workloads };
  }

  #emitNode(node: string, phase: RolloutNodePhase, wave: number, reason?: string, epoch?: number): void {
    const s = this.#states.get(node);
    this.#events.emit({
      type: "rollout-node",
      node,
      phase,
      nodePhase: s === undefined ? "active" : nodePhase(s),
      wave,
      ...(epoch === undefined ? {} : { epoch }),
      ...(reason === undefined ? {} : { reason }),
    });
  }

  #emitProgress(): void {
    this.#events.emit({ type: "rollout-progress", progress: this.progress });
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
