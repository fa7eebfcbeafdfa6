// @ts-nocheck
import { isDrainkitError } from "../errors/DrainkitError.ts";
import type { Clock } from "../ports/clock.ts";
import { nullEventSink, type EventSink } from "../ports/events.ts";
import { silentLogger, type Logger } from "../ports/logger.ts";
import { noopMetrics, type Counter, type Gauge, type Histogram, type Metrics } from "../ports/metrics.ts";
import type { Random } from "../ports/random.ts";
import {
  AttemptTimeoutError,
  ComponentStartError,
  DuplicateComponentError,
  LifecycleAbortedError,
  LifecycleStateError,
  LifecycleStopError,
  messageOf,
  type LifecycleFailure,
  type LifecyclePhase,
} from "./errors.ts";
import { CancelScope } from "./CancelScope.ts";
import { planLifecycle, type LifecyclePlan } from "./plan.ts";
import { resolveRetryPolicy, runWithRetry, type ResolvedRetryPolicy } from "./retry.ts";
import type {
  ComponentSnapshot,
  LifecycleEvent,
  LifecycleRegistration,
  LifecycleRetry,
  LifecycleSnapshot,
  LifecycleStatus,
} from "./types.ts";

/** Ports and settings for a {@link LifecycleOrchestrator}. */
export interface LifecycleOrchestratorOptions {
  readonly clock: Clock;
  /** Jitter for retry backoff; each component gets its own fork, in registration order. */
  readonly random: Random;
  /** Registered in this order (more can follow with `register` until `start`). */
  readonly components?: readonly LifecycleRegistration[];
  /** Defaults for every component; a component's own policy fields win. */
  readonly retry?: LifecycleRetry;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly events?: EventSink<LifecycleEvent>;
}

interface Entry {
  readonly registration: LifecycleRegistration;
  readonly dependsOn: readonly string[];
  readonly startPolicy: ResolvedRetryPolicy;
  readonly stopPolicy: ResolvedRetryPolicy;
  readonly disposePolicy: ResolvedRetryPolicy;
  readonly random: Random;
  status: LifecycleStatus;
  startAttempts: number;
  stopAttempts: number;
  lastError: unknown;
  runningSince: number | undefined;
  startDurationMs: number | undefined;
  stopDurationMs: number | undefined;
  /** start() was called, so stop() is owed even if the start never finished. */
  stopOwed: boolean;
  disposed: boolean;
}

/**
 * Starts and stops a host's background components (listeners, servers, loops,
 * exporters, the agent) in dependency order with one set of guarantees:
 *
 * - Order: waves of a topological order (see {@link planLifecycle}); a wave's
 *   components start concurrently, invoked in registration order, so the
 *   recorded order is the same on every run. Stop walks the waves backwards.
 *   A cycle or missing dependency rejects `start()` before anything starts.
 * - Retries: per component, for start and stop: attempts, capped exponential
 *   backoff with jitter from the injected Random, per-attempt timeout, all on
 *   the injected Clock.
 * - Failure: when a component gives up starting, its dependents never start,
 *   in-flight siblings are cancelled, everything started is stopped again in
 *   reverse order, the lifecycle is `failed` and `start()` rejects with
 *   {@link ComponentStartError} (`cause` is the component's error).
 * - Cancellation: aborting `start(signal)` (or calling `stop()` meanwhile)
 *   stops whatever had started, or was starting, in reverse order.
 * - Stop: every component is tried even when some fail, each is disposed once
 *   (`Symbol.asyncDispose` / `Symbol.dispose`), and one
 *   {@link LifecycleStopError} lists every failure. No timer is left behind.
 *
 * An orchestrator runs once: pending → starting → running → stopping → stopped
 * (or failed).
 *
 * @example
 * const lifecycle = new LifecycleOrchestrator({
 *   clock: systemClock(),
 *   random: systemRandom(),
 *   components: [
 *     { name: "db", start: (signal) => db.connect({ signal }), stop: () => db.close(),
 *       retry: { start: { attempts: 5, initialDelayMs: 200, timeoutMs: 2_000 } } },
 *     fromComponent("http", httpServer, { dependsOn: ["db"] }),
 *   ],
 * });
 * await lifecycle.start();          // db, then http
 * lifecycle.ready();                // true: serve /readyz from this
 * await lifecycle.stop();           // http, then db; rejects with every failure
 */
export class LifecycleOrchestrator implements AsyncDisposable {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #defaults: LifecycleRetry;
  readonly #logger: Logger;
  readonly #events: EventSink<LifecycleEvent>;
  readonly #entries = new Map<string, Entry>();
  readonly #transitions: Counter;
  readonly #componentTransitions: Counter;
  readonly #componentsByStatus: Gauge;
  readonly #attemptFailures: Counter;
  readonly #startDuration: Histogram;
  readonly #stopDuration: Histogram;

  #status: LifecycleStatus = "pending";
  #plan: LifecyclePlan | undefined;
  #startScope: CancelScope | undefined;
  /** Settles once start() has either reached running or begun its rollback. */
  #startSettled: Promise<void> | undefined;
  #shutdown: { readonly scope: CancelScope; readonly failures: Promise<readonly LifecycleFailure[]> } | undefined;

  constructor(options: LifecycleOrchestratorOptions) {
    this.#clock = options.clock;
    this.#random = options.random;
    this.#defaults = options.retry ?? {};
    this.#logger = options.logger ?? silentLogger;
    this.#events = options.events ?? nullEventSink;
    const metrics = options.metrics ?? noopMetrics;
    this.#transitions = metrics.counter("lifecycle_transitions_total", "Lifecycle status changes, by new status.");
    this.#componentTransitions = metrics.counter("lifecycle_component_transitions_total", "Component status changes, by new status.");
    this.#componentsByStatus = metrics.gauge("lifecycle_components", "Components in each status.");
    this.#attemptFailures = metrics.counter("lifecycle_attempt_failures_total", "Failed start, stop and dispose attempts, by component and phase.");
    this.#startDuration = metrics.histogram("lifecycle_component_start_duration_ms", "Time from first start attempt to running, by component.");
    this.#stopDuration = metrics.histogram("lifecycle_component_stop_duration_ms", "Time from first stop attempt to stopped or failed, by component.");
    for (const component of options.components ?? []) this.register(component);
  }

  /**
   * Adds a component; allowed until `start()` is called. Names must be
   * unique; dependencies may be registered later.
   *
   * @throws {DuplicateComponentError | InvalidRetryPolicyError | LifecycleStateError}
   * @example
   * lifecycle.register({ name: "gossip", dependsOn: ["http"], start: gossip.run, stop: gossip.halt });
   */
  register(registration: LifecycleRegistration): this {
    if (this.#status !== "pending") throw new LifecycleStateError(`register "${registration.name}"`, this.#status);
    if (this.#entries.has(registration.name)) throw new DuplicateComponentError(registration.name);
    const stopPolicy = resolveRetryPolicy(registration.retry?.stop, this.#defaults.stop);
    this.#entries.set(registration.name, {
      registration,
      dependsOn: [...(registration.dependsOn ?? [])],
      startPolicy: resolveRetryPolicy(registration.retry?.start, this.#defaults.start),
      stopPolicy,
      disposePolicy: { ...stopPolicy, attempts: 1 },
      random: this.#random.fork(),
      status: "pending",
      startAttempts: 0,
      stopAttempts: 0,
      lastError: undefined,
      runningSince: undefined,
      startDurationMs: undefined,
      stopDurationMs: undefined,
      stopOwed: false,
      disposed: false,
    });
    this.#componentsByStatus.inc({ status: "pending" });
    return this;
  }

  /**
   * The start order (stop runs it backwards), computed without starting anything.
   *
   * @throws {MissingDependencyError | DependencyCycleError}
   * @example
   * lifecycle.order(); // ["db", "metrics", "http"]
   */
  order(): readonly string[] {
    return (this.#plan ?? planLifecycle([...this.#entries.values()].map((e) => ({ name: e.registration.name, dependsOn: e.dependsOn })))).order;
  }

  /** The lifecycle's status. */
  get status(): LifecycleStatus {
    return this.#status;
  }

  /**
   * True while every component is running: the answer for a readiness probe.
   *
   * @example
   * app.get("/readyz", (_, reply) => reply.code(lifecycle.ready() ? 200 : 503).send(lifecycle.snapshot()));
   */
  ready(): boolean {
    return this.#status === "running";
  }

  /**
   * A point-in-time view of every component for health endpoints; plain data,
   * safe to serialize.
   *
   * @example
   * lifecycle.snapshot().components.filter((c) => c.status === "failed").map((c) => c.lastError?.message);
   */
  snapshot(): LifecycleSnapshot {
    const names = this.#plan?.order ?? [...this.#entries.keys()];
    return {
      status: this.#status,
      ready: this.ready(),
      components: names.map((name) => this.#snapshotOf(this.#entries.get(name)!)),
    };
  }

  /**
   * Starts every component in dependency order and resolves once all run.
   * Aborting `signal` cancels the start and stops what had started.
   *
   * @throws {MissingDependencyError | DependencyCycleError} before anything starts (the lifecycle stays pending)
   * @throws {ComponentStartError} a component gave up; the rest were stopped again
   * @throws {LifecycleAbortedError} `signal` aborted or `stop()` was called; what had started was stopped again
   * @throws {LifecycleStateError} not pending (an orchestrator starts once)
   * @example
   * await lifecycle.start(AbortSignal.timeout(30_000));
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#status !== "pending") throw new LifecycleStateError("start", this.#status);
    this.#plan = planLifecycle([...this.#entries.values()].map((e) => ({ name: e.registration.name, dependsOn: e.dependsOn })));
    const plan = this.#plan;
    const scope = new CancelScope();
    let settled!: () => void;
    this.#startScope = scope;
    this.#startSettled = new Promise<void>((resolve) => (settled = resolve));
    this.#transition("starting");
    const unfollow = scope.follow(signal);

    let failed: Entry | undefined;
    try {
      for (const wave of plan.waves) {
        if (scope.aborted) break;
        const entries = wave.map((name) => this.#entries.get(name)!);
        await Promise.all(
          entries.map(async (entry) => {
            if ((await this.#startOne(entry, scope)) || failed !== undefined) return;
            failed = entry;
            // Siblings in flight are cancelled: the whole start is being undone.
            scope.abort(new LifecycleAbortedError("start", entry.lastError));
          }),
        );
      }
    } finally {
      unfollow();
      this.#startScope = undefined;
    }

    if (!scope.aborted) {
      this.#transition("running");
      settled();
      return;
    }
    const rollback = this.#beginShutdown(failed === undefined ? "stopped" : "failed");
    settled();
    const rollbackFailures = await rollback;
    if (failed !== undefined) throw new ComponentStartError(failed.registration.name, failed.startAttempts, failed.lastError, rollbackFailures);
    throw new LifecycleAbortedError("start", scope.reason, rollbackFailures);
  }

  /**
   * Stops every component in reverse dependency order, then disposes it;
   * tries all of them even when some fail. Called during `start()`, it cancels
   * the start first. Idempotent: later calls share the first one's outcome.
   * Aborting `signal` stops waiting: the remaining stops and disposals are
   * still called, with an aborted signal, but not awaited, and count as failures.
   *
   * @throws {LifecycleStopError} listing every stop or dispose that failed
   * @example
   * process.once("SIGTERM", () => void lifecycle.stop(AbortSignal.timeout(25_000)));
   */
  async stop(signal?: AbortSignal): Promise<void> {
    if (this.#startScope !== undefined) this.#startScope.abort(new LifecycleAbortedError("start", "stop() was called while starting"));
    if (this.#startSettled !== undefined) await this.#startSettled;
    const failures = this.#beginShutdown(this.#status === "failed" ? "failed" : "stopped");
    const unfollow = this.#shutdown!.scope.follow(signal);
    try {
      const list = await failures;
      if (list.length > 0) throw new LifecycleStopError(list);
    } finally {
      unfollow();
    }
  }

  /** `await using lifecycle = new LifecycleOrchestrator(...)` stops it on scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #startOne(entry: Entry, scope: CancelScope): Promise<boolean> {
    const child = scope.open();
    const began = this.#clock.monotonic();
    entry.stopOwed = true;
    this.#move(entry, "starting");
    try {
      await runWithRetry((s) => entry.registration.start?.(s), {
        policy: entry.startPolicy,
        clock: this.#clock,
        random: entry.random,
        signal: child.signal,
        timeoutError: () => new AttemptTimeoutError(entry.registration.name, "start", entry.startPolicy.timeoutMs),
        observer: {
          attempt: (n) => (entry.startAttempts = n),
          failed: (n, error, retryInMs) => this.#attemptFailed(entry, "start", n, error, retryInMs),
        },
      });
      entry.startDurationMs = this.#clock.monotonic() - began;
      entry.runningSince = this.#clock.now();
      this.#startDuration.observe(entry.startDurationMs, { component: entry.registration.name });
      this.#move(entry, "running");
      return true;
    } catch (error) {
      // Cancelled mid-start: left "starting" with stop owed, so the rollback stops it.
      if (child.signal.aborted) return true;
      entry.lastError = error;
      entry.stopOwed = false;
      this.#move(entry, "failed");
      return false;
    } finally {
      scope.close(child);
    }
  }

  #beginShutdown(statusWhenClean: "stopped" | "failed"): Promise<readonly LifecycleFailure[]> {
    if (this.#shutdown === undefined) {
      const scope = new CancelScope();
      this.#shutdown = { scope, failures: this.#runShutdown(scope, statusWhenClean) };
    }
    return this.#shutdown.failures;
  }

  async #runShutdown(scope: CancelScope, statusWhenClean: "stopped" | "failed"): Promise<readonly LifecycleFailure[]> {
    this.#transition("stopping");
    const failures: LifecycleFailure[] = [];
    const waves = this.#plan?.waves ?? this.#fallbackWaves();
    for (let w = waves.length - 1; w >= 0; w--) {
      const entries = waves[w]!.map((name) => this.#entries.get(name)!).reverse();
      const results = await Promise.all(entries.map((entry) => this.#stopOne(entry, scope)));
      for (const r of results) failures.push(...r);
    }
    this.#transition(failures.length > 0 ? "failed" : statusWhenClean);
    return failures;
  }

  // stop() before start() with an unorderable graph: nothing ran, so only
  // disposal remains, in reverse registration order.
  #fallbackWaves(): readonly (readonly string[])[] {
    try {
      return planLifecycle([...this.#entries.values()].map((e) => ({ name: e.registration.name, dependsOn: e.dependsOn }))).waves;
    } catch {
      return [...this.#entries.keys()].map((name) => [name]);
    }
  }

  async #stopOne(entry: Entry, scope: CancelScope): Promise<LifecycleFailure[]> {
    const failures: LifecycleFailure[] = [];
    const name = entry.registration.name;
    if (entry.stopOwed) {
      entry.stopOwed = false;
      const began = this.#clock.monotonic();
      this.#move(entry, "stopping");
      const error = await this.#attempt(entry, "stop", scope, entry.stopPolicy, (s) => entry.registration.stop?.(s));
      entry.stopDurationMs = this.#clock.monotonic() - began;
      this.#stopDuration.observe(entry.stopDurationMs, { component: name });
      if (error === undefined) this.#move(entry, "stopped");
      else {
        entry.lastError = error;
        failures.push({ component: name, phase: "stop", error });
        this.#move(entry, "failed");
      }
    }
    if (!entry.disposed) {
      entry.disposed = true;
      const registration = entry.registration;
      const dispose = registration[Symbol.asyncDispose] ?? registration[Symbol.dispose];
      if (dispose !== undefined) {
        const error = await this.#attempt(entry, "dispose", scope, entry.disposePolicy, () => dispose.call(registration));
        if (error === undefined) this.#events.emit({ type: "lifecycle.component.disposed", component: name, at: this.#clock.now() });
        else {
          entry.lastError = error;
          failures.push({ component: name, phase: "dispose", error });
          if (entry.status !== "failed") this.#move(entry, "failed");
        }
      }
    }
    return failures;
  }

  /** Runs a stop or dispose with its policy; resolves with the error, if any. */
  async #attempt(entry: Entry, phase: LifecyclePhase, scope: CancelScope, policy: ResolvedRetryPolicy, op: (signal: AbortSignal) => unknown): Promise<unknown> {
    const child = scope.open();
    try {
      await runWithRetry(op, {
        policy,
        clock: this.#clock,
        random: entry.random,
        signal: child.signal,
        callWhenAborted: true,
        timeoutError: () => new AttemptTimeoutError(entry.registration.name, phase, policy.timeoutMs),
        observer: {
          attempt: (n) => {
            if (phase === "stop") entry.stopAttempts = n;
          },
          failed: (n, error, retryInMs) => this.#attemptFailed(entry, phase, n, error, retryInMs),
        },
      });
      return undefined;
    } catch (error) {
      return child.signal.aborted ? new LifecycleAbortedError("stop", error) : error;
    } finally {
      scope.close(child);
    }
  }

  #attemptFailed(entry: Entry, phase: LifecyclePhase, attempt: number, error: unknown, retryInMs: number | undefined): void {
    const component = entry.registration.name;
    entry.lastError = error;
    this.#attemptFailures.inc({ component, phase });
    this.#events.emit({
      type: "lifecycle.attempt.failed",
      component,
      phase,
      attempt,
      error: messageOf(error),
      at: this.#clock.now(),
      ...(retryInMs !== undefined ? { retryInMs } : {}),
    });
    this.#logger.warn(
      { component, phase, attempt, err: messageOf(error), ...(retryInMs !== undefined ? { retryInMs } : {}) },
      retryInMs !== undefined ? `lifecycle ${phase} attempt failed; retrying` : `lifecycle ${phase} attempt failed; giving up`,
    );
  }

  #move(entry: Entry, to: LifecycleStatus): void {
    const from = entry.status;
    const component = entry.registration.name;
    entry.status = to;
    const stopping = from === "stopping" || to === "stopping";
    const attempts = stopping ? entry.stopAttempts : entry.startAttempts;
    const durationMs = to === "running" ? entry.startDurationMs : from === "stopping" ? entry.stopDurationMs : undefined;
    const error = to === "failed" && entry.lastError !== undefined ? messageOf(entry.lastError) : undefined;
    this.#componentsByStatus.dec({ status: from });
    this.#componentsByStatus.inc({ status: to });
    this.#componentTransitions.inc({ to });
    this.#events.emit({
      type: "lifecycle.component.transition",
      component,
      from,
      to,
      attempts,
      at: this.#clock.now(),
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(error !== undefined ? { error } : {}),
    });
    const fields = { component, from, to, attempts, ...(durationMs !== undefined ? { durationMs } : {}), ...(error !== undefined ? { err: error } : {}) };
    if (to === "failed") this.#logger.error(fields, `lifecycle component ${component} failed`);
    else if (to === "running" || to === "stopped") this.#logger.info(fields, `lifecycle component ${component} ${to}`);
    else this.#logger.debug(fields, `lifecycle component ${component} ${to}`);
  }

  #transition(to: LifecycleStatus): void {
    const from = this.#status;
    this.#status = to;
    this.#transitions.inc({ to });
    this.#events.emit({ type: "lifecycle.transition", from, to, at: this.#clock.now() });
    const log = to === "failed" ? this.#logger.error : this.#logger.info;
    log.call(this.#logger, { from, to, components: this.#entries.size }, `lifecycle ${to}`);
  }

  #snapshotOf(entry: Entry): ComponentSnapshot {
    const e = entry.lastError;
    return {
      name: entry.registration.name,
      dependsOn: entry.dependsOn,
      status: entry.status,
      startAttempts: entry.startAttempts,
      stopAttempts: entry.stopAttempts,
      ...(e !== undefined ? { lastError: { message: messageOf(e), ...(isDrainkitError(e) ? { code: e.code } : {}) } } : {}),
      ...(entry.runningSince !== undefined ? { runningSince: entry.runningSince } : {}),
      ...(entry.startDurationMs !== undefined ? { startDurationMs: entry.startDurationMs } : {}),
      ...(entry.stopDurationMs !== undefined ? { stopDurationMs: entry.stopDurationMs } : {}),
    };
  }
}
