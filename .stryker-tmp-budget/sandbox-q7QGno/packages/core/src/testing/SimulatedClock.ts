// @ts-nocheck
import type { Clock, TimerHandle } from "../ports/clock.ts";

interface Timer {
  readonly time: number;
  readonly seq: number;
  readonly id: number;
  fn: (() => void) | undefined;
}

function before(a: Timer, b: Timer): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * A virtual {@link Clock}. Timers fire in `(time, sequence)` order; time never
 * runs backwards; nothing happens until the test moves time.
 *
 * @example
 * const clock = new SimulatedClock({ start: 0 });
 * clock.setTimer(50, () => console.log("t =", clock.now()));
 * clock.advance(100);            // prints "t = 50", clock.now() === 100
 * clock.pendingTimers;           // 0
 */
export class SimulatedClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: Timer[] = [];
  #live = new Map<number, Timer>();

  constructor(options: { start?: number } = {}) {
    this.#now = options.start ?? 0;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  /** Number of timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.#live.size;
  }

  /** Time of the next due timer, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const id = ++this.#seq;
    const timer: Timer = { time: this.#now + delay, seq: id, id, fn };
    this.#live.set(id, timer);
    this.#push(timer);
    return id as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = this.#live.get(handle as number);
    if (timer) {
      timer.fn = undefined;
      this.#live.delete(timer.id);
    }
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advance(${ms}): time never runs backwards`);
    this.advanceTo(this.#now + ms);
  }

  /** Moves time forward to `time`, firing every timer due on the way, in order. */
  advanceTo(time: number): void {
    if (time < this.#now) throw new RangeError(`advanceTo(${time}): time never runs backwards (now ${this.#now})`);
    for (;;) {
      const next = this.#peekLive();
      if (next === undefined || next.time > time) break;
      this.#fire(next);
    }
    this.#now = time;
  }

  /** Fires the next due timer (moving time to it); false when none is pending. */
  step(): boolean {
    const next = this.#peekLive();
    if (next === undefined) return false;
    this.#fire(next);
    return true;
  }

  /** Fires timers until none is pending; throws after `limit` firings (a timer loop). */
  runUntilIdle(limit = 1_000_000): number {
    let fired = 0;
    while (this.step()) {
      if (++fired > limit) throw new Error(`runUntilIdle: more than ${limit} timers fired; a timer re-arms itself forever`);
    }
    return fired;
  }

  /**
   * Like {@link advance}, but lets promise continuations run after every timer,
   * for code that awaits between timers.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.#peekLive();
      if (next === undefined || next.time > target) break;
      this.#fire(next);
      await flushMicrotasks();
    }
    this.#now = Math.max(this.#now, target);
    await flushMicrotasks();
  }

  /** Like {@link runUntilIdle}, letting promise continuations run after every timer. */
  async runUntilIdleAsync(limit = 1_000_000): Promise<number> {
    let fired = 0;
    await flushMicrotasks();
    while (this.step()) {
      if (++fired > limit) throw new Error(`runUntilIdleAsync: more than ${limit} timers fired`);
      await flushMicrotasks();
    }
    return fired;
  }

  #fire(timer: Timer): void {
    this.#pop();
    this.#live.delete(timer.id);
    if (timer.time > this.#now) this.#now = timer.time;
    const fn = timer.fn;
    timer.fn = undefined;
    fn?.();
  }

  #peekLive(): Timer | undefined {
    this.#dropCancelled();
    return this.#heap[0];
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.fn === undefined) this.#pop();
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop();
    if (h.length === 0 || last === undefined) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** Lets every queued promise continuation run (a macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  // Test tooling only: a macrotask boundary is the one reliable way to let all
  // chained promise continuations settle before the next virtual timer fires.
  // eslint-disable-next-line no-restricted-globals
  return new Promise((resolve) => setImmediate(resolve));
}
