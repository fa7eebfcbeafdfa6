// @ts-nocheck
// Why not cockatiel here: cockatiel 4's RetryPolicy waits between attempts with
// the global setTimeout, its TimeoutPolicy arms a global setTimeout, and its
// jittered backoffs call Math.random (dist/RetryPolicy.js `delay`,
// dist/TimeoutPolicy.js `execute`, dist/backoff/ExponentialBackoffGenerators.js).
// None of them accepts a clock or a random source, so on a SimulatedClock a
// retry would wait on real time and replays would not repeat. The few lines
// below do the same job (attempts, capped exponential backoff with jitter,
// per-attempt timeout, abort) on the injected Clock and Random.
import { backoffDelay, type BackoffPolicy } from "../backoff/backoff.ts";
import { isDrainkitError } from "../errors/DrainkitError.ts";
import { sleep, type Clock, type TimerHandle } from "../ports/clock.ts";
import type { Random } from "../ports/random.ts";
import { InvalidRetryPolicyError } from "./errors.ts";
import type { RetryPolicy } from "./types.ts";

/** A {@link RetryPolicy} with every default filled in. */
export interface ResolvedRetryPolicy {
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly timeoutMs: number;
  readonly retryIf: (error: unknown) => boolean;
  /** The waits between attempts, in the terms of core's one backoff formula. */
  readonly backoff: BackoffPolicy;
}

const retryUnlessMarkedFinal = (error: unknown): boolean => !(isDrainkitError(error) && !error.retryable);

/** Fills defaults (component fields over orchestrator fields) and checks ranges. */
export function resolveRetryPolicy(own: RetryPolicy | undefined, defaults: RetryPolicy | undefined): ResolvedRetryPolicy {
  const pick = <K extends keyof RetryPolicy>(k: K): RetryPolicy[K] | undefined => own?.[k] ?? defaults?.[k];
  const fields = {
    attempts: pick("attempts") ?? 1,
    initialDelayMs: pick("initialDelayMs") ?? 100,
    maxDelayMs: pick("maxDelayMs") ?? 30_000,
    multiplier: pick("multiplier") ?? 2,
    jitter: pick("jitter") ?? 0.5,
    timeoutMs: pick("timeoutMs") ?? Number.POSITIVE_INFINITY,
    retryIf: pick("retryIf") ?? retryUnlessMarkedFinal,
  };
  const policy: ResolvedRetryPolicy = {
    ...fields,
    backoff: { initialMs: fields.initialDelayMs, maxMs: fields.maxDelayMs, multiplier: fields.multiplier, jitter: fields.jitter },
  };
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) throw new InvalidRetryPolicyError("attempts", policy.attempts, "an integer of at least 1");
  if (!(policy.initialDelayMs >= 0)) throw new InvalidRetryPolicyError("initialDelayMs", policy.initialDelayMs, "0 or more");
  if (!(policy.maxDelayMs >= 0)) throw new InvalidRetryPolicyError("maxDelayMs", policy.maxDelayMs, "0 or more");
  if (!(policy.multiplier >= 1)) throw new InvalidRetryPolicyError("multiplier", policy.multiplier, "1 or more");
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) throw new InvalidRetryPolicyError("jitter", policy.jitter, "between 0 and 1");
  if (!(policy.timeoutMs > 0)) throw new InvalidRetryPolicyError("timeoutMs", policy.timeoutMs, "more than 0");
  return policy;
}

export interface AttemptObserver {
  attempt(n: number): void;
  failed(n: number, error: unknown, retryInMs: number | undefined): void;
}

/**
 * Runs `op` until it succeeds, the policy gives up (rejects with the last
 * error) or `signal` aborts (rejects with its reason). With `callWhenAborted`,
 * an already-aborted signal still gets one call, so a stop can cut corners,
 * but it is not awaited.
 */
export async function runWithRetry(
  op: (signal: AbortSignal) => unknown,
  options: {
    readonly policy: ResolvedRetryPolicy;
    readonly clock: Clock;
    readonly random: Random;
    readonly signal: AbortSignal;
    readonly timeoutError: () => Error;
    readonly observer: AttemptObserver;
    readonly callWhenAborted?: boolean;
  },
): Promise<void> {
  const { policy, signal, observer } = options;
  for (let n = 1; ; n++) {
    if (signal.aborted && !(n === 1 && options.callWhenAborted === true)) throw signal.reason;
    observer.attempt(n);
    try {
      await attempt(op, options.clock, policy.timeoutMs, signal, options.timeoutError);
      return;
    } catch (error) {
      // A cancelled attempt is the caller's decision, not the component's failure.
      if (signal.aborted) throw signal.reason;
      const retryInMs = n < policy.attempts && policy.retryIf(error) ? backoffDelay(n, policy.backoff, options.random) : undefined;
      observer.failed(n, error, retryInMs);
      if (retryInMs === undefined) throw error;
      await sleep(options.clock, retryInMs, signal);
    }
  }
}

// One call of `op`, cut off by the parent signal or by the timeout, whichever
// comes first. An op that ignores its signal is abandoned (its late outcome is
// swallowed) so that nothing waits on it forever; its timer is always cleared.
function attempt(op: (signal: AbortSignal) => unknown, clock: Clock, timeoutMs: number, parent: AbortSignal, timeoutError: () => Error): Promise<void> {
  // Without a timeout the parent signal is the attempt's signal; an own
  // controller per attempt would only add allocations (10 000 components).
  const own = Number.isFinite(timeoutMs) ? new AbortController() : undefined;
  const signal = own?.signal ?? parent;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let timer: TimerHandle | undefined;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      parent.removeEventListener("abort", onParentAbort);
      if (timer !== undefined) clock.clearTimer(timer);
      outcome();
    };
    const onParentAbort = (): void => {
      own?.abort(parent.reason);
      settle(() => reject(parent.reason));
    };
    if (parent.aborted) own?.abort(parent.reason);
    else {
      parent.addEventListener("abort", onParentAbort, { once: true });
      if (own !== undefined) {
        timer = clock.setTimer(timeoutMs, () => {
          timer = undefined;
          const error = timeoutError();
          own.abort(error);
          settle(() => reject(error));
        });
      }
    }
    try {
      Promise.resolve(op(signal)).then(
        () => settle(resolve),
        (error: unknown) => settle(() => reject(error)),
      );
    } catch (error) {
      settle(() => reject(error));
    }
    if (parent.aborted) settle(() => reject(parent.reason));
  });
}
