import { describe, expect, it } from "vitest";
import { silentLogger } from "@drainkit/core";
import { flushMicrotasks, SimulatedClock } from "@drainkit/core/testing";
import { supervise } from "../../src/controllers/supervise.ts";

/** A fake controller that records its incarnations and lets the test break its feed. */
function controllers(failStarts: ReadonlySet<number> = new Set()) {
  const started: number[] = [];
  const stopped: number[] = [];
  const lost = new Map<number, (e: Error) => void>();
  const start = async (n: number, onFeedLost: (e: Error) => void) => {
    if (failStarts.has(n)) throw new Error(`store down (start ${n})`);
    started.push(n);
    lost.set(n, onFeedLost);
    return { n, stop: () => void stopped.push(n) };
  };
  return { started, stopped, lost, start };
}

describe("supervise", () => {
  it("restarts a controller from scratch when it loses its feed, after the delay, and ignores a late report from an old incarnation", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const c = controllers();
    const s = await supervise("x", { clock, logger: silentLogger, restartDelayMs: 500 }, c.start);
    expect(s.current()).toMatchObject({ n: 1 });
    c.lost.get(1)!(new Error("history compacted"));
    expect(c.stopped).toEqual([1]);
    expect(s.current()).toBeUndefined();
    clock.advance(499);
    await flushMicrotasks();
    expect(c.started).toEqual([1]);
    clock.advance(1);
    await flushMicrotasks();
    expect(c.started).toEqual([1, 2]);
    expect(s.current()).toMatchObject({ n: 2 });
    // The old incarnation reporting again changes nothing.
    c.lost.get(1)!(new Error("late"));
    clock.advance(10_000);
    await flushMicrotasks();
    expect(c.started).toEqual([1, 2]);
    s.stop();
    expect(c.stopped).toEqual([1, 2]);
  });

  it("keeps retrying a restart that fails, and stops retrying once stopped", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const c = controllers(new Set([2, 3]));
    const s = await supervise("x", { clock, logger: silentLogger, restartDelayMs: 100 }, c.start);
    c.lost.get(1)!(new Error("gone"));
    for (let i = 0; i < 3; i++) {
      clock.advance(100);
      await flushMicrotasks();
    }
    expect(c.started).toEqual([1, 4]);
    expect(s.current()).toMatchObject({ n: 4 });
    c.lost.get(4)!(new Error("gone again"));
    s.stop();
    clock.advance(10_000);
    await flushMicrotasks();
    expect(c.started).toEqual([1, 4]);
    expect(clock.pendingTimers).toBe(0);
  });
});
