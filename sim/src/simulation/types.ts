import type {
  AdmissionDecision,
  AdmissionRequest,
  DrainScheduler,
  GuardFleetView,
  PoolBudget,
  DrainSchedulerOptions,
} from "@drainkit/core";
import type { InvariantViolation } from "../model/invariants.ts";
import type { ScenarioAction, Span } from "../scenario/types.ts";


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
  /**
   * Rebuild the rollout controller on a failover and fence the deposed
   * leader's (default true). `false` is a mutant for the tests: the old
   * controller carries on, and its writes are reported as `stale-leader-write`.
   */
  readonly rebuildOnFailover?: boolean;
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
  /** Which mode ran (absent: core). Not part of `hash`. */
  readonly mode?: "core" | "full-stack";
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
  /** Each pool's size and the members its budget keeps available (the floor the charts draw); not part of `hash`. */
  readonly poolFloors: Readonly<Record<string, { readonly size: number; readonly required: number }>>;
  readonly requests: { readonly arrived: number; readonly served: number; readonly unroutable: number; readonly refused: number; readonly lostOnCrash: number };
  readonly lostRequests: number;
  readonly lostWorkloads: number;
  readonly workloadMoves: number;
  readonly forcedBreaches: number;
  readonly faults: Readonly<Record<string, number>>;
  readonly invariantViolations: readonly InvariantViolation[];
  /** The last trace records before the first violation (empty when none). */
  readonly violationTrace: readonly TraceRecord[];
  /** True when every action stopped before `durationMs` (see `status` for whether it did all its work). */
  readonly finished: boolean;
  /**
   * `completed`: every action did all its work; `blocked`: some node could not
   * be drained (see `blocked`, each with its reason); `incomplete`: work
   * remained at `durationMs` or a rollout did not upgrade every node;
   * `violated`: an invariant broke. Not part of `hash`.
   */
  readonly status: "completed" | "blocked" | "incomplete" | "violated";
  /** Virtual ms the control plane was down (overlapping outages counted once). Not part of `hash`. */
  readonly controlPlaneDownMs: number;
  /** Nodes a rollout was to upgrade and did not (0 when every rollout completed). */
  readonly notUpgraded: number;
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
  /**
   * The `cordons` actions' cordons: how many the guard admitted, how many it
   * refused, and each refusal with the guard's reason (not part of `hash`;
   * each refusal is a `cordon-refused` record of the event log, which is).
   */
  readonly cordons: { readonly cordoned: number; readonly refused: number; readonly refusals: readonly RefusedCordon[] };
}

/** A cordon the guard refused, the owner that asked for it, and the guard's reason. */
export interface RefusedCordon {
  readonly node: string;
  readonly owner: string;
  readonly reason: string;
  /** The pool whose budget refused it. */
  readonly pool?: string;
}

/** A node an action could not drain, and why (the guard's refusal, or the node's state). */
export interface BlockedDrain {
  readonly node: string;
  readonly reason: string;
  /** The pool whose budget refused it. */
  readonly pool?: string;
}

export interface Operator {
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
  /** The last refusal it is waiting out: reported as blocked if the run ends first. */
  lastRefusal?: BlockedDrain | undefined;
}

/** One `rolling-upgrade` action, and the leader term of the controller driving it now. */
export interface RolloutRun {
  readonly action: Extract<ScenarioAction, { type: "rolling-upgrade" }>;
  readonly op: Operator;
  term: number;
  /** False once rebuilt: its plan's targets were counted by the first controller. */
  first: boolean;
}

export interface Drain {
  readonly node: number;
  readonly epoch: number;
  readonly operator: number;
  readonly deadline: number;
  settled: boolean;
  /** Set when core's RolloutController drives this drain: it decides what happens next. */
  readonly onEnd?: (outcome: "drained" | "failed", reason: string) => void;
}

export const TRACE_TAIL = 40;
export const CP_TICK_MS = 200;
