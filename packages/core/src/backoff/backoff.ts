import { sleep, type Clock } from "../ports/clock.ts";
import type { Random } from "../ports/random.ts";

/** How long to wait between attempts: from `initialMs`, doubling per failed attempt, never above `maxMs`. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** 200 ms doubling to 5 s: what the agent, the event stream and drainctl wait between attempts unless told otherwise. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 5_000 };

/**
 * `ms` with its upper half drawn at random (from `[ms/2, ms)`), so a fleet
 * of clients that failed together does not call back in lockstep, while
 * each still waits at least half the period.
 *
 * @example
 * jitter(2_000, random); // somewhere in [1000, 2000)
 */
export function jitter(ms: number, random: Random): number {
  return Math.floor(ms / 2 + (ms / 2) * random.next());
}

/**
 * The wait before retry number `attempt` (1 for the first retry): the
 * policy's exponential step, jittered by {@link jitter}. Attempt 0 (or less)
 * waits nothing, for a reconnect after the server ended a stream on purpose.
 *
 * @example
 * backoffDelay(1, { initialMs: 200, maxMs: 5_000 }, random); // in [100, 200)
 * backoffDelay(9, { initialMs: 200, maxMs: 5_000 }, random); // in [2500, 5000)
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: Random): number {
  if (attempt <= 0) return 0;
  // Capping the exponent keeps 2 ** n finite however long a host stays cut off.
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt - 1, 52));
  return jitter(step, random);
}

/**
 * Sleeps {@link backoffDelay} on `clock`; rejects with the signal's reason
 * when it aborts first.
 *
 * @example
 * for (let attempt = 1; ; attempt++) {
 *   try { return await call(); } catch (e) { if (!isRetryable(e)) throw e; }
 *   await backoff(attempt, DEFAULT_BACKOFF, { clock, random, signal });
 * }
 */
export function backoff(attempt: number, policy: BackoffPolicy, ports: { readonly clock: Clock; readonly random: Random; readonly signal?: AbortSignal | undefined }): Promise<void> {
  return sleep(ports.clock, backoffDelay(attempt, policy, ports.random), ports.signal);
}
