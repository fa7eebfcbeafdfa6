import {
  CapacityGuard,
  DrainScheduler,
  NodeDrainCoordinator,
  SeededRandom,
  transitionNode,
  type DrainCoordinatorEvent,
  type DrainSchedulerOptions,
  type FleetDrainRecord,
  type DrainSchedulerEvent,
  type NodeEvent,
  type PlannedMove,
  type Random,
} from "@drainkit/core";
import { Engine, settle } from "../engine/Engine.ts";
import { Fleet } from "../model/fleet.ts";
import { InvariantChecker } from "../model/invariants.ts";
import { span, TrafficRandom } from "../model/sample.ts";
import { TrafficModel } from "../model/traffic.ts";
import { WorkloadHosts } from "../model/workloads.ts";
import type { Scenario, ScenarioAction } from "../scenario/types.ts";
import { TraceLog } from "./TraceLog.ts";
import {
  CP_TICK_MS,
  TRACE_TAIL,
  type BlockedDrain,
  type Drain,
  type GuardPort,
  type Operator,
  type RefusedCordon,
  type RolloutRun,
  type Sample,
  type SchedulerPort,
  type SimReport,
  type SimulationOptions,
  type TraceRecord,
} from "./types.ts";

/** The simulation's ledger and loop: state, set-up, the run, the trace, the registry and the pool check. */
export abstract class SimulationState {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly engine = new Engine({ capacity: 4096 });
  readonly fleet: Fleet;
  readonly traffic: TrafficModel | undefined;
  readonly hosts: WorkloadHosts;
  readonly checker: InvariantChecker;
  protected readonly options: SimulationOptions;
  protected readonly random: Random;
  protected readonly trafficRandom: Random;
  protected readonly guard: GuardPort;
  protected scheduler: SchedulerPort;
  protected schedulerTerm = 0;
  /** Created on a host's first drain: most of a 100k fleet never needs one at once. */
  protected readonly coordinators: (NodeDrainCoordinator | undefined)[];
  protected readonly coordinatorGen: Int32Array;
  /** The drain each node is in, as the control plane tracks it. */
  protected readonly drains: (Drain | undefined)[];
  protected readonly persisted = new Map<string, FleetDrainRecord>();
  protected readonly operators: Operator[] = [];
  protected readonly rolloutActions: Extract<ScenarioAction, { type: "rolling-upgrade" }>[] = [];
  protected readonly drainActions: Extract<ScenarioAction, { type: "drain" }>[] = [];
  /** Why the last {@link requestDrain} was refused, and the pool whose budget refused it. */
  protected refusal: { reason: string; pool?: string } = { reason: "" };
  protected readonly blocked: BlockedDrain[] = [];
  /** Cordons of `cordons` actions the guard refused, with its reason. */
  protected readonly cordonRefusals: RefusedCordon[] = [];
  protected cordoned = 0;
  protected readonly failedNodes: { node: string; reason: string }[] = [];
  /** Virtual time the last operator or rollout finished its work. */
  protected workDoneAt = 0;
  protected readonly retries = new Map<number, () => void>();
  /** Why the guard (or the node's state) last refused a rollout's drain that is still being asked again. */
  protected readonly waiting = new Map<number, { reason: string; pool?: string }>();
  protected readonly wakers = new Map<number, () => void>();
  protected readonly moves = new Map<number, PlannedMove>();
  protected nextMove = 1;
  protected readonly hung: Uint8Array;
  /** The newest epoch each node's agent reported drained (every role acknowledged): a fact of the ledger. */
  protected readonly ackedEpoch: Int32Array;
  protected readonly upGen: Int32Array;
  protected controlPlaneUp = true;
  /** Bumped when a leader loses its lease: controllers of an older term are fenced. */
  protected leaderTerm = 1;
  protected readonly rolloutRuns: RolloutRun[] = [];
  /** 2 once the node runs the new version (a rollout upgraded it). */
  protected readonly version: Uint8Array;
  /** Outages may overlap: the control plane is back only when the last one ends. */
  protected outageUntil = 0;
  protected outageTerm = 0;
  protected outageSince = 0;
  protected controlPlaneDownMs = 0;
  protected readonly deferred: [number, number, number][] = [];
  protected readonly schedulerEvents: DrainSchedulerEvent[] = [];
  protected readonly log = new TraceLog(TRACE_TAIL);
  protected readonly samples: Sample[] = [];
  protected violationTrace: TraceRecord[] = [];
  protected pendingFaults = 0;
  /** Nodes the rollouts planned to upgrade, and how many they did. */
  protected rolloutTargets = 0;
  protected rolloutUpgraded = 0;
  protected openDrains = 0;
  protected rollouts = 0;
  protected operatorsDone = 0;
  /** Pool counts before a phase change, one per pool of the node (reused). */
  protected poolScratch = new Int32Array(4);
  protected readonly counts = { started: 0, completed: 0, failed: 0, refused: 0, forced: 0 };
  protected readonly faults: Record<string, number> = {};
  protected readonly deadlineMs: number;
  protected readonly slackMs: number;
  protected peakHeap = 0;
  // Event kinds.
  protected readonly K: Record<string, number> = {};


  // Handlers of the later layers (drains, operators, rollouts, faults).
  protected abstract operatorStep(op: number): void;
  protected abstract agentDrain(node: number, epoch: number): void;
  protected abstract agentResume(node: number, gen: number): void;
  protected abstract moveDone(id: number): void;
  protected abstract upgradeDone(node: number, gen: number): void;
  protected abstract deadlineCheck(node: number, epoch: number): void;
  protected abstract fault(i: number): void;
  protected abstract recover(node: number, gen: number): void;
  protected abstract failoverUp(term: number): void;
  protected abstract uncordon(node: number, owner: number): void;
  protected abstract unhang(node: number): void;
  protected abstract rebuildRollouts(): void;
  protected abstract startRollout(a: Extract<ScenarioAction, { type: "rolling-upgrade" }>): void;
  protected abstract startDrainAction(a: Extract<ScenarioAction, { type: "drain" }>): void;
  protected abstract startActions(actions: readonly ScenarioAction[]): void;
  protected abstract startMove(move: PlannedMove): void;
  protected abstract drainEnded(node: number, epoch: number, outcome: "drained" | "failed", reason: string): void;
  protected abstract onCoordinatorEvent(node: number, gen: number, e: DrainCoordinatorEvent): void;

  constructor(scenario: Scenario, options: SimulationOptions = {}) {
    // A snapshot's fleet is what it is: its size cannot be overridden.
    const nodes = scenario.fleet.snapshot === undefined ? (options.nodes ?? scenario.fleet.nodes) : scenario.fleet.nodes;
    this.scenario = nodes === scenario.fleet.nodes ? scenario : { ...scenario, fleet: { ...scenario.fleet, nodes } };
    this.seed = options.seed ?? scenario.seed ?? 1;
    this.options = options;
    const root = new SeededRandom(this.seed);
    this.random = root.fork();
    this.trafficRandom = new TrafficRandom(root.int(-0x80000000, 0x7fffffff));
    this.checker = new InvariantChecker({ stopAtFirst: options.stopAtFirstViolation ?? true });
    this.fleet = new Fleet(this.scenario);
    const s = this.scenario;
    this.deadlineMs = s.drain?.deadlineMs ?? 120_000;
    this.slackMs = s.drain?.slackMs ?? 5_000;
    this.traffic =
      s.traffic === undefined || s.traffic.ratePerNode === 0
        ? undefined
        : new TrafficModel(this.fleet, { ratePerNode: s.traffic.ratePerNode, serviceMs: s.traffic.serviceMs, tickMs: s.traffic.tickMs ?? 100 }, this.trafficRandom, this.checker);
    const snapshot = s.fleet.snapshot;
    const generated = { owners: s.fleet.ownersPerNode ?? 2, children: (s.fleet.ownersPerNode ?? 2) * (s.fleet.childrenPerOwner ?? 2) };
    this.hosts = new WorkloadHosts(this.fleet, snapshot === undefined ? () => generated : (node) => snapshot.nodes[node]!.workloads, this.checker);
    this.guard = (options.guard ?? ((pools) => new CapacityGuard({ pools })))(this.fleet.pools);
    this.drains = new Array<Drain | undefined>(this.fleet.size).fill(undefined);
    this.hung = new Uint8Array(this.fleet.size);
    this.ackedEpoch = new Int32Array(this.fleet.size);
    this.version = new Uint8Array(this.fleet.size).fill(1);
    this.upGen = new Int32Array(this.fleet.size);
    this.coordinatorGen = new Int32Array(this.fleet.size);
    this.coordinators = new Array<NodeDrainCoordinator | undefined>(this.fleet.size).fill(undefined);
    this.scheduler = this.makeScheduler([]);
    this.registerKinds();
  }

  // ---- set-up ----------------------------------------------------------------

  protected coordinator(node: number): NodeDrainCoordinator {
    let c = this.coordinators[node];
    if (c === undefined) {
      c = this.makeCoordinator(node);
      this.coordinators[node] = c;
    }
    return c;
  }

  protected makeCoordinator(node: number): NodeDrainCoordinator {
    const gen = this.coordinatorGen[node]!;
    const participants = this.traffic === undefined ? [] : [this.traffic.participants[node]!];
    return new NodeDrainCoordinator({
      clock: this.engine.clock,
      participants,
      roles: [this.fleet.roleOf(node)],
      node: this.fleet.ids[node]!,
      events: { emit: (e) => this.onCoordinatorEvent(node, gen, e) },
    });
  }

  protected makeScheduler(records: readonly FleetDrainRecord[]): SchedulerPort {
    const fleet = this.fleet;
    const nodes = fleet.ids.map((id, i) => ({ id, pools: fleet.member[i]!.pools, phase: fleet.phase(i), healthy: fleet.up[i] === 1, schedulable: fleet.schedulable(i) }));
    this.schedulerTerm++;
    const options: DrainSchedulerOptions = {
      clock: this.engine.clock,
      fleet: { nodes, workloads: this.hosts.placement() },
      records,
      batchSize: 10,
      maxDrainsPerScope: Math.max(1, fleet.size),
      movePrefix: `t${this.schedulerTerm}-`,
      events: { emit: (e) => void this.schedulerEvents.push(e) },
    };
    return (this.options.scheduler ?? ((o) => new DrainScheduler(o)))(options);
  }

  protected registerKinds(): void {
    const e = this.engine;
    const k = this.K;
    k.trafficTick = e.register(() => this.trafficTick());
    k.cpTick = e.register(() => this.controlPlaneTick());
    k.operator = e.register((op) => this.operatorStep(op));
    k.agentDrain = e.register((node, epoch) => this.agentDrain(node, epoch));
    k.agentResume = e.register((node, gen) => this.agentResume(node, gen));
    k.cpIdle = e.register((node, epoch) => this.deliver(k.cpIdle!, node, epoch, () => this.scheduler.reportProgress({ target: this.fleet.ids[node]!, epoch, inFlight: 0 })));
    k.cpFailed = e.register((node, epoch) => this.deliver(k.cpFailed!, node, epoch, () => this.scheduler.failDrain(this.fleet.ids[node]!, epoch, "a participant missed the deadline")));
    k.moveDone = e.register((id) => this.moveDone(id));
    k.upgradeDone = e.register((node, gen) => this.upgradeDone(node, gen));
    k.deadlineCheck = e.register((node, epoch) => this.deadlineCheck(node, epoch));
    k.fault = e.register((i) => this.fault(i));
    k.recover = e.register((node, gen) => this.recover(node, gen));
    k.failoverUp = e.register((term) => this.failoverUp(term));
    k.uncordon = e.register((node, owner) => this.uncordon(node, owner));
    k.unhang = e.register((node) => this.unhang(node));
    k.rollout = e.register((i) => this.startRollout(this.rolloutActions[i]!));
    k.retryDrain = e.register((node) => this.retries.get(node)?.());
    k.wake = e.register((node) => this.wakers.get(node)?.());
    k.drainAction = e.register((i) => this.startDrainAction(this.drainActions[i]!));
  }

  // ---- running ---------------------------------------------------------------

  /** Runs the scenario to its end (every action done) or `durationMs`, whichever comes first. */
  async run(): Promise<SimReport> {
    const wallStart = performance.now();
    const s = this.scenario;
    this.startActions(s.actions);
    this.pendingFaults = s.faults?.length ?? 0;
    (s.faults ?? []).forEach((f, i) => this.engine.at(f.at, this.K.fault!, i));
    if (this.traffic !== undefined) this.engine.schedule(this.traffic.tickMs, this.K.trafficTick!);
    this.engine.schedule(CP_TICK_MS, this.K.cpTick!);
    // Samples for the charts are read between events, never scheduled as events:
    // `--html` must not change the event log, its count or the hash.
    const sampleEvery = this.options.sampleEveryMs ?? 0;
    let nextSample = sampleEvery > 0 ? 0 : Infinity;
    const checker = this.checker;
    const engine = this.engine;
    let nextProgress = 100_000;
    for (;;) {
      if (engine.pendingContinuations) {
        // Core's RolloutController awaits its hooks and the clock: let those continuations run before the next event.
        engine.pendingContinuations = false;
        await settle();
      }
      checker.eventIndex = engine.events;
      if (!engine.step(s.durationMs)) {
        if (engine.pendingContinuations) continue;
        break;
      }
      checker.atMs = engine.now;
      while (nextSample < engine.now && !this.finished) {
        this.sample(nextSample);
        nextSample += sampleEvery;
      }
      if (checker.failed && this.violationTrace.length === 0) {
        this.violationTrace = this.log.tail();
        if (checker.stopAtFirst) break;
      }
      if (engine.events >= nextProgress) {
        nextProgress += 100_000;
        this.options.onProgress?.(engine.now, engine.events);
        this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
      }
    }
    this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
    return this.report(performance.now() - wallStart);
  }

  protected get finished(): boolean {
    return this.pendingFaults === 0 && this.rollouts === 0 && this.openDrains === 0 && this.operatorsDone === this.operators.length && this.scheduler.activeDrains === 0;
  }

  protected trace(type: string, fields: Record<string, unknown>): void {
    const i = this.engine.events - 1;
    const t = Math.round(this.engine.now * 1000) / 1000;
    // The line is written from the parts; the record object is built only for a --trace consumer.
    this.log.addFields(i, t, type, fields);
    this.options.trace?.({ i, t, type, ...fields });
  }

  protected report(wallMs: number): SimReport {
    const fleet = this.fleet;
    const minAvailability: Record<string, number> = {};
    fleet.pools.forEach((p, i) => (minAvailability[p.name] = Math.round(fleet.minRatio[i]! * 10_000) / 10_000));
    const t = this.traffic;
    const outcome = {
      scenario: this.scenario.name,
      seed: this.seed,
      nodes: fleet.size,
      events: this.engine.events,
      simulatedMs: Math.round(this.engine.now),
      drains: { started: this.counts.started, completed: this.counts.completed, failed: this.counts.failed, refused: this.counts.refused },
      minAvailability,
      requests: { arrived: t?.arrived ?? 0, served: t?.served ?? 0, unroutable: t?.unroutable ?? 0, refused: t?.refused ?? 0, lostOnCrash: t?.lostOnCrash ?? 0 },
      lostRequests: t?.lost ?? 0,
      lostWorkloads: this.hosts.lost,
      workloadMoves: this.hosts.moves,
      forcedBreaches: this.counts.forced,
      faults: { ...this.faults },
      invariantViolations: this.checker.violations,
      finished: this.finished,
    };
    const hash = this.log.digest(JSON.stringify(outcome));
    // A rollout still asking the guard at the end, or an operator still waiting out a refusal, is blocked by its last refusal.
    const blocked: BlockedDrain[] = [...this.blocked, ...[...this.waiting].map(([node, why]) => ({ node: this.fleet.ids[node]!, ...why }))];
    for (const op of this.operators) if (!op.done && op.lastRefusal !== undefined) blocked.push(op.lastRefusal);
    const status: SimReport["status"] =
      this.checker.failed ? "violated" : blocked.length > 0 ? "blocked" : !this.finished || this.rolloutUpgraded < this.rolloutTargets ? "incomplete" : "completed";
    const wallSec = Math.max(wallMs, 0.001) / 1000;
    const poolFloors: Record<string, { size: number; required: number }> = {};
    fleet.pools.forEach((p, i) => (poolFloors[p.name] = { size: fleet.members[i]!.length, required: fleet.required[i]! }));
    return {
      ...outcome,
      poolFloors,
      wallMs: Math.round(wallMs),
      eventsPerSec: Math.round(this.engine.events / wallSec),
      speedup: Math.round(this.engine.now / Math.max(wallMs, 0.001)),
      violationTrace: this.violationTrace,
      peakHeapMB: Math.round(this.peakHeap / 1048576),
      hash,
      ...(this.samples.length > 0 ? { samples: this.samples } : {}),
      blocked,
      status,
      controlPlaneDownMs: Math.round(this.controlPlaneDownMs + (this.controlPlaneUp ? 0 : this.engine.now - this.outageSince)),
      notUpgraded: this.rolloutTargets - this.rolloutUpgraded,
      workDoneMs: Math.round(this.workDoneAt),
      failedDrains: [...this.failedNodes],
      cordons: { cordoned: this.cordoned, refused: this.cordonRefusals.length, refusals: [...this.cordonRefusals] },
    };
  }

  protected sample(t: number): void {
    const f = this.fleet;
    this.samples.push({ t, availability: f.pools.map((_, p) => f.available[p]! / f.members[p]!.length), drainsInFlight: f.totalDraining });
  }

  protected delay(): number {
    return span(this.random, this.scenario.network?.delayMs, 0);
  }

  // ---- traffic and the control plane's loop -----------------------------------

  protected trafficTick(): void {
    this.traffic!.tick();
    if (!this.finished) this.engine.schedule(this.traffic!.tickMs, this.K.trafficTick!);
  }

  protected controlPlaneTick(): void {
    // With no drain active the scheduler has nothing to plan (balancing is off here): the tick stays an event, the work is skipped.
    if (this.controlPlaneUp && this.scheduler.activeDrains > 0) {
      const moves = this.scheduler.tick();
      for (const move of moves) this.startMove(move);
      this.drainSchedulerEvents();
    }
    if (!this.finished) this.engine.schedule(CP_TICK_MS, this.K.cpTick!);
  }

  /** A message to the control plane while it is down waits until it is back (the agent retries). */
  protected deliver(kind: number, a: number, b: number, fn: () => void): void {
    if (!this.controlPlaneUp) {
      this.deferred.push([kind, a, b]);
      return;
    }
    fn();
    this.drainSchedulerEvents();
  }

  protected drainSchedulerEvents(): void {
    const events = this.schedulerEvents;
    while (events.length > 0) {
      const e = events.shift()!;
      switch (e.type) {
        case "fleet-drain-started":
          this.persisted.set(e.record.target, e.record);
          break;
        case "fleet-drain-completed":
          this.drainEnded(this.nodeIndex(e.target), e.epoch, "drained", "");
          break;
        case "fleet-drain-failed":
          this.drainEnded(this.nodeIndex(e.target), e.epoch, "failed", e.reason);
          break;
        default:
          break;
      }
    }
  }

  protected nodeIndex(id: string): number {
    return this.fleet.index(id);
  }

  /** Applies a node event to the registry's copy of the node and checks the phase change. */
  protected registry(node: number, event: NodeEvent, expectOk: boolean, forced = false): boolean {
    const f = this.fleet;
    const role = f.roleOf(node);
    const before = f.state[node]!.roles[role]!;
    const r = transitionNode(f.state[node]!, event, this.engine.clock.now());
    if (!r.ok) {
      if (expectOk) this.checker.refusedTransition(f.ids[node]!, r.error.message);
      return false;
    }
    if (!r.changed) return true;
    const pools = f.poolsOf(node);
    const poolsBefore = this.poolScratch.length >= pools.length ? this.poolScratch : (this.poolScratch = new Int32Array(pools.length * 2));
    for (let k = 0; k < pools.length; k++) poolsBefore[k] = f.available[pools[k]!]! + f.crashedAvailable[pools[k]!]!;
    f.state[node] = r.state;
    const after = r.state.roles[role]!;
    if (after.phase !== before.phase || after.epoch !== before.epoch) {
      this.checker.phaseChange(f.ids[node]!, role, before.phase, after.phase, before.epoch, after.epoch);
      f.refresh(node);
      this.checkPools(node, poolsBefore, forced);
      this.trace("phase", { node: f.ids[node], from: before.phase, to: after.phase, epoch: after.epoch });
    }
    return true;
  }

  /**
   * A phase change may cost each pool of the node availability only while the
   * pool stays within its budget, by the simulator's own ledger (never core's
   * numbers). Members down by crash count as available here: the guard cannot
   * prevent a crash, only drains on top of one. A pool that starts short of an
   * impossible budget is not the guard's doing either, so only a change that
   * makes it worse is a violation (the guard's own rule). A breach an admin
   * forced is counted, and only that change is excused: the check stays on.
   */
  protected checkPools(node: number, before: Int32Array, forced: boolean): void {
    const f = this.fleet;
    const pools = f.poolsOf(node);
    for (let k = 0; k < pools.length; k++) {
      const p = pools[k]!;
      const now = f.available[p]! + f.crashedAvailable[p]!;
      if (now >= before[k]! || now >= f.required[p]!) continue;
      if (forced) {
        this.counts.forced++;
        this.trace("forced-breach", { pool: f.pools[p]!.name, node: f.ids[node] });
        continue;
      }
      this.checker.report(
        "pool-availability",
        `pool ${f.pools[p]!.name}: ${f.available[p]} of ${f.members[p]!.length} available (${f.crashedAvailable[p]} down by crash), below the ${f.required[p]} its budget requires`,
        { pool: f.pools[p]!.name, node: f.ids[node]! },
      );
    }
  }
}
