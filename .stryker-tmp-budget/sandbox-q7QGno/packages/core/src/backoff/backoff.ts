// @ts-nocheck
import { sleep, type Clock } from "../ports/clock.ts";
import type { Random } from "../ports/random.ts";

/**
 * How long to wait between attempts: from `initialMs`, growing by
 * `multiplier` per failed attempt, never above `maxMs`, a `jitter` fraction
 * of each wait drawn at random.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Growth of the wait per failed attempt (≥ 1). Default 2. */
  readonly multiplier?: number;
  /** Fraction of each wait drawn at random, 0 (none: nothing is drawn) to 1. Default 0.5. */
  readonly jitter?: number;
}

/** 200 ms doubling to 5 s: what the agent, the event stream and drainctl wait between attempts unless told otherwise. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 5_000 };

/**
 * `ms` with its top `fraction` drawn at random (from `[ms·(1-fraction), ms)`;
 * by default its upper half), so a fleet of clients that failed together does
 * not call back in lockstep, while each still waits at least the rest of the
 * period. A fraction of 0 draws nothing and waits `ms`.
 *
 * @example
 * jitter(2_000, random); // somewhere in [1000, 2000)
 * jitter(2_000, random, 0.25); // somewhere in [1500, 2000)
 */
export function jitter(ms: number, random: Random, fraction = 0.5): number {
  if (fraction === 0) return Math.floor(ms);
  const spread = ms * fraction;
  return Math.floor(ms - spread + spread * random.next());
}

/**
 * The wait before retry number `attempt` (1 for the first retry):
 * `min(maxMs, initialMs · multiplier^(attempt-1))`, jittered by
 * {@link jitter}. Attempt 0 (or less) waits nothing, for a reconnect after
 * the server ended a stream on purpose. The one backoff formula of drainkit.
 *
 * @example
 * backoffDelay(1, { initialMs: 200, maxMs: 5_000 }, random); // in [100, 200)
 * backoffDelay(9, { initialMs: 200, maxMs: 5_000 }, random); // in [2500, 5000)
 * backoffDelay(3, { initialMs: 100, maxMs: 30_000, multiplier: 3, jitter: 0 }, random); // 900
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: Random): number {
  if (attempt <= 0) return 0;
  // A long outage overflows the power to Infinity, which the cap absorbs; a zero start stays zero (not 0 · Infinity).
  const step = policy.initialMs === 0 ? 0 : Math.min(policy.maxMs, policy.initialMs * (policy.multiplier ?? 2) ** (attempt - 1));
  return jitter(step, random, policy.jitter ?? 0.5);
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
