// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams, SimulatedClock } from "../../src/testing/index.ts";
import { sleep } from "../../src/index.ts";

describe("SimulatedClock", () => {
  it("fires timers in (time, sequence) order and never runs backwards", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { maxLength: 50 }), fc.array(fc.nat(200), { maxLength: 20 }), (delays, steps) => {
        const clock = new SimulatedClock();
        const fired: { at: number; delay: number; seq: number }[] = [];
        delays.forEach((d, seq) => clock.setTimer(d, () => fired.push({ at: clock.now(), delay: d, seq })));
        let last = clock.now();
        for (const s of steps) {
          clock.advance(s);
          expect(clock.now()).toBeGreaterThanOrEqual(last);
          last = clock.now();
        }
        clock.runUntilIdle();
        expect(fired).toHaveLength(delays.length);
        for (const f of fired) expect(f.at).toBe(f.delay);
        const order = [...fired].sort((a, b) => a.delay - b.delay || a.seq - b.seq);
        expect(fired.map((f) => f.seq)).toEqual(order.map((f) => f.seq));
        expect(clock.pendingTimers).toBe(0);
      }), fcParams(),
    );
  });

  it("cleared timers never fire and are not pending", () => {
    const clock = new SimulatedClock();
    let fired = 0;
    const h = clock.setTimer(10, () => fired++);
    clock.setTimer(20, () => fired++);
    expect(clock.pendingTimers).toBe(2);
    clock.clearTimer(h);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(fired).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it("refuses to go backwards", () => {
    const clock = new SimulatedClock({ start: 100 });
    expect(() => clock.advanceTo(50)).toThrow(/backwards/);
  });

  it("sleep resolves on virtual time and leaves no timer when aborted", async () => {
    const clock = new SimulatedClock();
    const ac = new AbortController();
    const p = sleep(clock, 1000, ac.signal);
    expect(clock.pendingTimers).toBe(1);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    expect(clock.pendingTimers).toBe(0);
    const q = sleep(clock, 5);
    await clock.advanceAsync(5);
    await expect(q).resolves.toBeUndefined();
  });
});
