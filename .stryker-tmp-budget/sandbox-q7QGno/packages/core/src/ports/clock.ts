/** Opaque handle returned by {@link Clock.setTimer}. */
// @ts-nocheck

export type TimerHandle = { readonly __timer: unique symbol } | number;

/**
 * Time enters core only through this port, so the simulator can drive the very
 * same code on virtual time.
 *
 * @example
 * const clock = systemClock();            // real time
 * const sim = new SimulatedClock();       // virtual time, from "@drainkit/core/testing"
 * sim.setTimer(1_000, () => console.log("fired at", sim.now()));
 * sim.advance(1_000);
 */
export interface Clock {
  /** Wall-clock time in epoch milliseconds (for records and deadlines). */
  now(): number;
  /** Monotonic reading in milliseconds, for durations; never goes backwards. */
  monotonic(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer; clearing an already-fired or unknown handle is a no-op. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * Resolves after `ms` on the given clock, or rejects with the signal's reason
 * when aborted; the timer is always cleared so none is left behind.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimer(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimer(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
