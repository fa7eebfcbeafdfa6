// @ts-nocheck
import { RolloutController, type FleetNode, type RolloutDrainResult } from "@drainkit/core";
import { span } from "../model/sample.ts";
import type { ScenarioAction } from "../scenario/types.ts";
import { type Operator, type RolloutRun } from "./types.ts";
import { OperatorFlow } from "./OperatorFlow.ts";

/** A `rolling-upgrade` action driven by core's RolloutController through its hooks. */
export abstract class RolloutFlow extends OperatorFlow {
  // ---- core's RolloutController ----------------------------------------------------------

  /**
   * The fleet as the rollout reads it before each wave: the registry's phases,
   * health and versions. Node objects are kept between reads and rebuilt only
   * for nodes that changed since (core reads them, never writes them).
   */
  protected fleetView(): { nodes: FleetNode[] } {
    const f = this.fleet;
    const cache = (this.viewCache ??= { nodes: new Array<FleetNode>(f.size), stamp: new Uint32Array(f.size).fill(0xffffffff), version: new Uint8Array(f.size) });
    const nodes = cache.nodes;
    for (let i = 0; i < f.size; i++) {
      if (cache.stamp[i] === f.stamp[i] && cache.version[i] === this.version[i]) continue;
      const m = f.member[i]!;
      nodes[i] = { id: m.id, pools: m.pools, phase: m.phase, ...(m.roles === undefined ? {} : { roles: m.roles }), healthy: f.up[i] === 1, schedulable: f.schedulable(i), version: this.version[i] === 2 ? "2" : "1" };
      cache.stamp[i] = f.stamp[i]!;
      cache.version[i] = this.version[i]!;
    }
    return { nodes: nodes.slice() };
  }

  protected viewCache: { nodes: FleetNode[]; stamp: Uint32Array; version: Uint8Array } | undefined;

  protected startRollout(a: Extract<ScenarioAction, { type: "rolling-upgrade" }>): void {
    const op = this.operator("rolling", "rollout", a.upgradeMs, undefined, a.retryMs);
    const run: RolloutRun = { action: a, op, term: this.leaderTerm, first: true };
    this.rolloutRuns.push(run);
    this.launchRollout(run);
  }

  /**
   * The new leader's rollout: like every other controller it is rebuilt from
   * what the store and the hosts say (each node's version and phase), never
   * carried over in memory; the deposed leader's controller is fenced.
   */
  protected rebuildRollouts(): void {
    for (const run of this.rolloutRuns) {
      if (run.op.done) continue;
      if (this.options.rebuildOnFailover === false) continue; // the mutant: the old controller carries on
      run.term = this.leaderTerm;
      run.first = false;
      this.trace("rollout-rebuilt", { term: this.leaderTerm });
      this.launchRollout(run);
    }
  }

  /** The controller of `term` lost its lease (and, unless the mutant keeps it, its place). */
  protected deposed(run: RolloutRun, term: number): boolean {
    return run.term !== term || (run.term !== this.leaderTerm && this.options.rebuildOnFailover !== false);
  }

  /** True (and reported when nothing fenced it) when a controller of a deposed leader acts. */
  protected stale(run: RolloutRun, what: string, id: string): boolean {
    if (run.term === this.leaderTerm && this.controlPlaneUp) return false;
    if (this.options.rebuildOnFailover === false) {
      this.checker.report("stale-leader-write", `the rollout controller of leader term ${run.term} tried to ${what} ${id} after losing its lease (term now ${this.leaderTerm})`, { node: id });
      return false;
    }
    return true;
  }

  protected launchRollout(run: RolloutRun): void {
    const f = this.fleet;
    const a = run.action;
    const op = run.op;
    const term = run.term;
    const never = new Promise<never>(() => {});
    // One wave may fill every pool's budget at once.
    let room = 0;
    for (let p = 0; p < f.members.length; p++) room += Math.max(1, f.members[p]!.length - f.required[p]!);
    const mine = (): boolean => run.term === term;
    const controller = new RolloutController({
      clock: this.engine.clock,
      pools: f.pools,
      fleet: () => this.fleetView(),
      maxParallel: a.maxParallel ?? room,
      failureThreshold: f.size,
      drainTimeoutMs: this.deadlineMs,
      retryDelayMs: span(this.random, a.retryMs, 5_000),
      blockedAttempts: 1_000,
      healthIntervalMs: 1_000,
      owner: "rollout",
      events: {
        emit: (e) => {
          if (!mine()) return;
          if (e.type === "rollout-wave-started") this.trace("rollout-wave", { wave: e.wave, nodes: e.nodes.length });
          // The controller's own admissions refused by the guard are refusals like any other.
          else if (e.type === "rollout-node" && e.phase === "deferred") this.counts.refused++;
          else if (e.type === "rollout-blocked") this.counts.refused += e.blocked.length;
          else if (e.type === "rollout-planned" && run.first) this.rolloutTargets += e.plan.total;
          else if (e.type === "rollout-finished") {
            this.trace("rollout-finished", { status: e.result.status, upgraded: e.result.upgraded.length, failed: e.result.failed.length });
            for (const b of e.result.blocked) this.blocked.push({ node: b.node, reason: `${b.reason}: ${b.detail}`, ...(b.pool === undefined ? {} : { pool: b.pool }) });
          }
        },
      },
      hooks: {
        cordon: (id) => {
          if (mine() ? this.stale(run, "cordon", id) : true) return never;
          const node = this.nodeIndex(id);
          this.registry(node, { type: "cordon", owner: "rollout", reason: "rolling upgrade" }, true);
          if (this.controlPlaneUp) this.scheduler.setSchedulable(id, false);
        },
        drain: (id) => (!mine() || this.stale(run, "drain", id) ? never : this.rolloutDrain(this.nodeIndex(id), op, run, term)),
        upgrade: (id) => (!mine() || this.stale(run, "upgrade", id) ? never : this.rolloutUpgrade(this.nodeIndex(id), op, run, term)),
        resume: (id) => {
          if (mine() ? this.stale(run, "resume", id) : true) return never;
          const node = this.nodeIndex(id);
          if (this.drains[node] !== undefined) this.release(node);
          else this.registry(node, { type: "resume" }, true);
        },
        observe: (id) => {
          if (!mine()) return never;
          const node = this.nodeIndex(id);
          // Core's assessUpgrade decides: the version the node runs, its agent up, serving and taking traffic.
          return {
            version: this.version[node] === 2 ? "2" : "1",
            live: f.up[node] === 1,
            phase: f.phase(node),
            reportedAt: this.engine.clock.now(),
            ready: f.routable(node) && (this.traffic === undefined || this.traffic.participants[node]!.open),
          };
        },
      },
    });
    // A rebuilt controller plans what is left: the nodes not yet on the new version.
    const left = a.nodes === undefined ? undefined : a.nodes.filter((id) => this.version[this.nodeIndex(id)] !== 2);
    controller.start({ version: "2", ...(left === undefined ? {} : { nodes: left }) }).then(
      () => {
        if (!mine()) return;
        this.rollouts--;
        this.done(op);
      },
      (error: unknown) => {
        if (!mine()) return;
        this.rollouts--;
        this.done(op);
        this.checker.report("valid-transition", `the rollout stopped with an error: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    this.engine.pendingContinuations = true;
  }

  /** The rollout's drain hook: a drain through the control plane, asked again while the guard refuses. */
  protected rolloutDrain(node: number, op: Operator, run: RolloutRun, term: number): Promise<RolloutDrainResult> {
    return new Promise((resolve) => {
      const attempt = (): void => {
        if (run.term !== term) {
          // Fenced: the new leader's controller asks for itself.
          if (this.retries.get(node) === attempt) {
            this.retries.delete(node);
            this.waiting.delete(node);
          }
          return;
        }
        if (this.fleet.up[node] === 0 || this.drains[node] !== undefined || this.requestDrain(node, op, (outcome, reason) => {
          if (this.deposed(run, term)) {
            // The deposed leader's drain ended: the new leader puts the node back; its own rollout redoes it.
            this.release(node);
            return;
          }
          if (outcome === "drained") resolve({ status: "drained" });
          else {
            // An operator looks at a failed node and puts it back in service.
            this.release(node);
            resolve({ status: "failed", failure: reason });
          }
        }) !== "started") {
          this.waiting.set(node, this.fleet.up[node] === 0 ? { reason: "the node is down" } : this.drains[node] !== undefined ? { reason: "the node is already draining" } : this.refusal);
          this.engine.schedule(span(this.random, op.retryMs, 5_000), this.K.retryDrain!, node);
          return;
        }
        this.retries.delete(node);
        this.waiting.delete(node);
      };
      this.retries.set(node, attempt);
      attempt();
    });
  }

  /** The rollout's upgrade hook: the host stops (whatever it still serves is lost) and restarts on the new version. */
  protected rolloutUpgrade(node: number, op: Operator, run: RolloutRun, term: number): Promise<void> {
    this.stopForUpgrade(node);
    return new Promise((resolve) => {
      this.wakers.set(node, () => {
        this.wakers.delete(node);
        this.fleet.up[node] = 1;
        if (this.fleet.crashed[node] === 1) this.fleet.crashed[node] = 0;
        this.fleet.refresh(node);
        this.trace("upgraded", { node: this.fleet.ids[node] });
        if (this.version[node] !== 2) {
          this.version[node] = 2;
          this.rolloutUpgraded++;
        }
        if (this.deposed(run, term)) {
          // Upgraded under the deposed leader: the new one sees the new version and resumes the node.
          if (this.drains[node] !== undefined) this.release(node);
          return;
        }
        this.engine.pendingContinuations = true;
        resolve();
      });
      this.engine.schedule(span(this.random, op.upgradeMs, 30_000), this.K.wake!, node);
    });
  }

}
