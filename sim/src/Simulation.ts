import { createHash } from "node:crypto";
import {
  CapacityGuard,
  RolloutController,
  DrainScheduler,
  NodeDrainCoordinator,
  SeededRandom,
  isDrainkitError,
  transitionNode,
  type AdmissionDecision,
  type AdmissionRequest,
  type DrainCoordinatorEvent,
  type DrainSchedulerOptions,
  type FleetDrainRecord,
  type GuardFleetView,
  type DrainSchedulerEvent,
  type NodeEvent,
  type PlannedMove,
  type PoolBudget,
  type Random,
  type FleetNode,
  type RolloutDrainResult,
} from "@drainkit/core";
import { Engine, SIM_EPOCH_MS, settle } from "./engine/Engine.ts";
import { Fleet } from "./model/fleet.ts";
import { InvariantChecker, type InvariantViolation } from "./model/invariants.ts";
import { pick, span, TrafficRandom } from "./model/sample.ts";
import { TrafficModel } from "./model/traffic.ts";
import { WorkloadHosts } from "./model/workloads.ts";
import type { Scenario, ScenarioAction, ScenarioFault, Span } from "./scenario/types.ts";

/** What the simulator needs of a capacity guard: core's `CapacityGuard`, or a wrapper around it. */
export interface GuardPort {
  admit(fleet: GuardFleetView, request: AdmissionRequest): AdmissionDecision;
}

/** What the simulator needs of a drain scheduler: core's `DrainScheduler`, or a wrapper around it. */
export type SchedulerPort = Pick<
  DrainScheduler,
  "startDrain" | "tick" | "moveCommitted" | "moveFailed" | "nodeCrashed" | "nodeRecovered" | "reportProgress" | "failDrain" | "resumeNode" | "setSchedulable" | "activeDrains" | "adoptMove"
>;

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Overrides the scenario's node count. */
  readonly nodes?: number;
  /** Builds the capacity guard from the pool budgets; default core's `CapacityGuard`. */
  readonly guard?: (pools: readonly PoolBudget[]) => GuardPort;
  /** Builds the drain scheduler (again after each failover); default core's `DrainScheduler`. */
  readonly scheduler?: (options: DrainSchedulerOptions) => SchedulerPort;
  /** Receives every trace record (the event log), e.g. to write `--trace out.jsonl`. */
  readonly trace?: (record: TraceRecord) => void;
  /** Called about every 100,000 events with the virtual time reached. */
  readonly onProgress?: (simulatedMs: number, events: number) => void;
  /** Samples pool availability and drains in flight this often (virtual ms) for the HTML report; 0 = off. */
  readonly sampleEveryMs?: number;
  /** Stop at the first invariant violation (default true). */
  readonly stopAtFirstViolation?: boolean;
}

/** One line of the event log. */
export interface TraceRecord {
  readonly i: number;
  readonly t: number;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A sample of the fleet for the charts of the HTML report. */
export interface Sample {
  readonly t: number;
  /** Available / total per pool, in pool order. */
  readonly availability: readonly number[];
  readonly drainsInFlight: number;
}

/** The outcome of a run. */
export interface SimReport {
  readonly scenario: string;
  readonly seed: number;
  readonly nodes: number;
  readonly events: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
  readonly eventsPerSec: number;
  /** Simulated time over wall time. */
  readonly speedup: number;
  readonly drains: { readonly started: number; readonly completed: number; readonly failed: number; readonly refused: number };
  readonly minAvailability: Readonly<Record<string, number>>;
  readonly requests: { readonly arrived: number; readonly served: number; readonly unroutable: number; readonly refused: number; readonly lostOnCrash: number };
  readonly lostRequests: number;
  readonly lostWorkloads: number;
  readonly workloadMoves: number;
  readonly forcedBreaches: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly invariantViolations: readonly InvariantViolation[];
  /** The last trace records before the first violation (empty when none). */
  readonly violationTrace: readonly TraceRecord[];
  /** True when every action finished before `durationMs`. */
  readonly finished: boolean;
  readonly peakHeapMB: number;
  /** Digest of the event log and the outcome: equal for the same seed and scenario. */
  readonly hash: string;
  readonly samples?: readonly Sample[];
  /** Nodes a `drain` or `rolling-upgrade` action could not drain, with the reason (not part of `hash`). */
  readonly blocked: readonly BlockedDrain[];
  /** Virtual ms at which the last action finished its work (later events are only deadline checks and ticks; not part of `hash`). */
  readonly workDoneMs: number;
  /** Nodes whose drain failed (deadline, participant error), with the reason (not part of `hash`). */
  readonly failedDrains: readonly { readonly node: string; readonly reason: string }[];
}

/** A node an action could not drain, and why (the guard's refusal, or the node's state). */
export interface BlockedDrain {
  readonly node: string;
  readonly reason: string;
  /** The pool whose budget refused it. */
  readonly pool?: string;
}

interface Operator {
  readonly id: number;
  readonly kind: "drains" | "rolling" | "cordons";
  readonly name: string;
  /** rolling: the pool's members still to upgrade, in order. */
  queue: number[];
  remaining: number;
  busy: number;
  readonly holdMs: Span | undefined;
  readonly retryMs: Span | undefined;
  readonly upgradeMs: Span | undefined;
  done: boolean;
}

interface Drain {
  readonly node: number;
  readonly epoch: number;
  readonly operator: number;
  readonly deadline: number;
  settled: boolean;
  /** Set when core's RolloutController drives this drain: it decides what happens next. */
  readonly onEnd?: (outcome: "drained" | "failed", reason: string) => void;
}

const TRACE_TAIL = 40;
const CP_TICK_MS = 200;

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
export class Simulation {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly engine = new Engine({ capacity: 4096 });
  readonly fleet: Fleet;
  readonly traffic: TrafficModel | undefined;
  readonly hosts: WorkloadHosts;
  readonly checker: InvariantChecker;
  readonly #options: SimulationOptions;
  readonly #random: Random;
  readonly #trafficRandom: Random;
  readonly #guard: GuardPort;
  #scheduler: SchedulerPort;
  #schedulerTerm = 0;
  /** Created on a host's first drain: most of a 100k fleet never needs one at once. */
  readonly #coordinators: (NodeDrainCoordinator | undefined)[];
  readonly #coordinatorGen: Int32Array;
  /** The drain each node is in, as the control plane tracks it. */
  readonly #drains: (Drain | undefined)[];
  readonly #persisted = new Map<string, FleetDrainRecord>();
  readonly #operators: Operator[] = [];
  readonly #rolloutActions: Extract<ScenarioAction, { type: "rolling-upgrade" }>[] = [];
  readonly #drainActions: Extract<ScenarioAction, { type: "drain" }>[] = [];
  /** Why the last {@link #requestDrain} was refused, and the pool whose budget refused it. */
  #refusal: { reason: string; pool?: string } = { reason: "" };
  readonly #blocked: BlockedDrain[] = [];
  readonly #failedNodes: { node: string; reason: string }[] = [];
  /** Virtual time the last operator or rollout finished its work. */
  #workDoneAt = 0;
  readonly #retries = new Map<number, () => void>();
  /** Why the guard (or the node's state) last refused a rollout's drain that is still being asked again. */
  readonly #waiting = new Map<number, { reason: string; pool?: string }>();
  readonly #wakers = new Map<number, () => void>();
  readonly #moves = new Map<number, PlannedMove>();
  #nextMove = 1;
  readonly #hung: Uint8Array;
  readonly #upGen: Int32Array;
  #controlPlaneUp = true;
  readonly #deferred: [number, number, number][] = [];
  readonly #schedulerEvents: DrainSchedulerEvent[] = [];
  readonly #tail: TraceRecord[] = [];
  readonly #hash = createHash("sha256");
  readonly #samples: Sample[] = [];
  #violationTrace: TraceRecord[] = [];
  #pendingFaults = 0;
  #openDrains = 0;
  #rollouts = 0;
  #operatorsDone = 0;
  readonly #counts = { started: 0, completed: 0, failed: 0, refused: 0, forced: 0 };
  readonly #faults: Record<string, number> = {};
  readonly #deadlineMs: number;
  readonly #slackMs: number;
  #peakHeap = 0;
  // Event kinds.
  readonly #K: Record<string, number> = {};

  constructor(scenario: Scenario, options: SimulationOptions = {}) {
    // A snapshot's fleet is what it is: its size cannot be overridden.
    const nodes = scenario.fleet.snapshot === undefined ? (options.nodes ?? scenario.fleet.nodes) : scenario.fleet.nodes;
    this.scenario = nodes === scenario.fleet.nodes ? scenario : { ...scenario, fleet: { ...scenario.fleet, nodes } };
    this.seed = options.seed ?? scenario.seed ?? 1;
    this.#options = options;
    const root = new SeededRandom(this.seed);
    this.#random = root.fork();
    this.#trafficRandom = new TrafficRandom(root.int(-0x80000000, 0x7fffffff));
    this.checker = new InvariantChecker({ stopAtFirst: options.stopAtFirstViolation ?? true });
    this.fleet = new Fleet(this.scenario);
    const s = this.scenario;
    this.#deadlineMs = s.drain?.deadlineMs ?? 120_000;
    this.#slackMs = s.drain?.slackMs ?? 5_000;
    this.traffic =
      s.traffic === undefined || s.traffic.ratePerNode === 0
        ? undefined
        : new TrafficModel(this.fleet, { ratePerNode: s.traffic.ratePerNode, serviceMs: s.traffic.serviceMs, tickMs: s.traffic.tickMs ?? 100 }, this.#trafficRandom, this.checker);
    const snapshot = s.fleet.snapshot;
    const generated = { owners: s.fleet.ownersPerNode ?? 2, children: (s.fleet.ownersPerNode ?? 2) * (s.fleet.childrenPerOwner ?? 2) };
    this.hosts = new WorkloadHosts(this.fleet, snapshot === undefined ? () => generated : (node) => snapshot.nodes[node]!.workloads, this.checker);
    this.#guard = (options.guard ?? ((pools) => new CapacityGuard({ pools })))(this.fleet.pools);
    this.#drains = new Array<Drain | undefined>(this.fleet.size).fill(undefined);
    this.#hung = new Uint8Array(this.fleet.size);
    this.#upGen = new Int32Array(this.fleet.size);
    this.#coordinatorGen = new Int32Array(this.fleet.size);
    this.#coordinators = new Array<NodeDrainCoordinator | undefined>(this.fleet.size).fill(undefined);
    this.#scheduler = this.#makeScheduler([]);
    this.#registerKinds();
  }

  // ---- set-up ----------------------------------------------------------------

  #coordinator(node: number): NodeDrainCoordinator {
    let c = this.#coordinators[node];
    if (c === undefined) {
      c = this.#makeCoordinator(node);
      this.#coordinators[node] = c;
    }
    return c;
  }

  #makeCoordinator(node: number): NodeDrainCoordinator {
    const gen = this.#coordinatorGen[node]!;
    const participants = this.traffic === undefined ? [] : [this.traffic.participants[node]!];
    return new NodeDrainCoordinator({
      clock: this.engine.clock,
      participants,
      roles: [this.fleet.roleOf(node)],
      node: this.fleet.ids[node]!,
      events: { emit: (e) => this.#onCoordinatorEvent(node, gen, e) },
    });
  }

  #makeScheduler(records: readonly FleetDrainRecord[]): SchedulerPort {
    const fleet = this.fleet;
    const nodes = fleet.ids.map((id, i) => ({ id, pools: fleet.member[i]!.pools, phase: fleet.phase(i), healthy: fleet.up[i] === 1, schedulable: fleet.schedulable(i) }));
    this.#schedulerTerm++;
    const options: DrainSchedulerOptions = {
      clock: this.engine.clock,
      fleet: { nodes, workloads: this.hosts.placement() },
      records,
      batchSize: 10,
      maxDrainsPerScope: Math.max(1, fleet.size),
      movePrefix: `t${this.#schedulerTerm}-`,
      events: { emit: (e) => void this.#schedulerEvents.push(e) },
    };
    return (this.#options.scheduler ?? ((o) => new DrainScheduler(o)))(options);
  }

  #registerKinds(): void {
    const e = this.engine;
    const k = this.#K;
    k.trafficTick = e.register(() => this.#trafficTick());
    k.cpTick = e.register(() => this.#controlPlaneTick());
    k.operator = e.register((op) => this.#operatorStep(op));
    k.agentDrain = e.register((node, epoch) => this.#agentDrain(node, epoch));
    k.agentResume = e.register((node, gen) => this.#agentResume(node, gen));
    k.cpIdle = e.register((node, epoch) => this.#deliver(k.cpIdle!, node, epoch, () => this.#scheduler.reportProgress({ target: this.fleet.ids[node]!, epoch, inFlight: 0 })));
    k.cpFailed = e.register((node, epoch) => this.#deliver(k.cpFailed!, node, epoch, () => this.#scheduler.failDrain(this.fleet.ids[node]!, epoch, "a participant missed the deadline")));
    k.moveDone = e.register((id) => this.#moveDone(id));
    k.upgradeDone = e.register((node, gen) => this.#upgradeDone(node, gen));
    k.deadlineCheck = e.register((node, epoch) => this.#deadlineCheck(node, epoch));
    k.fault = e.register((i) => this.#fault(i));
    k.recover = e.register((node, gen) => this.#recover(node, gen));
    k.failoverUp = e.register(() => this.#failoverUp());
    k.uncordon = e.register((node, owner) => this.#uncordon(node, owner));
    k.unhang = e.register((node) => this.#unhang(node));
    k.sample = e.register(() => this.#sample());
    k.rollout = e.register((i) => this.#startRollout(this.#rolloutActions[i]!));
    k.retryDrain = e.register((node) => this.#retries.get(node)?.());
    k.wake = e.register((node) => this.#wakers.get(node)?.());
    k.drainAction = e.register((i) => this.#startDrainAction(this.#drainActions[i]!));
  }

  // ---- running ---------------------------------------------------------------

  /** Runs the scenario to its end (every action done) or `durationMs`, whichever comes first. */
  async run(): Promise<SimReport> {
    const wallStart = performance.now();
    const s = this.scenario;
    this.#startActions(s.actions);
    this.#pendingFaults = s.faults?.length ?? 0;
    (s.faults ?? []).forEach((f, i) => this.engine.at(f.at, this.#K.fault!, i));
    if (this.traffic !== undefined) this.engine.schedule(this.traffic.tickMs, this.#K.trafficTick!);
    this.engine.schedule(CP_TICK_MS, this.#K.cpTick!);
    const sampleEvery = this.#options.sampleEveryMs ?? 0;
    if (sampleEvery > 0) this.engine.schedule(0, this.#K.sample!);
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
      if (checker.failed && this.#violationTrace.length === 0) {
        this.#violationTrace = [...this.#tail];
        if (checker.stopAtFirst) break;
      }
      if (engine.events >= nextProgress) {
        nextProgress += 100_000;
        this.#options.onProgress?.(engine.now, engine.events);
        this.#peakHeap = Math.max(this.#peakHeap, process.memoryUsage().heapUsed);
      }
    }
    this.#peakHeap = Math.max(this.#peakHeap, process.memoryUsage().heapUsed);
    return this.#report(performance.now() - wallStart);
  }

  get #finished(): boolean {
    return this.#pendingFaults === 0 && this.#rollouts === 0 && this.#openDrains === 0 && this.#operatorsDone === this.#operators.length && this.#scheduler.activeDrains === 0;
  }

  #trace(type: string, fields: Record<string, unknown>): void {
    const record: TraceRecord = { i: this.engine.events - 1, t: Math.round(this.engine.now * 1000) / 1000, type, ...fields };
    const line = JSON.stringify(record);
    this.#hash.update(line);
    this.#hash.update("\n");
    this.#tail.push(record);
    if (this.#tail.length > TRACE_TAIL) this.#tail.shift();
    this.#options.trace?.(record);
  }

  #report(wallMs: number): SimReport {
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
      drains: { started: this.#counts.started, completed: this.#counts.completed, failed: this.#counts.failed, refused: this.#counts.refused },
      minAvailability,
      requests: { arrived: t?.arrived ?? 0, served: t?.served ?? 0, unroutable: t?.unroutable ?? 0, refused: t?.refused ?? 0, lostOnCrash: t?.lostOnCrash ?? 0 },
      lostRequests: t?.lost ?? 0,
      lostWorkloads: this.hosts.lost,
      workloadMoves: this.hosts.moves,
      forcedBreaches: this.#counts.forced,
      faults: { ...this.#faults },
      invariantViolations: this.checker.violations,
      finished: this.#finished,
    };
    const hash = this.#hash.update(JSON.stringify(outcome)).digest("hex");
    const wallSec = Math.max(wallMs, 0.001) / 1000;
    return {
      ...outcome,
      wallMs: Math.round(wallMs),
      eventsPerSec: Math.round(this.engine.events / wallSec),
      speedup: Math.round(this.engine.now / Math.max(wallMs, 0.001)),
      violationTrace: this.#violationTrace,
      peakHeapMB: Math.round(this.#peakHeap / 1048576),
      hash,
      ...(this.#samples.length > 0 ? { samples: this.#samples } : {}),
      // A rollout still asking the guard at the end is blocked by the last refusal.
      blocked: [...this.#blocked, ...[...this.#waiting].map(([node, why]) => ({ node: this.fleet.ids[node]!, ...why }))],
      workDoneMs: Math.round(this.#workDoneAt),
      failedDrains: [...this.#failedNodes],
    };
  }

  #sample(): void {
    const f = this.fleet;
    this.#samples.push({ t: this.engine.now, availability: f.pools.map((_, p) => f.available[p]! / f.members[p]!.length), drainsInFlight: f.totalDraining });
    if (!this.#finished) this.engine.schedule(this.#options.sampleEveryMs ?? 1000, this.#K.sample!);
  }

  #delay(): number {
    return span(this.#random, this.scenario.network?.delayMs, 0);
  }

  // ---- traffic and the control plane's loop -----------------------------------

  #trafficTick(): void {
    this.traffic!.tick();
    if (!this.#finished) this.engine.schedule(this.traffic!.tickMs, this.#K.trafficTick!);
  }

  #controlPlaneTick(): void {
    if (this.#controlPlaneUp) {
      const moves = this.#scheduler.tick();
      for (const move of moves) this.#startMove(move);
      this.#drainSchedulerEvents();
    }
    if (!this.#finished) this.engine.schedule(CP_TICK_MS, this.#K.cpTick!);
  }

  /** A message to the control plane while it is down waits until it is back (the agent retries). */
  #deliver(kind: number, a: number, b: number, fn: () => void): void {
    if (!this.#controlPlaneUp) {
      this.#deferred.push([kind, a, b]);
      return;
    }
    fn();
    this.#drainSchedulerEvents();
  }

  #drainSchedulerEvents(): void {
    const events = this.#schedulerEvents;
    while (events.length > 0) {
      const e = events.shift()!;
      switch (e.type) {
        case "fleet-drain-started":
          this.#persisted.set(e.record.target, e.record);
          break;
        case "fleet-drain-completed":
          this.#drainEnded(this.#nodeIndex(e.target), e.epoch, "drained", "");
          break;
        case "fleet-drain-failed":
          this.#drainEnded(this.#nodeIndex(e.target), e.epoch, "failed", e.reason);
          break;
        default:
          break;
      }
    }
  }

  #nodeIndex(id: string): number {
    return this.fleet.index(id);
  }

  /** Applies a node event to the registry's copy of the node and checks the phase change. */
  #registry(node: number, event: NodeEvent, expectOk: boolean): boolean {
    const f = this.fleet;
    const role = f.roleOf(node);
    const before = f.state[node]!.roles[role]!;
    const r = transitionNode(f.state[node]!, event, this.engine.clock.now());
    if (!r.ok) {
      if (expectOk) this.checker.refusedTransition(f.ids[node]!, r.error.message);
      return false;
    }
    if (!r.changed) return true;
    const p = f.poolOf[node]!;
    const poolBefore = f.available[p]! + f.crashedAvailable[p]!;
    f.state[node] = r.state;
    const after = r.state.roles[role]!;
    if (after.phase !== before.phase || after.epoch !== before.epoch) {
      this.checker.phaseChange(f.ids[node]!, role, before.phase, after.phase, before.epoch, after.epoch);
      f.refresh(node);
      this.#checkPool(node, poolBefore);
      this.#trace("phase", { node: f.ids[node], from: before.phase, to: after.phase, epoch: after.epoch });
    }
    return true;
  }

  /**
   * A phase change may cost a pool availability only while the pool stays
   * within its budget. Members down by crash count as available here: the
   * guard cannot prevent a crash, only drains on top of one. A pool that
   * starts short of an impossible budget is not the guard's doing either, so
   * only a change that makes it worse is a violation (the guard's own rule).
   */
  #checkPool(node: number, before: number): void {
    const f = this.fleet;
    const p = f.poolOf[node]!;
    const now = f.available[p]! + f.crashedAvailable[p]!;
    if (now < before && now < f.required[p]! && this.#counts.forced === 0) {
      this.checker.report(
        "pool-availability",
        `pool ${f.pools[p]!.name}: ${f.available[p]} of ${f.members[p]!.length} available (${f.crashedAvailable[p]} down by crash), below the ${f.required[p]} its budget requires`,
        { pool: f.pools[p]!.name, node: f.ids[node]! },
      );
    }
  }

  // ---- drains ------------------------------------------------------------------

  /** An operator asks for a drain: guard, then scheduler, then the registry, in one step (one store transaction). */
  #requestDrain(node: number, op: Operator, onEnd?: Drain["onEnd"]): "started" | "refused" {
    const f = this.fleet;
    const id = f.ids[node]!;
    const refuse = (reason: string, pool?: string): "refused" => {
      this.#refusal = { reason, ...(pool === undefined ? {} : { pool }) };
      return "refused";
    };
    if (!this.#controlPlaneUp) return refuse("the control plane is failing over");
    if (f.up[node] === 0) return refuse("the node is down");
    if (this.#drains[node] !== undefined) return refuse("the node is already draining");
    const phase = f.phase(node);
    if (phase !== "active" && phase !== "cordoned") return refuse(`the node is ${phase}`);
    const decision = this.#guard.admit(f.poolView(f.poolOf[node]!), { kind: "drain", node: id, queue: true });
    if (decision.outcome !== "allowed") {
      this.#counts.refused++;
      return refuse(decision.error.message, decision.pools.find((p) => p.availableAfter < p.required)?.pool ?? f.pools[f.poolOf[node]!]!.name);
    }
    if (decision.forced) this.#counts.forced++;
    const epoch = f.state[node]!.epoch + 1;
    const deadline = this.engine.clock.now() + this.#deadlineMs;
    try {
      const start = this.#scheduler.startDrain({ target: id, deadline, epoch });
      if (start.outcome !== "started") return refuse(`the drain scheduler answered ${start.outcome}`);
    } catch (error) {
      if (isDrainkitError(error) && error.retryable) {
        this.#counts.refused++;
        return refuse(error.message);
      }
      throw error;
    }
    if (!this.#registry(node, { type: "drain", reason: `${op.name}`, deadline, epoch, owner: op.name }, true)) return refuse("the node's state machine refused the drain");
    this.#scheduler.setSchedulable(id, false);
    this.#drains[node] = { node, epoch, operator: op.id, deadline, settled: false, ...(onEnd === undefined ? {} : { onEnd }) };
    this.#openDrains++;
    this.#counts.started++;
    this.#trace("drain-requested", { node: id, epoch, operator: op.name });
    this.engine.schedule(this.#delay(), this.#K.agentDrain!, node, epoch);
    this.engine.schedule(deadline - SIM_EPOCH_MS - this.engine.now + this.#slackMs, this.#K.deadlineCheck!, node, epoch);
    this.#drainSchedulerEvents();
    return "started";
  }

  /** The node's agent received its drain: its real coordinator closes the gates. */
  #agentDrain(node: number, epoch: number): void {
    const f = this.fleet;
    if (f.up[node] === 0) return; // reconciled from the spec when the host comes back
    const d = this.#drains[node];
    if (d === undefined || d.epoch !== epoch || d.settled) return;
    this.#coordinator(node).drain({ deadline: d.deadline, reason: "maintenance", epoch, roles: [f.roleOf(node)] }).catch(() => {});
  }

  #onCoordinatorEvent(node: number, gen: number, e: DrainCoordinatorEvent): void {
    if (gen !== this.#coordinatorGen[node]) return;
    switch (e.type) {
      case "drained":
        this.#trace("agent-idle", { node: this.fleet.ids[node], epoch: e.epoch });
        this.engine.schedule(this.#delay(), this.#K.cpIdle!, node, e.epoch);
        break;
      case "drain-failed":
        if (e.cause === "deadline" || e.cause === "participant-error") {
          this.#trace("agent-failed", { node: this.fleet.ids[node], epoch: e.epoch, cause: e.cause, blocking: e.blocking });
          this.engine.schedule(this.#delay(), this.#K.cpFailed!, node, e.epoch);
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
  #drainEnded(node: number, epoch: number, outcome: "drained" | "failed", reason: string): void {
    const d = this.#drains[node];
    if (d === undefined || d.epoch !== epoch || d.settled) return;
    d.settled = true;
    const id = this.fleet.ids[node]!;
    if (outcome === "failed") this.#failedNodes.push({ node: id, reason });
    if (d.onEnd !== undefined) {
      if (outcome === "drained") this.#counts.completed++;
      else this.#counts.failed++;
      this.#registry(node, outcome === "drained" ? { type: "drained", epoch } : { type: "fail", epoch, reason }, true);
      this.#trace(outcome === "drained" ? "drained" : "drain-failed", { node: id, epoch, ...(reason === "" ? {} : { reason }) });
      this.engine.pendingContinuations = true;
      d.onEnd(outcome, reason);
      return;
    }
    if (outcome === "drained") {
      this.#counts.completed++;
      this.#registry(node, { type: "drained", epoch }, true);
      this.#trace("drained", { node: id, epoch });
      const op = this.#operators[d.operator]!;
      // Upgrade: the host stops now; whatever it still serves is lost.
      this.traffic?.stop(node);
      this.hosts.stop(node);
      // It comes back as a new process: a fresh agent and coordinator.
      this.#coordinatorGen[node]!++;
      this.#coordinators[node] = undefined;
      this.fleet.up[node] = 0;
      this.fleet.refresh(node);
      this.#upGen[node]!++;
      this.engine.schedule(span(this.#random, op.upgradeMs ?? op.holdMs, 30_000), this.#K.upgradeDone!, node, this.#upGen[node]!);
    } else {
      this.#counts.failed++;
      this.#registry(node, { type: "fail", epoch, reason }, true);
      this.#trace("drain-failed", { node: id, epoch, reason });
      this.#release(node);
    }
  }

  #upgradeDone(node: number, gen: number): void {
    if (gen !== this.#upGen[node]) return;
    this.fleet.up[node] = 1;
    if (this.fleet.crashed[node] === 1) {
      // It crashed after its drain completed; the upgrade restarts it anyway.
      this.fleet.crashed[node] = 0;
      this.#coordinators[node] = undefined;
      if (this.#controlPlaneUp) this.#scheduler.nodeRecovered(this.fleet.ids[node]!);
    }
    this.fleet.refresh(node);
    this.#trace("upgraded", { node: this.fleet.ids[node] });
    this.#release(node);
  }

  /** The operator is done with the node: resume it everywhere and move on. */
  #release(node: number): void {
    const d = this.#drains[node]!;
    this.#drains[node] = undefined;
    this.#openDrains--;
    const id = this.fleet.ids[node]!;
    this.#registry(node, { type: "resume" }, true);
    this.#persisted.delete(id);
    if (this.#controlPlaneUp) this.#scheduler.resumeNode(id);
    this.engine.schedule(this.#delay(), this.#K.agentResume!, node, this.#coordinatorGen[node]!);
    if (d.onEnd !== undefined) return;
    const op = this.#operators[d.operator]!;
    op.busy--;
    this.engine.schedule(0, this.#K.operator!, op.id);
  }

  #agentResume(node: number, gen: number): void {
    if (gen !== this.#coordinatorGen[node] || this.fleet.up[node] === 0) return;
    this.#coordinators[node]?.resume().catch(() => {});
    if (this.#hung[node] === 1) this.engine.schedule(this.traffic?.tickMs ?? 100, this.#K.unhang!, node);
  }

  #deadlineCheck(node: number, epoch: number): void {
    const f = this.fleet;
    const role = f.state[node]!.roles[f.roleOf(node)]!;
    if (role.phase === "draining" && role.epoch === epoch) {
      this.checker.report("drain-ends-by-deadline", `${f.ids[node]!} still draining epoch ${epoch} ${this.#slackMs} ms past its deadline`, { node: f.ids[node]! });
    }
  }

  // ---- workload moves ------------------------------------------------------------

  #startMove(move: PlannedMove): void {
    const id = this.#nextMove++;
    this.#moves.set(id, move);
    this.#trace("move", { id: move.id, workload: move.workload, from: move.from, to: move.to });
    this.engine.schedule(span(this.#random, this.scenario.drain?.moveMs, 500), this.#K.moveDone!, id);
  }

  #moveDone(id: number): void {
    const move = this.#moves.get(id);
    if (move === undefined) return;
    this.#moves.delete(id);
    const from = this.#nodeIndex(move.from);
    const to = this.#nodeIndex(move.to);
    if (!this.#controlPlaneUp) {
      // The host retries its report once the control plane is back.
      this.#moves.set(id, move);
      this.engine.schedule(CP_TICK_MS, this.#K.moveDone!, id);
      return;
    }
    if (this.fleet.up[to] === 0 || this.fleet.up[from] === 0) {
      this.#scheduler.moveFailed(move, this.fleet.up[to] === 0 ? `destination ${move.to} is down` : `source ${move.from} is down`);
      this.#drainSchedulerEvents();
      return;
    }
    // Ownership flips only if the scheduler commits; otherwise the new copy is stopped.
    if (this.#scheduler.moveCommitted(move)) this.hosts.commit(move, to, from);
    this.#drainSchedulerEvents();
  }

  // ---- operators -------------------------------------------------------------------

  #startActions(actions: readonly ScenarioAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case "rolling-upgrade":
          if ((a.controller ?? "rollout") === "rollout") {
            this.#rollouts++;
            this.engine.at(a.at, this.#K.rollout!, this.#rolloutActions.push(a) - 1);
            break;
          }
          for (let p = 0; p < this.fleet.members.length; p++) {
            const op = this.#operator("rolling", `rollout-${this.fleet.pools[p]!.name}`, a.upgradeMs, undefined, a.retryMs ?? { min: 500, max: 2_000 });
            op.queue = Array.from(this.fleet.members[p]!);
            op.remaining = op.queue.length;
            this.engine.at(a.at, this.#K.operator!, op.id);
          }
          break;
        case "concurrent-drains":
          for (let i = 0; i < a.operators; i++) {
            const op = this.#operator("drains", `operator-${i}`, a.holdMs, a.holdMs, a.retryMs);
            op.remaining = a.drainsPerOperator;
            this.engine.at(a.at, this.#K.operator!, op.id);
          }
          break;
        case "drain":
          this.#openDrains++; // held until the action has asked for every node
          this.engine.at(a.at, this.#K.drainAction!, this.#drainActions.push(a) - 1);
          break;
        case "cordons":
          for (const owner of a.owners) {
            const op = this.#operator("cordons", owner, undefined, a.holdMs, undefined);
            op.queue = pick(this.#random, this.fleet.size, a.nodesPerOwner);
            op.remaining = op.queue.length;
            this.engine.at(a.at, this.#K.operator!, op.id);
          }
          break;
      }
    }
  }

  #operator(kind: Operator["kind"], name: string, upgradeMs: Span | undefined, holdMs: Span | undefined, retryMs: Span | undefined): Operator {
    const op: Operator = { id: this.#operators.length, kind, name, queue: [], remaining: 0, busy: 0, holdMs, retryMs, upgradeMs, done: false };
    this.#operators.push(op);
    return op;
  }

  #done(op: Operator): void {
    if (op.done) return;
    op.done = true;
    this.#workDoneAt = Math.max(this.#workDoneAt, this.engine.now);
    this.#operatorsDone++;
  }

  #operatorStep(id: number): void {
    const op = this.#operators[id]!;
    if (op.done) return;
    switch (op.kind) {
      case "drains":
        return this.#drainsStep(op);
      case "rolling":
        return this.#rollingStep(op);
      case "cordons":
        return this.#cordonsStep(op);
    }
  }

  #drainsStep(op: Operator): void {
    if (op.busy > 0) return;
    if (op.remaining === 0) {
      this.#done(op);
      return;
    }
    const node = this.#random.int(0, this.fleet.size - 1);
    if (this.#requestDrain(node, op) === "started") {
      op.busy++;
      op.remaining--;
    } else {
      this.engine.schedule(span(this.#random, op.retryMs, 1_000), this.#K.operator!, op.id);
    }
  }

  /** A rolling upgrade of one pool: drain as many members as the guard admits, the next as soon as one is back. */
  #rollingStep(op: Operator): void {
    for (;;) {
      if (op.queue.length === 0) {
        if (op.busy === 0) this.#done(op);
        return;
      }
      const node = op.queue[0]!;
      if (this.fleet.up[node] === 0 || this.#drains[node] !== undefined) {
        // Crashed or held by another operator: come back to it later.
        op.queue.push(op.queue.shift()!);
        if (op.busy === 0) this.engine.schedule(span(this.#random, op.retryMs, 1_000), this.#K.operator!, op.id);
        return;
      }
      if (this.#requestDrain(node, op) !== "started") {
        if (op.busy === 0) this.engine.schedule(span(this.#random, op.retryMs, 1_000), this.#K.operator!, op.id);
        return;
      }
      op.queue.shift();
      op.busy++;
    }
  }

  #cordonsStep(op: Operator): void {
    const node = op.queue.shift();
    if (node === undefined) {
      this.#done(op);
      return;
    }
    const id = this.fleet.ids[node]!;
    const decision = this.#guard.admit(this.fleet.poolView(this.fleet.poolOf[node]!), { kind: "cordon", node: id });
    if (decision.outcome === "allowed") {
      this.#registry(node, { type: "cordon", owner: op.name, reason: "maintenance window" }, false);
      if (this.#controlPlaneUp && this.fleet.phase(node) === "cordoned") this.#scheduler.setSchedulable(id, false);
      this.#trace("cordon", { node: id, owner: op.name });
      this.engine.schedule(span(this.#random, op.holdMs, 10_000), this.#K.uncordon!, node, op.id);
    }
    this.engine.schedule(1, this.#K.operator!, op.id);
  }

  #uncordon(node: number, opId: number): void {
    const op = this.#operators[opId]!;
    // Refused while a drain holds the role; the owner tries again later (resume clears it anyway).
    const phase = this.fleet.phase(node);
    if (phase === "draining" || phase === "drained" || phase === "failed") {
      this.engine.schedule(span(this.#random, op.holdMs, 10_000), this.#K.uncordon!, node, opId);
      return;
    }
    this.#registry(node, { type: "uncordon", owner: op.name }, true);
    if (this.#controlPlaneUp && this.fleet.phase(node) === "active" && this.fleet.up[node] === 1) this.#scheduler.setSchedulable(this.fleet.ids[node]!, true);
    this.#trace("uncordon", { node: this.fleet.ids[node], owner: op.name });
  }

  // ---- a drain of named nodes ----------------------------------------------------------

  /**
   * Asks for each named node once, in order, as `drainctl peers drain a b`
   * does: the guard sees the earlier ones draining when it judges the later
   * ones. A refusal is reported as blocked; a drained node stays drained.
   */
  #startDrainAction(a: Extract<ScenarioAction, { type: "drain" }>): void {
    const op = this.#operator("drains", "drain", undefined, undefined, undefined);
    const settle = (): void => {
      if (op.busy === 0) this.#done(op);
    };
    for (const id of a.nodes) {
      const node = this.#nodeIndex(id);
      if (node < 0) {
        this.#blocked.push({ node: id, reason: "no such node in the fleet" });
        continue;
      }
      const started = this.#requestDrain(node, op, () => {
        // Held drained: it leaves the count of open drains without being resumed.
        this.#openDrains--;
        op.busy--;
        settle();
      });
      if (started === "started") op.busy++;
      else this.#blocked.push({ node: id, ...this.#refusal });
    }
    this.#openDrains--;
    settle();
  }

  // ---- core's RolloutController ----------------------------------------------------------

  /** The fleet as the rollout reads it before each wave: the registry's phases and health. */
  #fleetView(): { nodes: FleetNode[] } {
    const f = this.fleet;
    const nodes = new Array<FleetNode>(f.size);
    for (let i = 0; i < f.size; i++) {
      const m = f.member[i]!;
      nodes[i] = { id: m.id, pools: m.pools, phase: m.phase, ...(m.roles === undefined ? {} : { roles: m.roles }), healthy: f.up[i] === 1, schedulable: f.schedulable(i) };
    }
    return { nodes };
  }

  #startRollout(a: Extract<ScenarioAction, { type: "rolling-upgrade" }>): void {
    const f = this.fleet;
    const op = this.#operator("rolling", "rollout", a.upgradeMs, undefined, a.retryMs);
    // One wave may fill every pool's budget at once.
    let room = 0;
    for (let p = 0; p < f.members.length; p++) room += Math.max(1, f.members[p]!.length - f.required[p]!);
    const controller = new RolloutController({
      clock: this.engine.clock,
      pools: f.pools,
      fleet: () => this.#fleetView(),
      maxParallel: a.maxParallel ?? room,
      failureThreshold: f.size,
      drainTimeoutMs: this.#deadlineMs,
      retryDelayMs: span(this.#random, a.retryMs, 5_000),
      blockedAttempts: 1_000,
      healthIntervalMs: 1_000,
      owner: "rollout",
      events: {
        emit: (e) => {
          if (e.type === "rollout-wave-started") this.#trace("rollout-wave", { wave: e.wave, nodes: e.nodes.length });
          else if (e.type === "rollout-finished") {
            this.#trace("rollout-finished", { status: e.result.status, upgraded: e.result.upgraded.length, failed: e.result.failed.length });
            for (const b of e.result.blocked) this.#blocked.push({ node: b.node, reason: `${b.reason}: ${b.detail}`, ...(b.pool === undefined ? {} : { pool: b.pool }) });
          }
        },
      },
      hooks: {
        cordon: (id) => {
          const node = this.#nodeIndex(id);
          this.#registry(node, { type: "cordon", owner: "rollout", reason: "rolling upgrade" }, true);
          if (this.#controlPlaneUp) this.#scheduler.setSchedulable(id, false);
        },
        drain: (id) => this.#rolloutDrain(this.#nodeIndex(id), op),
        upgrade: (id) => this.#rolloutUpgrade(this.#nodeIndex(id), op),
        resume: (id) => {
          const node = this.#nodeIndex(id);
          if (this.#drains[node] !== undefined) this.#release(node);
          else this.#registry(node, { type: "resume" }, true);
        },
        healthy: (id) => {
          const node = this.#nodeIndex(id);
          return f.routable(node) && (this.traffic === undefined || this.traffic.participants[node]!.open);
        },
      },
    });
    controller.start({ version: "2", ...(a.nodes === undefined ? {} : { nodes: a.nodes }) }).then(
      () => {
        this.#rollouts--;
        this.#done(op);
      },
      (error: unknown) => {
        this.#rollouts--;
        this.#done(op);
        this.checker.report("valid-transition", `the rollout stopped with an error: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
    this.engine.pendingContinuations = true;
  }

  /** The rollout's drain hook: a drain through the control plane, asked again while the guard refuses. */
  #rolloutDrain(node: number, op: Operator): Promise<RolloutDrainResult> {
    return new Promise((resolve) => {
      const attempt = (): void => {
        if (this.fleet.up[node] === 0 || this.#drains[node] !== undefined || this.#requestDrain(node, op, (outcome, reason) => {
          if (outcome === "drained") resolve({ status: "drained" });
          else {
            // An operator looks at a failed node and puts it back in service.
            this.#release(node);
            resolve({ status: "failed", failure: reason });
          }
        }) !== "started") {
          this.#waiting.set(node, this.fleet.up[node] === 0 ? { reason: "the node is down" } : this.#drains[node] !== undefined ? { reason: "the node is already draining" } : this.#refusal);
          this.engine.schedule(span(this.#random, op.retryMs, 5_000), this.#K.retryDrain!, node);
          return;
        }
        this.#retries.delete(node);
        this.#waiting.delete(node);
      };
      this.#retries.set(node, attempt);
      attempt();
    });
  }

  /** The rollout's upgrade hook: the host stops (whatever it still serves is lost) and restarts on the new version. */
  #rolloutUpgrade(node: number, op: Operator): Promise<void> {
    this.traffic?.stop(node);
    this.hosts.stop(node);
    this.#coordinatorGen[node]!++;
    this.#coordinators[node] = undefined;
    this.fleet.up[node] = 0;
    this.fleet.refresh(node);
    this.#upGen[node]!++;
    return new Promise((resolve) => {
      this.#wakers.set(node, () => {
        this.#wakers.delete(node);
        this.fleet.up[node] = 1;
        if (this.fleet.crashed[node] === 1) this.fleet.crashed[node] = 0;
        this.fleet.refresh(node);
        this.#trace("upgraded", { node: this.fleet.ids[node] });
        this.engine.pendingContinuations = true;
        resolve();
      });
      this.engine.schedule(span(this.#random, op.upgradeMs, 30_000), this.#K.wake!, node);
    });
  }

  // ---- faults -------------------------------------------------------------------------

  #fault(i: number): void {
    const f = this.scenario.faults![i]!;
    this.#pendingFaults--;
    this.#faults[f.type] = (this.#faults[f.type] ?? 0) + 1;
    this.#trace("fault", { fault: f.type });
    switch (f.type) {
      case "node-crash":
        for (const node of pick(this.#random, this.fleet.size, f.count)) this.#crash(node, f);
        break;
      case "destination-crash": {
        const targets = [...new Set([...this.#moves.values()].map((m) => this.#nodeIndex(m.to)))];
        const chosen = targets.length > 0 ? pick(this.#random, targets.length, f.count).map((k) => targets[k]!) : pick(this.#random, this.fleet.size, f.count);
        for (const node of chosen) this.#crash(node, f);
        break;
      }
      case "hung-participant":
        if (this.traffic === undefined) break;
        for (const node of pick(this.#random, this.fleet.size, f.count)) {
          // A request that never finishes: the drain can only end at its deadline.
          if (this.fleet.up[node] === 1 && this.#hung[node] === 0 && this.traffic.participants[node]!.stick()) this.#hung[node] = 1;
        }
        break;
      case "coordinator-failover":
        this.#controlPlaneUp = false;
        this.engine.schedule(span(this.#random, f.downMs, 2_000), this.#K.failoverUp!);
        break;
    }
  }

  #crash(node: number, f: Extract<ScenarioFault, { type: "node-crash" | "destination-crash" }>): void {
    const fleet = this.fleet;
    if (fleet.up[node] === 0) return;
    this.#trace("crash", { node: fleet.ids[node] });
    this.traffic?.crash(node);
    this.#hung[node] = 0;
    fleet.up[node] = 0;
    fleet.crashed[node] = 1;
    fleet.refresh(node);
    this.#coordinatorGen[node]!++;
    if (this.#controlPlaneUp) {
      for (const move of this.#scheduler.nodeCrashed(fleet.ids[node]!)) this.#forgetMove(move);
      this.#drainSchedulerEvents();
    }
    this.#upGen[node]!++;
    this.engine.schedule(span(this.#random, f.recoverMs, 20_000), this.#K.recover!, node, this.#upGen[node]!);
  }

  #forgetMove(move: PlannedMove): void {
    for (const [k, m] of this.#moves) if (m.id === move.id) this.#moves.delete(k);
  }

  #recover(node: number, gen: number): void {
    if (gen !== this.#upGen[node]) return;
    const fleet = this.fleet;
    fleet.up[node] = 1;
    fleet.crashed[node] = 0;
    fleet.refresh(node);
    // A restarted host has a fresh agent and coordinator; it reconciles its spec.
    this.#coordinators[node] = undefined;
    if (this.#controlPlaneUp) this.#scheduler.nodeRecovered(fleet.ids[node]!);
    this.#trace("recovered", { node: fleet.ids[node] });
    const d = this.#drains[node];
    if (d !== undefined && !d.settled) this.engine.schedule(this.#delay(), this.#K.agentDrain!, node, d.epoch);
  }

  #failoverUp(): void {
    // The new leader has nothing in memory: it rebuilds from the persisted drain
    // records and the placement the hosts report, and adopts the moves still in
    // flight (the control plane persists each move before a host acts on it),
    // so none is planned twice and each still commits when its host reports.
    this.#scheduler = this.#makeScheduler([...this.#persisted.values()]);
    const inFlight = [...this.#moves];
    this.#moves.clear();
    let adopted = 0;
    for (const [id, move] of inFlight) {
      if (!this.#scheduler.adoptMove(move)) continue;
      this.#moves.set(id, move);
      adopted++;
    }
    this.#controlPlaneUp = true;
    this.#trace("failover", { term: this.#schedulerTerm, records: this.#persisted.size, adopted });
    for (let node = 0; node < this.fleet.size; node++) {
      const d = this.#drains[node];
      if (d !== undefined && !d.settled && this.#coordinators[node]?.snapshot().status === "drained") this.engine.schedule(this.#delay(), this.#K.cpIdle!, node, d.epoch);
    }
    for (const [kind, a, b] of this.#deferred.splice(0)) this.engine.schedule(0, kind, a, b);
  }

  #unhang(node: number): void {
    if (this.#hung[node] === 0 || this.traffic === undefined) return;
    this.#hung[node] = 0;
    this.traffic.participants[node]!.unstick();
  }
}
