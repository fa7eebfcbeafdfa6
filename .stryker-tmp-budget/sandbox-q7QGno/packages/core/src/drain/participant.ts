// @ts-nocheck
import { DrainkitError } from "../errors/DrainkitError.ts";

/**
 * Anything on a node that takes work and can stop taking it: an HTTP server,
 * a gRPC server, a queue consumer. The coordinator closes every participant's
 * gate at once, then waits, event driven, until each reports zero in flight.
 *
 * Contract: `drain` and `resume` may be called repeatedly and must apply in
 * call order (closing a closed gate, or opening an open one, is a no-op);
 * `onIdle` listeners run whenever in-flight work reaches 0.
 *
 * @example
 * const http: DrainParticipant = {
 *   name: "http",
 *   drain: () => { accepting = false; },
 *   inFlight: () => open,
 *   onIdle: (fn) => { idle.add(fn); return () => idle.delete(fn); },
 *   resume: () => { accepting = true; },
 * };
 */
export interface DrainParticipant {
  /** Unique per coordinator; appears in snapshots, events and metric labels. */
  readonly name: string;
  /** Roles this participant serves; omitted means every role of the node. */
  readonly roles?: readonly string[];
  /**
   * Closes the gate to new work; in-flight work continues. Resolve once the
   * gate is closed; reject when it cannot be (that fails the drain). `signal`
   * aborts when the coordinator stops waiting for this drain (resumed, failed
   * or superseded); the gate stays closed until {@link resume}.
   */
  drain(signal: AbortSignal): void | Promise<void>;
  /** Units of work currently in flight. */
  inFlight(): number;
  /** Calls `listener` each time in-flight work reaches 0; returns an unsubscribe function. */
  onIdle(listener: () => void): () => void;
  /** Reopens the gate to new work. */
  resume(): void | Promise<void>;
}

/**
 * Work was offered to a participant whose gate is closed; send it to another node.
 *
 * @example
 * await api.track(handle).catch((e) => e instanceof GateClosedError ? reply(503) : Promise.reject(e));
 */
export class GateClosedError extends DrainkitError {
  constructor(participant: string) {
    super("gate-closed", `Participant "${participant}" is draining and takes no new work. Retry on another node, or resume this one.`, {
      retryable: true,
      details: { participant },
    });
  }
}

/** An in-memory {@link DrainParticipant} that counts units of work. */
export interface CountingParticipant extends DrainParticipant {
  /** True while the gate is open. */
  readonly open: boolean;
  /** Admits one unit of work; false (nothing admitted) when the gate is closed. */
  begin(): boolean;
  /** Finishes one admitted unit; notifies idle listeners when none is left. */
  end(): void;
  /** Runs `work` as one admitted unit; rejects with {@link GateClosedError} when closed. */
  track<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * A {@link CountingParticipant}: wrap each request in `begin()` / `end()` (or
 * `track`) and the coordinator knows exactly what is in flight. Used by the
 * demo, tests, the simulator, and as the core of protocol participants.
 *
 * @example
 * const api = createCountingParticipant("api");
 * if (!api.begin()) return reply503();
 * try { await handle(req); } finally { api.end(); }
 */
export function createCountingParticipant(name: string, options: { roles?: readonly string[] } = {}): CountingParticipant {
  let open = true;
  let inFlight = 0;
  const listeners = new Set<() => void>();
  const begin = (): boolean => {
    if (!open) return false;
    inFlight++;
    return true;
  };
  const end = (): void => {
    if (inFlight === 0) throw new RangeError(`participant "${name}": end() without a matching begin()`);
    inFlight--;
    if (inFlight === 0) for (const fn of [...listeners]) fn();
  };
  return {
    name,
    ...(options.roles === undefined ? {} : { roles: options.roles }),
    get open() {
      return open;
    },
    begin,
    end,
    async track<T>(work: () => Promise<T>): Promise<T> {
      if (!begin()) throw new GateClosedError(name);
      try {
        return await work();
      } finally {
        end();
      }
    },
    drain: () => {
      open = false;
    },
    inFlight: () => inFlight,
    onIdle: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    resume: () => {
      open = true;
    },
  };
}
