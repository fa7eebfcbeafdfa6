// @ts-nocheck
// The one file in core allowed to touch ambient time and randomness: it is the
// real implementation of the Clock and Random ports (lint exempts it by name).
import { getRandomValues } from "node:crypto";
import type { Clock, TimerHandle } from "./clock.ts";
import { SeededRandom, type Random } from "./random.ts";

/**
 * The real clock: `Date.now()` for wall time, `performance.now()` for
 * monotonic readings, `setTimeout` for timers.
 */
export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimer: (ms, fn) => setTimeout(fn, Math.max(0, ms)) as unknown as TimerHandle,
    clearTimer: (h) => clearTimeout(h as unknown as NodeJS.Timeout),
  };
}

/** A {@link SeededRandom} seeded from the OS CSPRNG, or from `seed` when given. */
export function systemRandom(seed?: number): Random {
  return new SeededRandom(seed ?? getRandomValues(new Int32Array(1))[0]!);
}
