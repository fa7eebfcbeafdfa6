import { isDrainkitError, type DrainCoordinatorEvent, type PlannedMove } from "@drainkit/core";
import { SIM_EPOCH_MS } from "../engine/Engine.ts";
import { span } from "../model/sample.ts";
import { CP_TICK_MS, type Drain, type Operator } from "./types.ts";
import { SimulationState } from "./SimulationState.ts";

/** Drains through the control plane: admission, the agents' coordinators, completion, release, and the workload moves. */
export abstract class DrainFlow extends SimulationState {
  /**
   * Upgrade: the host stops now (whatever it still serves is lost) and will
   * come back as a new process, with a fresh agent and coordinator; the
   * caller schedules its return under the new `upGen`.
   */
  protected stopForUpgrade(node: number): void {
    this.traffic?.stop(node);
    this.hosts.stop(node);
    this.coordinatorGen[node]!++;
    this.coordinators[node] = undefined;
    this.fleet.up[node] = 0;
    this.fleet.refresh(node);
    this.upGen[node]!++;
  }

  // ---- drains ------------------------------------------------------------------

  /** An operator asks for a drain: guard, then scheduler, then the registry, in one step (one store transaction). */
  protected requestDrain(node: number, op: Operator, onEnd?: Drain["onEnd"], force?: string): "started" | "refused" {
    const f = this.fleet;
    const id = f.ids[node]!;
    const refuse = (reason: string, pool?: string): "refused" => {
      this.refusal = { reason, ...(pool === undefined ? {} : { pool }) };
      return "refused";
    };
    if (!this.controlPlaneUp) return refuse("the control plane is failing over");
    if (f.up[node] === 0) return refuse("the node is down");
    if (this.drains[node] !== undefined) return refuse("the node is already draining");
    const phase = f.phase(node);
    if (phase !== "active" && phase !== "cordoned") return refuse(`the node is ${phase}`);
    const decision = this.guard.admit(f.guardView(node), { kind: "drain", node: id, ...(force === undefined ? { queue: true } : { force: { reason: force } }) });
    if (decision.outcome !== "allowed") {
      this.counts.refused++;
      // ARCHITECTURE.md: a budget refuses a drain "unless an admin forces it with a reason".
      if (force !== undefined) this.checker.report("forced-admission", `the guard refused ${id}, which an admin forced ("${force}"): ${decision.error.message}`, { node: id });
      return refuse(decision.error.message, decision.pools.find((p) => p.availableAfter < p.required || p.schedulableAfter < p.requiredSchedulable)?.pool ?? f.pools[f.poolOf[node]!]!.name);
    }
    const epoch = f.state[node]!.epoch + 1;
    const deadline = this.engine.clock.now() + this.deadlineMs;
    try {
      const start = this.scheduler.startDrain({ target: id, deadline, epoch });
      if (start.outcome !== "started") return refuse(`the drain scheduler answered ${start.outcome}`);
    } catch (error) {
      if (isDrainkitError(error) && error.retryable) {
        this.counts.refused++;
        return refuse(error.message);
      }
      throw error;
    }
    if (!this.registry(node, { type: "drain", reason: force ?? `${op.name}`, deadline, epoch, owner: op.name }, true, force !== undefined)) return refuse("the node's state machine refused the drain");
    this.scheduler.setSchedulable(id, false);
    this.drains[node] = { node, epoch, operator: op.id, deadline, settled: false, ...(onEnd === undefined ? {} : { onEnd }) };
    this.openDrains++;
    this.counts.started++;
    this.trace("drain-requested", { node: id, epoch, operator: op.name });
    this.engine.schedule(this.delay(), this.K.agentDrain!, node, epoch);
    this.engine.schedule(deadline - SIM_EPOCH_MS - this.engine.now + this.slackMs, this.K.deadlineCheck!, node, epoch);
    this.drainSchedulerEvents();
    return "started";
  }

  /** The node's agent received its drain: its real coordinator closes the gates. */
  protected agentDrain(node: number, epoch: number): void {
    const f = this.fleet;
    if (f.up[node] === 0) return; // reconciled from the spec when the host comes back
    const d = this.drains[node];
    if (d === undefined || d.epoch !== epoch || d.settled) return;
    this.coordinator(node).drain({ deadline: d.deadline, reason: "maintenance", epoch, roles: [f.roleOf(node)] }).catch(() => {});
  }

  protected onCoordinatorEvent(node: number, gen: number, e: DrainCoordinatorEvent): void {
    if (gen !== this.coordinatorGen[node]) return;
    switch (e.type) {
      case "drained":
        if (e.epoch > this.ackedEpoch[node]!) this.ackedEpoch[node] = e.epoch;
        this.trace("agent-idle", { node: this.fleet.ids[node], epoch: e.epoch });
        this.engine.schedule(this.delay(), this.K.cpIdle!, node, e.epoch);
        break;
      case "drain-failed":
        if (e.cause === "deadline" || e.cause === "participant-error") {
          this.trace("agent-failed", { node: this.fleet.ids[node], epoch: e.epoch, cause: e.cause, blocking: e.blocking });
          this.engine.schedule(this.delay(), this.K.cpFailed!, node, e.epoch);
        }
        break;
      case "role-phase-changed":
        if (e.from !== e.to) this.checker.phaseChange(`${this.fleet.ids[node]!} (agent)`, e.role, e.from, e.to, e.epoch, e.epoch);
        break;
      default:
        break;
    }
  }

  /** The scheduler says the drain is over: the registry records it and the operator carries on. */
  protected drainEnded(node: number, epoch: number, outcome: "drained" | "failed", reason: string): void {
    const d = this.drains[node];
    if (d === undefined || d.epoch !== epoch || d.settled) return;
    d.settled = true;
    const id = this.fleet.ids[node]!;
    if (outcome === "failed") this.failedNodes.push({ node: id, reason });
    else this.checkTruthful(node, epoch);
    if (d.onEnd !== undefined) {
      if (outcome === "drained") this.counts.completed++;
      else this.counts.failed++;
      this.registry(node, outcome === "drained" ? { type: "drained", epoch } : { type: "fail", epoch, reason }, true);
      this.trace(outcome === "drained" ? "drained" : "drain-failed", { node: id, epoch, ...(reason === "" ? {} : { reason }) });
      this.engine.pendingContinuations = true;
      d.onEnd(outcome, reason);
      return;
    }
    if (outcome === "drained") {
      this.counts.completed++;
      this.registry(node, { type: "drained", epoch }, true);
      this.trace("drained", { node: id, epoch });
      const op = this.operators[d.operator]!;
      this.stopForUpgrade(node);
      this.engine.schedule(span(this.random, op.upgradeMs ?? op.holdMs, 30_000), this.K.upgradeDone!, node, this.upGen[node]!);
    } else {
      this.counts.failed++;
      this.registry(node, { type: "fail", epoch, reason }, true);
      this.trace("drain-failed", { node: id, epoch, reason });
      this.release(node);
    }
  }

  /**
   * The moment a drain is reported drained, the host must hold nothing: no
   * request in flight, no workload, and its agent must have acknowledged the
   * drain of this epoch (every role). Checked on the hosts' ledger, so a
   * scheduler that reports completion early is caught here, not only when the
   * host is later stopped (a held `drain` action never stops it).
   */
  protected checkTruthful(node: number, epoch: number): void {
    const inFlight = this.traffic?.inFlight(node) ?? 0;
    const workloads = this.hosts.owned[node]!;
    const acked = this.ackedEpoch[node]! >= epoch;
    if (inFlight === 0 && workloads === 0 && acked) return;
    this.checker.report(
      "drain-truthful",
      `${this.fleet.ids[node]!} was reported drained (epoch ${epoch}) with ${inFlight} request(s) in flight and ${workloads} workload(s) on it${acked ? "" : ", before its agent acknowledged the drain"}`,
      { node: this.fleet.ids[node]! },
    );
  }

  protected upgradeDone(node: number, gen: number): void {
    if (gen !== this.upGen[node]) return;
    this.fleet.up[node] = 1;
    if (this.fleet.crashed[node] === 1) {
      // It crashed after its drain completed; the upgrade restarts it anyway.
      this.fleet.crashed[node] = 0;
      this.coordinators[node] = undefined;
      if (this.controlPlaneUp) this.scheduler.nodeRecovered(this.fleet.ids[node]!);
    }
    this.fleet.refresh(node);
    this.trace("upgraded", { node: this.fleet.ids[node] });
    this.release(node);
  }

  /** The operator is done with the node: resume it everywhere and move on. */
  protected release(node: number): void {
    const d = this.drains[node]!;
    this.drains[node] = undefined;
    this.openDrains--;
    const id = this.fleet.ids[node]!;
    this.registry(node, { type: "resume" }, true);
    this.persisted.delete(id);
    // Moves of the drain still in flight are cancelled: their workloads stay here, a late commit of one is stale.
    if (this.controlPlaneUp) for (const m of this.scheduler.resumeNode(id)) this.trace("move-cancelled", { id: m.id, workload: m.workload, from: m.from, to: m.to });
    this.engine.schedule(this.delay(), this.K.agentResume!, node, this.coordinatorGen[node]!);
    if (d.onEnd !== undefined) return;
    const op = this.operators[d.operator]!;
    op.busy--;
    this.engine.schedule(0, this.K.operator!, op.id);
  }

  protected agentResume(node: number, gen: number): void {
    if (gen !== this.coordinatorGen[node] || this.fleet.up[node] === 0) return;
    // A drain asked since the resume was sent makes it stale: applied after the newer drain, it would cancel it.
    if (this.drains[node] !== undefined) return;
    this.coordinators[node]?.resume().catch(() => {});
    if (this.hung[node] === 1) this.engine.schedule(this.traffic?.tickMs ?? 100, this.K.unhang!, node);
  }

  protected deadlineCheck(node: number, epoch: number): void {
    const f = this.fleet;
    const role = f.state[node]!.roles[f.roleOf(node)]!;
    if (role.phase === "draining" && role.epoch === epoch) {
      this.checker.report("drain-ends-by-deadline", `${f.ids[node]!} still draining epoch ${epoch} ${this.slackMs} ms past its deadline`, { node: f.ids[node]! });
    }
  }

  // ---- workload moves ------------------------------------------------------------

  protected startMove(move: PlannedMove): void {
    const id = this.nextMove++;
    this.moves.set(id, move);
    this.trace("move", { id: move.id, workload: move.workload, from: move.from, to: move.to });
    this.engine.schedule(span(this.random, this.scenario.drain?.moveMs, 500), this.K.moveDone!, id);
  }

  protected moveDone(id: number): void {
    const move = this.moves.get(id);
    if (move === undefined) return;
    this.moves.delete(id);
    const from = this.nodeIndex(move.from);
    const to = this.nodeIndex(move.to);
    if (!this.controlPlaneUp) {
      // The host retries its report once the control plane is back.
      this.moves.set(id, move);
      this.engine.schedule(CP_TICK_MS, this.K.moveDone!, id);
      return;
    }
    if (this.fleet.up[to] === 0 || this.fleet.up[from] === 0) {
      this.scheduler.moveFailed(move, this.fleet.up[to] === 0 ? `destination ${move.to} is down` : `source ${move.from} is down`);
      this.drainSchedulerEvents();
      return;
    }
    // Ownership flips only if the scheduler commits; otherwise the new copy is stopped.
    if (this.scheduler.moveCommitted(move)) this.hosts.commit(move, to, from);
    this.drainSchedulerEvents();
  }

}
