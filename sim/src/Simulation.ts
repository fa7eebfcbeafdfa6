import type { PlannedMove } from "@drainkit/core";
import { pick, span } from "./model/sample.ts";
import type { ScenarioFault } from "./scenario/types.ts";
import { RolloutFlow } from "./simulation/RolloutFlow.ts";

export type { BlockedDrain, GuardPort, RefusedCordon, Sample, SchedulerPort, SimReport, SimulationOptions, TraceRecord } from "./simulation/types.ts";

/**
 * A deterministic discrete-event simulation of a fleet under maintenance. It
 * drives the real @drainkit/core (`CapacityGuard`, `DrainScheduler`, one
 * `NodeDrainCoordinator` per host, the node state machine) on virtual time,
 * and models only what lies outside the kit: hosts, traffic, moving
 * workloads, failures and network delay. Invariants are checked as every
 * event is handled; the first violation stops the run.
 *
 * @example
 * const report = await new Simulation(loadScenario("rolling-1k"), { seed: 7 }).run();
 * console.log(report.invariantViolations.length, report.hash);
 */
export class Simulation extends RolloutFlow {
  // ---- faults -------------------------------------------------------------------------

  protected fault(i: number): void {
    const f = this.scenario.faults![i]!;
    this.pendingFaults--;
    this.faults[f.type] = (this.faults[f.type] ?? 0) + 1;
    this.trace("fault", { fault: f.type });
    switch (f.type) {
      case "node-crash":
        for (const node of pick(this.random, this.fleet.size, f.count)) this.crash(node, f);
        break;
      case "destination-crash": {
        const targets = [...new Set([...this.moves.values()].map((m) => this.nodeIndex(m.to)))];
        const chosen = targets.length > 0 ? pick(this.random, targets.length, f.count).map((k) => targets[k]!) : pick(this.random, this.fleet.size, f.count);
        for (const node of chosen) this.crash(node, f);
        break;
      }
      case "hung-participant":
        if (this.traffic === undefined) break;
        for (const node of pick(this.random, this.fleet.size, f.count)) {
          // A request that never finishes: the drain can only end at its deadline.
          if (this.fleet.up[node] === 1 && this.hung[node] === 0 && this.traffic.stick(node)) this.hung[node] = 1;
        }
        break;
      case "stale-report": {
        // Duplicated, late messages: an agent's idle report of an earlier drain arrives during its next one.
        let left = f.count;
        for (let node = 0; node < this.fleet.size && left > 0; node++) {
          const d = this.drains[node];
          const old = this.ackedEpoch[node]!;
          if (d === undefined || d.settled || old === 0 || old >= d.epoch) continue;
          this.trace("stale-report", { node: this.fleet.ids[node], epoch: old, current: d.epoch });
          this.engine.schedule(this.delay(), this.K.cpIdle!, node, old);
          left--;
        }
        break;
      }
      case "agent-partition":
        break; // full-stack mode only (runScenario refuses it in core mode)
      case "coordinator-failover": {
        const until = this.engine.now + span(this.random, f.downMs, 2_000);
        if (this.controlPlaneUp) {
          this.outageSince = this.engine.now;
          this.leaderTerm++; // the leader lost its lease: what it runs in memory is fenced from now on
        }
        this.controlPlaneUp = false;
        // Overlapping outages combine: the leader is back when the last of them ends.
        if (until > this.outageUntil) {
          this.outageUntil = until;
          this.engine.at(until, this.K.failoverUp!, ++this.outageTerm);
        }
        break;
      }
    }
  }

  protected crash(node: number, f: Extract<ScenarioFault, { type: "node-crash" | "destination-crash" }>): void {
    const fleet = this.fleet;
    if (fleet.up[node] === 0) return;
    this.trace("crash", { node: fleet.ids[node] });
    this.traffic?.crash(node);
    this.hung[node] = 0;
    fleet.up[node] = 0;
    fleet.crashed[node] = 1;
    fleet.refresh(node);
    this.coordinatorGen[node]!++;
    if (this.controlPlaneUp) {
      for (const move of this.scheduler.nodeCrashed(fleet.ids[node]!)) this.forgetMove(move);
      this.drainSchedulerEvents();
    }
    this.upGen[node]!++;
    this.engine.schedule(span(this.random, f.recoverMs, 20_000), this.K.recover!, node, this.upGen[node]!);
  }

  protected forgetMove(move: PlannedMove): void {
    for (const [k, m] of this.moves) if (m.id === move.id) this.moves.delete(k);
  }

  protected recover(node: number, gen: number): void {
    if (gen !== this.upGen[node]) return;
    const fleet = this.fleet;
    fleet.up[node] = 1;
    fleet.crashed[node] = 0;
    fleet.refresh(node);
    // A restarted host has a fresh agent and coordinator; it reconciles its spec.
    this.coordinators[node] = undefined;
    if (this.controlPlaneUp) this.scheduler.nodeRecovered(fleet.ids[node]!);
    this.trace("recovered", { node: fleet.ids[node] });
    const d = this.drains[node];
    if (d !== undefined && !d.settled) this.engine.schedule(this.delay(), this.K.agentDrain!, node, d.epoch);
  }

  protected failoverUp(term: number): void {
    if (term !== this.outageTerm) return; // a later outage ends later
    this.controlPlaneDownMs += this.engine.now - this.outageSince;
    // The new leader has nothing in memory: it rebuilds from the persisted drain
    // records and the placement the hosts report, and adopts the moves still in
    // flight (the control plane persists each move before a host acts on it),
    // so none is planned twice and each still commits when its host reports.
    this.scheduler = this.makeScheduler([...this.persisted.values()]);
    const inFlight = [...this.moves];
    this.moves.clear();
    let adopted = 0;
    for (const [id, move] of inFlight) {
      if (!this.scheduler.adoptMove(move)) continue;
      this.moves.set(id, move);
      adopted++;
    }
    this.controlPlaneUp = true;
    this.trace("failover", { term: this.schedulerTerm, records: this.persisted.size, adopted });
    for (let node = 0; node < this.fleet.size; node++) {
      const d = this.drains[node];
      if (d !== undefined && !d.settled && this.coordinators[node]?.snapshot().status === "drained") this.engine.schedule(this.delay(), this.K.cpIdle!, node, d.epoch);
    }
    for (const [kind, a, b] of this.deferred.splice(0)) this.engine.schedule(0, kind, a, b);
    this.rebuildRollouts();
  }

  protected unhang(node: number): void {
    if (this.hung[node] === 0 || this.traffic === undefined) return;
    this.hung[node] = 0;
    this.traffic.unstick(node);
  }
}

