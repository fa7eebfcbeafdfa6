import { RolloutController, type FleetNode, type RolloutDrainResult } from "@drainkit/core";
import { span } from "../model/sample.ts";
import type { ScenarioAction } from "../scenario/types.ts";
import { type Operator } from "./types.ts";
import { OperatorFlow } from "./OperatorFlow.ts";

/** A `rolling-upgrade` action driven by core's RolloutController through its hooks. */
export abstract class RolloutFlow extends OperatorFlow {
  // ---- core's RolloutController ----------------------------------------------------------

  /** The fleet as the rollout reads it before each wave: the registry's phases and health. */
  protected fleetView(): { nodes: FleetNode[] } {
    const f = this.fleet;
    const nodes = new Array<FleetNode>(f.size);
    for (let i = 0; i < f.size; i++) {
      const m = f.member[i]!;
      nodes[i] = { id: m.id, pools: m.pools, phase: m.phase, ...(m.roles === undefined ? {} : { roles: m.roles }), healthy: f.up[i] === 1, schedulable: f.schedulable(i) };
    }
    return { nodes };
  }

  protected startRollout(a: Extract<ScenarioAction, { type: "rolling-upgrade" }>): void {
    const f = this.fleet;
    const op = this.operator("rolling", "rollout", a.upgradeMs, undefined, a.retryMs);
    // One wave may fill every pool's budget at once.
    let room = 0;
    for (let p = 0; p < f.members.length; p++) room += Math.max(1, f.members[p]!.length - f.required[p]!);
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
          if (e.type === "rollout-wave-started") this.trace("rollout-wave", { wave: e.wave, nodes: e.nodes.length });
          // The controller's own admissions refused by the guard are refusals like any other.
          else if (e.type === "rollout-node" && e.phase === "deferred") this.counts.refused++;
          else if (e.type === "rollout-blocked") this.counts.refused += e.blocked.length;
          else if (e.type === "rollout-planned") this.rolloutTargets += e.plan.total;
          else if (e.type === "rollout-finished") {
            this.rolloutUpgraded += e.result.upgraded.length;
            this.trace("rollout-finished", { status: e.result.status, upgraded: e.result.upgraded.length, failed: e.result.failed.length });
            for (const b of e.result.blocked) this.blocked.push({ node: b.node, reason: `${b.reason}: ${b.detail}`, ...(b.pool === undefined ? {} : { pool: b.pool }) });
          }
        },
      },
      hooks: {
        cordon: (id) => {
          const node = this.nodeIndex(id);
          this.registry(node, { type: "cordon", owner: "rollout", reason: "rolling upgrade" }, true);
          if (this.controlPlaneUp) this.scheduler.setSchedulable(id, false);
        },
        drain: (id) => this.rolloutDrain(this.nodeIndex(id), op),
        upgrade: (id) => this.rolloutUpgrade(this.nodeIndex(id), op),
        resume: (id) => {
          const node = this.nodeIndex(id);
          if (this.drains[node] !== undefined) this.release(node);
          else this.registry(node, { type: "resume" }, true);
        },
        healthy: (id) => {
          const node = this.nodeIndex(id);
          return f.routable(node) && (this.traffic === undefined || this.traffic.participants[node]!.open);
        },
      },
    });
    controller.start({ version: "2", ...(a.nodes === undefined ? {} : { nodes: a.nodes }) }).then(
      () => {
        this.rollouts--;
        this.done(op);
      },
      (error: unknown) => {
        this.rollouts--;
        this.done(op);
        this.checker.report("valid-transition", `the rollout stopped with an error: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    this.engine.pendingContinuations = true;
  }

  /** The rollout's drain hook: a drain through the control plane, asked again while the guard refuses. */
  protected rolloutDrain(node: number, op: Operator): Promise<RolloutDrainResult> {
    return new Promise((resolve) => {
      const attempt = (): void => {
        if (this.fleet.up[node] === 0 || this.drains[node] !== undefined || this.requestDrain(node, op, (outcome, reason) => {
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
  protected rolloutUpgrade(node: number, op: Operator): Promise<void> {
    this.traffic?.stop(node);
    this.hosts.stop(node);
    this.coordinatorGen[node]!++;
    this.coordinators[node] = undefined;
    this.fleet.up[node] = 0;
    this.fleet.refresh(node);
    this.upGen[node]!++;
    return new Promise((resolve) => {
      this.wakers.set(node, () => {
        this.wakers.delete(node);
        this.fleet.up[node] = 1;
        if (this.fleet.crashed[node] === 1) this.fleet.crashed[node] = 0;
        this.fleet.refresh(node);
        this.trace("upgraded", { node: this.fleet.ids[node] });
        this.engine.pendingContinuations = true;
        resolve();
      });
      this.engine.schedule(span(this.random, op.upgradeMs, 30_000), this.K.wake!, node);
    });
  }

}
