/**
 * Where a component, or the whole lifecycle, is. `failed` is terminal: a
 * component whose start gave up, or whose stop or dispose failed.
 */
// @ts-nocheck

export type LifecycleStatus = "pending" | "starting" | "running" | "stopping" | "stopped" | "failed";

/**
 * How one operation (start or stop) is retried. Every wait runs on the
 * injected Clock and every jitter draw comes from the injected Random.
 *
 * After failed attempt `n`, the next one waits core's one backoff,
 * `backoffDelay` (`@drainkit/core`): `min(maxDelayMs, initialDelayMs * multiplier^(n-1))`
 * with its top `jitter` fraction drawn at random.
 *
 * @example
 * // 4 attempts, waits of ~100, ~200, ~400 ms (±50 %), each attempt cut off after 2 s
 * const policy: RetryPolicy = { attempts: 4, initialDelayMs: 100, jitter: 0.5, timeoutMs: 2_000 };
 */
export interface RetryPolicy {
  /** Attempts in total, the first included (integer ≥ 1). Default 1: no retry. */
  readonly attempts?: number;
  /** Wait before the second attempt, in ms. Default 100. */
  readonly initialDelayMs?: number;
  /** Cap on any single wait, in ms. Default 30 000. */
  readonly maxDelayMs?: number;
  /** Growth of the wait per attempt (≥ 1). Default 2. */
  readonly multiplier?: number;
  /** Fraction of each wait drawn at random, 0 (none) to 1 (full jitter). Default 0.5. */
  readonly jitter?: number;
  /** Each attempt's deadline in ms; its signal is aborted then. Default none. */
  readonly timeoutMs?: number;
  /**
   * Whether an error is worth another attempt. Default: everything except a
   * drainkit error that says `retryable: false`.
   */
  readonly retryIf?: (error: unknown) => boolean;
}

/** Retry policies for a component's start and stop (dispose uses stop's timeout). */
export interface LifecycleRetry {
  readonly start?: RetryPolicy;
  readonly stop?: RetryPolicy;
}

/**
 * Anything with optional `start` / `stop` and, optionally, `Symbol.asyncDispose`
 * or `Symbol.dispose`. Methods are called on the object itself.
 *
 * `start(signal)` should resolve once the component serves; the signal aborts
 * when the start is cancelled or its attempt times out. `stop(signal)` should
 * resolve once it has stopped; an aborted signal asks it to stop now.
 */
export interface LifecycleComponent {
  start?(signal: AbortSignal): PromiseLike<unknown> | void;
  stop?(signal: AbortSignal): PromiseLike<unknown> | void;
  [Symbol.asyncDispose]?(): PromiseLike<void>;
  [Symbol.dispose]?(): void;
}

/**
 * A named component with its dependencies, as the orchestrator takes it:
 * plain functions (`{ name, start, stop }`), an object that already has
 * them, or any object wrapped with {@link fromComponent}.
 *
 * @example
 * const exporter: LifecycleRegistration = {
 *   name: "exporter",
 *   dependsOn: ["http"],
 *   start: async (signal) => { await exporterClient.connect({ signal }); },
 *   stop: async () => { await exporterClient.flush(); },
 *   retry: { start: { attempts: 5, initialDelayMs: 200, timeoutMs: 1_000 } },
 * };
 */
export interface LifecycleRegistration extends LifecycleComponent {
  /** Unique; used in order, snapshots, events, logs and metric labels. */
  readonly name: string;
  /** Names of components that must be running before this one starts. */
  readonly dependsOn?: readonly string[];
  readonly retry?: LifecycleRetry;
}

/** What a health endpoint shows for one component. */
export interface ComponentSnapshot {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly status: LifecycleStatus;
  /** Start attempts made so far. */
  readonly startAttempts: number;
  /** Stop attempts made so far. */
  readonly stopAttempts: number;
  /** The latest failed attempt's error, if any. */
  readonly lastError?: { readonly message: string; readonly code?: string };
  /** Wall time (epoch ms) at which it became running. */
  readonly runningSince?: number;
  /** From the first start attempt to running (retries included), in ms. */
  readonly startDurationMs?: number;
  /** From the first stop attempt to stopped or failed, in ms. */
  readonly stopDurationMs?: number;
}

/** What a health endpoint shows for the whole lifecycle. */
export interface LifecycleSnapshot {
  readonly status: LifecycleStatus;
  /** True while every component is running. */
  readonly ready: boolean;
  /** Components in start order (see {@link LifecycleOrchestrator.order}) once planned, else registration order. */
  readonly components: readonly ComponentSnapshot[];
}

/**
 * Every event the orchestrator emits; `at` is the injected Clock's wall time.
 *
 * - `lifecycle.transition`: the whole lifecycle moved.
 * - `lifecycle.component.transition`: one component moved; `attempts` counts the current phase's attempts.
 * - `lifecycle.attempt.failed`: one attempt failed; `retryInMs` is absent when it gives up.
 * - `lifecycle.component.disposed`: its `Symbol.asyncDispose` / `Symbol.dispose` ran successfully.
 */
export type LifecycleEvent =
  | { readonly type: "lifecycle.transition"; readonly from: LifecycleStatus; readonly to: LifecycleStatus; readonly at: number }
  | {
      readonly type: "lifecycle.component.transition";
      readonly component: string;
      readonly from: LifecycleStatus;
      readonly to: LifecycleStatus;
      readonly attempts: number;
      readonly at: number;
      readonly durationMs?: number;
      readonly error?: string;
    }
  | {
      readonly type: "lifecycle.attempt.failed";
      readonly component: string;
      readonly phase: "start" | "stop" | "dispose";
      readonly attempt: number;
      readonly error: string;
      readonly at: number;
      readonly retryInMs?: number;
    }
  | { readonly type: "lifecycle.component.disposed"; readonly component: string; readonly at: number };

/**
 * Wraps an object that has `start` / `stop` (and perhaps `Symbol.asyncDispose`)
 * as a named registration; its methods keep their `this`.
 *
 * @example
 * const server = new GossipLoop(config);  // has start(signal), stop(), [Symbol.asyncDispose]()
 * lifecycle.register(fromComponent("gossip", server, { dependsOn: ["http"] }));
 */
export function fromComponent(
  name: string,
  target: LifecycleComponent,
  options: { readonly dependsOn?: readonly string[]; readonly retry?: LifecycleRetry } = {},
): LifecycleRegistration {
  const asyncDispose = target[Symbol.asyncDispose];
  const dispose = target[Symbol.dispose];
  return {
    name,
    ...(options.dependsOn !== undefined ? { dependsOn: options.dependsOn } : {}),
    ...(options.retry !== undefined ? { retry: options.retry } : {}),
    ...(target.start !== undefined ? { start: (signal: AbortSignal) => target.start?.(signal) } : {}),
    ...(target.stop !== undefined ? { stop: (signal: AbortSignal) => target.stop?.(signal) } : {}),
    ...(asyncDispose !== undefined ? { [Symbol.asyncDispose]: () => asyncDispose.call(target) } : {}),
    ...(asyncDispose === undefined && dispose !== undefined ? { [Symbol.dispose]: () => dispose.call(target) } : {}),
  };
}
