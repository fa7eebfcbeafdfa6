// @ts-nocheck
import type { CountingParticipant } from "./participant.ts";
import { createCountingParticipant } from "./participant.ts";

/**
 * A test double for a participant whose gate closes (or reopens) only when the
 * test says so, and may fail: for exercising slow or broken participants.
 */
export interface ManualParticipant extends CountingParticipant {
  /** Signals passed to each `drain()` call, in order. */
  readonly signals: readonly AbortSignal[];
  /** Calls seen, in order ("drain" / "resume"). */
  readonly calls: readonly ("drain" | "resume")[];
  /** Acknowledges every pending `drain()`: the gate is closed. */
  closeGate(): void;
  /** Rejects every pending `drain()` with `error`. */
  failGate(error: Error): void;
  /** Acknowledges every pending `resume()`. */
  reopenGate(): void;
  /** Rejects every pending `resume()` with `error`. */
  failReopen(error: Error): void;
}

/**
 * A {@link ManualParticipant}: counts work like `createCountingParticipant`
 * (its gate flips at the call), but `drain()` / `resume()` return promises
 * the test settles.
 *
 * @example
 * const http = createManualParticipant("http");
 * const result = coordinator.drain({ deadline, reason: "test" });
 * coordinator.snapshot().participants[0].state; // "closing"
 * http.closeGate();
 * await result;                                 // drained
 */
export function createManualParticipant(name: string, options: { roles?: readonly string[] } = {}): ManualParticipant {
  const inner = createCountingParticipant(name, options);
  const signals: AbortSignal[] = [];
  const calls: ("drain" | "resume")[] = [];
  let draining: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let resuming: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const settle = (list: typeof draining, fn: (p: (typeof draining)[number]) => void): void => {
    for (const p of list) fn(p);
  };
  return {
    name,
    ...(options.roles === undefined ? {} : { roles: options.roles }),
    get open() {
      return inner.open;
    },
    signals,
    calls,
    begin: () => inner.begin(),
    end: () => inner.end(),
    track: (work) => inner.track(work),
    inFlight: () => inner.inFlight(),
    onIdle: (listener) => inner.onIdle(listener),
    drain(signal) {
      signals.push(signal);
      calls.push("drain");
      void inner.drain(signal);
      return new Promise<void>((resolve, reject) => draining.push({ resolve, reject }));
    },
    resume() {
      calls.push("resume");
      void inner.resume();
      return new Promise<void>((resolve, reject) => resuming.push({ resolve, reject }));
    },
    closeGate() {
      const list = draining;
      draining = [];
      settle(list, (p) => p.resolve());
    },
    failGate(error) {
      const list = draining;
      draining = [];
      settle(list, (p) => p.reject(error));
    },
    reopenGate() {
      const list = resuming;
      resuming = [];
      settle(list, (p) => p.resolve());
    },
    failReopen(error) {
      const list = resuming;
      resuming = [];
      settle(list, (p) => p.reject(error));
    },
  };
}
