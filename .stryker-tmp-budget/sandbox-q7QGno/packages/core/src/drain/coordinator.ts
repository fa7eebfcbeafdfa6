// @ts-nocheck
import type { Clock, TimerHandle } from "../ports/clock.ts";
import type { EventSink } from "../ports/events.ts";
import { silentLogger, type Logger } from "../ports/logger.ts";
import { noopMetrics, type Counter, type Gauge, type Histogram, type Metrics } from "../ports/metrics.ts";
import { UnknownRoleError } from "../state/errors.ts";
import { createNodeState, nodePhase, transitionNode, type NodeEvent, type NodeState } from "../state/node.ts";
import { PREDEFINED_ROLES, type NodePhase, type RolePhase } from "../state/phase.ts";
import { DrainConfigError, DrainStoppedError, ResumeFailedError, StaleEpochError } from "./errors.ts";
import type { DrainParticipant } from "./participant.ts";

/** Where the coordinator is: no drain, one in progress, or the outcome of the latest. */
export type CoordinatorStatus = "idle" | "draining" | "drained" | "failed";

/**
 * One participant as the coordinator sees it: `open` (serving), `closing`
 * (its `drain()` has not resolved yet), `draining` (gate closed, work in
 * flight), `idle` (gate closed, nothing in flight) or `failed`.
 */
export type ParticipantState = "open" | "closing" | "draining" | "idle" | "failed";

export interface ParticipantSnapshot {
  readonly name: string;
  readonly state: ParticipantState;
  readonly inFlight: number;
  readonly error?: string;
}

/** Why a drain ended as `failed`. */
export type DrainFailureCause = "deadline" | "participant-error" | "resumed" | "superseded";

export interface DrainRequest {
  /** Epoch milliseconds (on the coordinator's clock) by which in-flight work must be done. */
  readonly deadline: number;
  readonly reason: string;
  /** Roles to drain; omitted means every role of the node. */
  readonly roles?: readonly string[];
  /** The drain's epoch from the control plane; omitted takes the node's next epoch. */
  readonly epoch?: number;
  readonly owner?: string;
}

/** The outcome of a drain: a status union with the reason and the blocking participants when it failed. */
export type DrainResult =
  | {
      readonly status: "drained";
      readonly epoch: number;
      readonly reason: string;
      readonly roles: readonly string[];
      readonly durationMs: number;
      readonly participants: readonly ParticipantSnapshot[];
    }
  | {
      readonly status: "failed";
      readonly epoch: number;
      readonly reason: string;
      readonly roles: readonly string[];
      readonly durationMs: number;
      readonly cause: DrainFailureCause;
      /** What went wrong, for people. */
      readonly failure: string;
      /** Participants that still had work in flight (or had not closed their gate) when it failed. */
      readonly blocking: readonly string[];
      readonly participants: readonly ParticipantSnapshot[];
    };

export interface DrainSnapshot {
  readonly status: CoordinatorStatus;
  /** Highest drain epoch this node has accepted (0 = never drained); a new drain needs a higher one. */
  readonly epoch: number;
  readonly phase: NodePhase;
  readonly node: NodeState;
  /** Roles of the current or latest drain (empty when idle). */
  readonly roles: readonly string[];
  readonly reason?: string;
  readonly deadline?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly participants: readonly ParticipantSnapshot[];
  /** Participants that keep the drain from completing (or kept it, when it failed). */
  readonly blocking: readonly string[];
  readonly cause?: DrainFailureCause;
  readonly failure?: string;
}

/** Typed events the coordinator emits (times are `clock.now()` epoch milliseconds). */
export type DrainCoordinatorEvent =
  | {
      readonly type: "drain-started";
      readonly node?: string;
      readonly epoch: number;
      readonly reason: string;
      readonly deadline: number;
      readonly roles: readonly string[];
      readonly participants: readonly string[];
      readonly at: number;
    }
  | { readonly type: "participant-idle"; readonly node?: string; readonly epoch: number; readonly participant: string; readonly at: number }
  | { readonly type: "drained"; readonly node?: string; readonly epoch: number; readonly durationMs: number; readonly at: number }
  | {
      readonly type: "drain-failed";
      readonly node?: string;
      readonly epoch: number;
      readonly cause: DrainFailureCause;
      readonly failure: string;
      readonly blocking: readonly string[];
      readonly at: number;
    }
  | { readonly type: "resumed"; readonly node?: string; readonly epoch: number; readonly at: number }
  | {
      readonly type: "role-phase-changed";
      readonly node?: string;
      readonly role: string;
      readonly from: RolePhase;
      readonly to: RolePhase;
      readonly epoch: number;
      readonly at: number;
    };

export interface NodeDrainCoordinatorOptions {
  readonly clock: Clock;
  readonly participants: readonly DrainParticipant[];
  /** The node's roles; default: every role the participants name, else ingest, edge, storage, processing. */
  readonly roles?: readonly string[];
  /** Node id carried on events and logs. */
  readonly node?: string;
  readonly events?: EventSink<DrainCoordinatorEvent>;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
}

interface Member {
  readonly participant: DrainParticipant;
  gateClosed: boolean;
  idleReported: boolean;
  error: string | undefined;
  unsubscribe: () => void;
}

interface ActiveDrain {
  readonly epoch: number;
  /** This epoch and newer ones answered with this drain's result (drained + drain is a no-op). */
  readonly epochs: Set<number>;
  readonly reason: string;
  readonly deadline: number;
  readonly roles: readonly string[];
  readonly startedAt: number;
  readonly startedMono: number;
  readonly members: readonly Member[];
  readonly controller: AbortController;
  readonly promise: Promise<DrainResult>;
  readonly resolve: (result: DrainResult) => void;
  status: "draining" | "drained" | "failed";
  timer: TimerHandle | undefined;
  result: DrainResult | undefined;
  finishedAt: number | undefined;
}

interface Series {
  readonly started: Counter;
  readonly completed: Counter;
  readonly failed: Counter;
  readonly duration: Histogram;
  readonly inFlight: Gauge;
}

const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * Drains one node: closes every participant's gate at once, then completes as
 * `drained` the moment every participant reports nothing in flight (driven by
 * their idle notifications; nothing polls), or as `failed` at the deadline or
 * on a participant error. It interprets the node state machine: each phase
 * change is a `role-phase-changed` event.
 *
 * Concurrent `drain` calls for the same epoch (or without an epoch) share one
 * result; a drain with a newer epoch supersedes the one in progress; a request
 * with an older epoch is refused with {@link StaleEpochError}.
 *
 * @example
 * const api = createCountingParticipant("api");
 * const jobs = createCountingParticipant("jobs");
 * const clock = systemClock();
 * const coordinator = new NodeDrainCoordinator({ clock, participants: [api, jobs] });
 * const result = await coordinator.drain({ deadline: clock.now() + 30_000, reason: "upgrade" });
 * if (result.status === "failed") console.log(result.failure, result.blocking);
 * await coordinator.resume();
 */
export class NodeDrainCoordinator {
  readonly #clock: Clock;
  readonly #participants: readonly DrainParticipant[];
  readonly #roles: readonly string[];
  readonly #nodeId: string | undefined;
  readonly #events: EventSink<DrainCoordinatorEvent> | undefined;
  readonly #logger: Logger;
  readonly #series: Series;
  #node: NodeState;
  #current: ActiveDrain | undefined;
  /** Highest epoch any accepted request named. */
  #usedEpoch = 0;
  /** Participants whose gates this coordinator closed since the last resume. */
  readonly #closed = new Set<DrainParticipant>();

  constructor(options: NodeDrainCoordinatorOptions) {
    this.#clock = options.clock;
    this.#participants = [...options.participants];
    const names = new Set<string>();
    for (const p of this.#participants) {
      if (names.has(p.name)) throw new DrainConfigError(`Two drain participants are named "${p.name}". Give each participant a unique name.`);
      names.add(p.name);
    }
    const named = [...new Set(this.#participants.flatMap((p) => p.roles ?? []))];
    this.#roles = options.roles ?? (named.length > 0 ? named : PREDEFINED_ROLES);
    for (const p of this.#participants) {
      for (const role of p.roles ?? []) {
        if (!this.#roles.includes(role)) throw new DrainConfigError(`Participant "${p.name}" serves role "${role}", which is not one of the node's roles (${this.#roles.join(", ")}). Add the role to \`roles\`.`);
      }
    }
    this.#nodeId = options.node;
    this.#events = options.events;
    this.#logger = options.logger ?? silentLogger;
    const metrics = options.metrics ?? noopMetrics;
    this.#series = {
      started: metrics.counter("drains_started_total", "Drains started on this node."),
      completed: metrics.counter("drains_completed_total", "Drains that ended with nothing in flight."),
      failed: metrics.counter("drains_failed_total", "Drains that failed (deadline, participant error) or were cancelled (resumed, superseded)."),
      duration: metrics.histogram("drain_duration_seconds", "Time from drain start to drained or failed.", DURATION_BUCKETS),
      inFlight: metrics.gauge("drain_in_flight", "Work in flight per participant, as last seen by the drain coordinator."),
    };
    this.#node = createNodeState(this.#roles);
  }

  /** The node state machine this coordinator interprets. */
  get node(): NodeState {
    return this.#node;
  }

  /**
   * Drains the given roles (default: all). Resolves with `drained` or
   * `failed`; rejects only for a bad request ({@link StaleEpochError},
   * {@link UnknownRoleError}).
   */
  drain(request: DrainRequest): Promise<DrainResult> {
    try {
      return this.#drain(request);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #drain(request: DrainRequest): Promise<DrainResult> {
    const roles = request.roles === undefined ? this.#roles : [...new Set(request.roles)];
    for (const role of roles) if (!this.#roles.includes(role)) throw new UnknownRoleError(role, this.#roles);
    if (!Number.isFinite(request.deadline)) throw new RangeError(`drain: deadline must be epoch milliseconds, got ${request.deadline}`);
    const { epoch } = request;
    // Epochs answered by a no-op (drained + drain) count as used, so one epoch
    // never names two different drains.
    const latest = Math.max(this.#node.epoch, this.#usedEpoch);
    if (epoch !== undefined && epoch < latest) throw new StaleEpochError(epoch, latest);
    const cur = this.#current;
    if (cur !== undefined) {
      const covered = roles.every((r) => cur.roles.includes(r));
      const same = epoch === undefined || cur.epochs.has(epoch);
      // draining + drain (same epoch) and drained + drain are no-ops: one shared result.
      if (covered && cur.status === "draining" && same) return cur.promise;
      if (covered && cur.status === "drained" && (same || epoch > latest)) {
        if (epoch !== undefined) {
          cur.epochs.add(epoch);
          this.#usedEpoch = Math.max(this.#usedEpoch, epoch);
        }
        return cur.promise;
      }
      if (cur.status === "failed" && epoch !== undefined && cur.epochs.has(epoch)) return cur.promise;
    }
    if (epoch !== undefined && epoch <= latest) throw new StaleEpochError(epoch, latest);
    const next = epoch ?? latest + 1;
    this.#usedEpoch = next;
    const union = cur !== undefined && cur.status !== "failed" ? [...new Set([...cur.roles, ...roles])] : roles;
    if (cur?.status === "draining") this.#fail(cur, "superseded", `superseded by drain epoch ${next}`);
    return this.#start(next, union, request);
  }

  #start(epoch: number, roles: readonly string[], request: DrainRequest): Promise<DrainResult> {
    const event: NodeEvent = { type: "drain", epoch, roles, reason: request.reason, deadline: request.deadline, ...(request.owner === undefined ? {} : { owner: request.owner }) };
    let resolve!: (r: DrainResult) => void;
    const promise = new Promise<DrainResult>((r) => (resolve = r));
    const members: Member[] = this.#participants
      .filter((p) => p.roles === undefined || p.roles.some((r) => roles.includes(r)))
      .map((participant) => ({ participant, gateClosed: false, idleReported: false, error: undefined, unsubscribe: noop }));
    const d: ActiveDrain = {
      epoch,
      epochs: new Set([epoch]),
      reason: request.reason,
      deadline: request.deadline,
      roles,
      startedAt: this.#clock.now(),
      startedMono: this.#clock.monotonic(),
      members,
      controller: new AbortController(),
      promise,
      resolve,
      status: "draining",
      timer: undefined,
      result: undefined,
      finishedAt: undefined,
    };
    this.#current = d;
    this.#series.started.inc();
    this.#emit({ type: "drain-started", epoch, reason: d.reason, deadline: d.deadline, roles, participants: members.map((m) => m.participant.name), at: d.startedAt });
    this.#logger.info({ node: this.#nodeId, epoch, roles, reason: d.reason, deadline: d.deadline }, "drain started");
    if (this.#current !== d) return promise; // an event handler resumed or superseded it already
    this.#apply(event);
    // Close every gate before waiting on any: the node stops taking work at once.
    for (const m of members) {
      m.unsubscribe = m.participant.onIdle(() => this.#check(d));
      this.#closed.add(m.participant);
      this.#series.inFlight.set(m.participant.inFlight(), { participant: m.participant.name });
      let closing: void | Promise<void>;
      try {
        closing = m.participant.drain(d.controller.signal);
      } catch (error) {
        this.#participantFailed(d, m, error);
        continue;
      }
      if (closing instanceof Promise) {
        closing.then(
          () => {
            m.gateClosed = true;
            this.#check(d);
          },
          (error: unknown) => this.#participantFailed(d, m, error),
        );
      } else {
        m.gateClosed = true;
      }
    }
    this.#check(d);
    if (d.status === "draining") {
      d.timer = this.#clock.setTimer(Math.max(0, d.deadline - this.#clock.now()), () => {
        d.timer = undefined;
        this.#fail(d, "deadline", `deadline passed with work still in flight`);
      });
    }
    return promise;
  }

  #participantFailed(d: ActiveDrain, m: Member, error: unknown): void {
    if (d.status !== "draining") return;
    const message = error instanceof Error ? error.message : String(error);
    m.error = message;
    this.#fail(d, "participant-error", `participant "${m.participant.name}" failed: ${message}`);
  }

  /** Runs on every idle notification and gate closure; completes the drain when nothing is left. */
  #check(d: ActiveDrain): void {
    if (d.status !== "draining" || this.#current !== d) return;
    let done = true;
    for (const m of d.members) {
      const inFlight = m.participant.inFlight();
      const idle = m.gateClosed && inFlight === 0;
      if (idle && !m.idleReported) {
        m.idleReported = true;
        this.#series.inFlight.set(0, { participant: m.participant.name });
        this.#emit({ type: "participant-idle", epoch: d.epoch, participant: m.participant.name, at: this.#clock.now() });
        if (d.status !== "draining") return;
      }
      if (!idle) done = false;
    }
    // An event handler above may have resumed or superseded this drain.
    if (!done || d.status !== "draining" || this.#current !== d) return;
    this.#settle(d, "drained");
    this.#applyToRoles(d, { type: "drained", epoch: d.epoch });
    const durationMs = d.finishedAt! - d.startedAt;
    this.#series.completed.inc();
    this.#emit({ type: "drained", epoch: d.epoch, durationMs, at: d.finishedAt! });
    this.#logger.info({ node: this.#nodeId, epoch: d.epoch, durationMs }, "drained");
    d.result = { status: "drained", epoch: d.epoch, reason: d.reason, roles: d.roles, durationMs, participants: this.#participantSnapshots() };
    d.resolve(d.result);
  }

  #fail(d: ActiveDrain, cause: DrainFailureCause, failure: string): void {
    if (d.status !== "draining") return;
    const blocking = d.members.filter((m) => !(m.gateClosed && m.participant.inFlight() === 0) || m.error !== undefined).map((m) => m.participant.name);
    this.#settle(d, "failed");
    d.controller.abort(new DrainStoppedError(d.epoch, failure));
    // Resumed and superseded drains are not failures of the node: the caller
    // moves the machine on with resume or with the newer drain.
    if (cause === "deadline" || cause === "participant-error") this.#applyToRoles(d, { type: "fail", epoch: d.epoch, reason: failure });
    const durationMs = d.finishedAt! - d.startedAt;
    for (const m of d.members) this.#series.inFlight.set(m.participant.inFlight(), { participant: m.participant.name });
    this.#series.failed.inc({ cause });
    this.#emit({ type: "drain-failed", epoch: d.epoch, cause, failure, blocking, at: d.finishedAt! });
    this.#logger.warn({ node: this.#nodeId, epoch: d.epoch, cause, failure, blocking }, "drain failed");
    d.result = { status: "failed", epoch: d.epoch, reason: d.reason, roles: d.roles, durationMs, cause, failure, blocking, participants: this.#participantSnapshots() };
    d.resolve(d.result);
  }

  #settle(d: ActiveDrain, status: "drained" | "failed"): void {
    d.status = status;
    d.finishedAt = this.#clock.now();
    if (d.timer !== undefined) {
      this.#clock.clearTimer(d.timer);
      d.timer = undefined;
    }
    for (const m of d.members) m.unsubscribe();
    this.#series.duration.observe(Math.max(0, this.#clock.monotonic() - d.startedMono) / 1000);
  }

  /** Applies `drained` / `fail` to the roles this drain is still draining. */
  #applyToRoles(d: ActiveDrain, event: NodeEvent): void {
    const roles = d.roles.filter((r) => {
      const s = this.#node.roles[r];
      return s !== undefined && s.phase === "draining" && s.epoch === d.epoch;
    });
    if (roles.length > 0) this.#apply({ ...event, roles });
  }

  /**
   * Reopens every gate this coordinator closed and returns the node to
   * active. A drain still in progress ends as `failed` with cause `resumed`.
   * Rejects with {@link ResumeFailedError} when a participant throws (the
   * others are reopened regardless).
   */
  async resume(): Promise<void> {
    const d = this.#current;
    if (d === undefined && this.#closed.size === 0) return;
    if (d !== undefined) {
      if (d.status === "draining") this.#fail(d, "resumed", "resumed before every participant was idle");
      else if (!d.controller.signal.aborted) d.controller.abort(new DrainStoppedError(d.epoch, "resumed"));
    }
    this.#current = undefined;
    this.#apply({ type: "resume" });
    const reopen = [...this.#closed];
    this.#closed.clear();
    const failures: { participant: string; error: unknown }[] = [];
    const pending: Promise<void>[] = [];
    for (const p of reopen) {
      try {
        const r = p.resume();
        if (r instanceof Promise) pending.push(r.catch((error: unknown) => void failures.push({ participant: p.name, error })));
      } catch (error) {
        failures.push({ participant: p.name, error });
      }
    }
    this.#emit({ type: "resumed", epoch: this.#node.epoch, at: this.#clock.now() });
    this.#logger.info({ node: this.#nodeId, epoch: this.#node.epoch }, "resumed");
    await Promise.all(pending);
    if (failures.length > 0) throw new ResumeFailedError(failures);
  }

  /** The coordinator's state now: status, each participant's state and in-flight count, and what blocks completion. */
  snapshot(): DrainSnapshot {
    const d = this.#current;
    const base = { epoch: Math.max(this.#node.epoch, this.#usedEpoch), phase: nodePhase(this.#node), node: this.#node, participants: this.#participantSnapshots() };
    if (d === undefined) return { status: "idle", roles: [], blocking: [], ...base };
    const common = {
      ...base,
      status: d.status,
      roles: d.roles,
      reason: d.reason,
      deadline: d.deadline,
      startedAt: d.startedAt,
      ...(d.finishedAt === undefined ? {} : { finishedAt: d.finishedAt }),
    };
    if (d.result?.status === "failed") return { ...common, blocking: d.result.blocking, cause: d.result.cause, failure: d.result.failure };
    if (d.status === "draining") return { ...common, blocking: d.members.filter((m) => !(m.gateClosed && m.participant.inFlight() === 0)).map((m) => m.participant.name) };
    return { ...common, blocking: [] };
  }

  #participantSnapshots(): ParticipantSnapshot[] {
    const d = this.#current;
    return this.#participants.map((p) => {
      const inFlight = p.inFlight();
      const m = d?.members.find((k) => k.participant === p);
      let state: ParticipantState;
      if (m?.error !== undefined) state = "failed";
      else if (m !== undefined && !m.gateClosed) state = "closing";
      else if (m !== undefined || this.#closed.has(p)) state = inFlight > 0 ? "draining" : "idle";
      else state = "open";
      return m?.error === undefined ? { name: p.name, state, inFlight } : { name: p.name, state, inFlight, error: m.error };
    });
  }

  #apply(event: NodeEvent): void {
    const r = transitionNode(this.#node, event);
    // The coordinator only sends events its own bookkeeping allows; a refusal
    // here is a bug in the coordinator, not a user error.
    if (!r.ok) throw r.error;
    this.#node = r.state;
    for (const effect of r.effects) {
      if (effect.type === "report") this.#emit({ type: "role-phase-changed", role: effect.role, from: effect.from, to: effect.to, epoch: effect.epoch, at: this.#clock.now() });
    }
  }

  #emit(event: DrainCoordinatorEvent): void {
    this.#events?.emit(this.#nodeId === undefined ? event : { ...event, node: this.#nodeId });
  }
}

function noop(): void {}
