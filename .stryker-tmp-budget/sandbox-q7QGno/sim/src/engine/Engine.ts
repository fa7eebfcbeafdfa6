// @ts-nocheck
import type { Clock, TimerHandle } from "@drainkit/core";
import { EventQueue } from "./EventQueue.ts";

/** Handles one event kind; `a` and `b` are the integer payloads it was scheduled with. */
export type EventHandler = (a: number, b: number) => void;

/** Wall-clock epoch (2026-01-01T00:00:00Z) that virtual time 0 maps to for core's `Clock.now()`. */
export const SIM_EPOCH_MS = 1_767_225_600_000;

const TIMER_KIND = 0;

/**
 * A single-threaded discrete-event engine: virtual time, an {@link EventQueue}
 * ordered by `(time, sequence)`, and a table of handlers by event kind (the
 * handlers are registered once, so scheduling an event creates no closure).
 *
 * {@link clock} is a core `Clock` whose timers are events in the same queue,
 * so core's timers and the model's events share one total order.
 *
 * @example
 * const engine = new Engine();
 * const arrive = engine.register((customer) => console.log(engine.now, customer));
 * engine.schedule(10, arrive, 1, 0);
 * engine.run();                       // prints "10 1"
 */
export class Engine {
  readonly queue: EventQueue;
  /** Virtual time of the event being handled (ms since the start of the run). */
  now = 0;
  /** Events handled so far (core timers included). */
  events = 0;
  /** Set by a handler that called into promise-based code; the async loop then lets continuations settle. */
  pendingContinuations = false;
  readonly clock: Clock;
  #handlers: EventHandler[] = [];
  #timers = new Map<number, () => void>();
  #nextTimer = 1;

  constructor(options: { capacity?: number } = {}) {
    this.queue = new EventQueue(options.capacity ?? 1024);
    this.#handlers.push((id) => {
      const fn = this.#timers.get(id);
      if (fn === undefined) return;
      this.#timers.delete(id);
      this.pendingContinuations = true;
      fn();
    });
    this.clock = {
      now: () => SIM_EPOCH_MS + this.now,
      monotonic: () => this.now,
      setTimer: (ms: number, fn: () => void): TimerHandle => {
        const id = this.#nextTimer++;
        this.#timers.set(id, fn);
        this.queue.push(this.now + (Number.isFinite(ms) && ms > 0 ? ms : 0), TIMER_KIND, id, 0);
        return id as TimerHandle;
      },
      clearTimer: (handle: TimerHandle): void => {
        this.#timers.delete(handle as number);
      },
    };
  }

  /** Registers a handler; returns the event kind to schedule it with. */
  register(handler: EventHandler): number {
    this.#handlers.push(handler);
    return this.#handlers.length - 1;
  }

  /** Schedules `kind(a, b)` after `delay` ms of virtual time; returns its sequence number. */
  schedule(delay: number, kind: number, a = 0, b = 0): number {
    return this.queue.push(this.now + (delay > 0 ? delay : 0), kind, a, b);
  }

  /** Schedules `kind(a, b)` at absolute virtual time `time` (never before now). */
  at(time: number, kind: number, a = 0, b = 0): number {
    return this.queue.push(time > this.now ? time : this.now, kind, a, b);
  }

  /** Number of core timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Handles the next event; false when the queue is empty or the next event is after `until`. */
  step(until = Infinity): boolean {
    const q = this.queue;
    if (q.size === 0 || q.peekTime() > until) return false;
    q.pop();
    this.now = q.time;
    this.events++;
    this.#handlers[q.kind]!(q.a, q.b);
    return true;
  }

  /** Handles events until the queue is empty, `until` is passed or `maxEvents` were handled. */
  run(until = Infinity, maxEvents = Infinity): number {
    // The M/M/1 benchmark runs through here: keep it free of per-event allocation.
    const q = this.queue;
    const handlers = this.#handlers;
    let n = 0;
    while (n < maxEvents && q.size > 0 && q.peekTime() <= until) {
      q.pop();
      this.now = q.time;
      this.events++;
      n++;
      handlers[q.kind]!(q.a, q.b);
    }
    return n;
  }
}

/** Lets every queued promise continuation run (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
