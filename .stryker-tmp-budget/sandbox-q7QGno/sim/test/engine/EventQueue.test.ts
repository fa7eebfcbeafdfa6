// @ts-nocheck
import { describe, expect, it } from "vitest";
import { SeededRandom } from "@drainkit/core";
import { Engine, SIM_EPOCH_MS } from "../../src/engine/Engine.ts";
import { EventQueue } from "../../src/engine/EventQueue.ts";
import { runMM1 } from "../../src/engine/mm1.ts";

describe("EventQueue", () => {
  it("pops in (time, sequence) order, growing past its first capacity", () => {
    const q = new EventQueue(16);
    const random = new SeededRandom(3);
    const pushed: { time: number; seq: number; a: number }[] = [];
    for (let i = 0; i < 5_000; i++) {
      const time = random.int(0, 50); // many ties
      pushed.push({ time, seq: q.push(time, 1, i, 0), a: i });
    }
    pushed.sort((x, y) => x.time - y.time || x.seq - y.seq);
    const popped: number[] = [];
    while (q.pop()) popped.push(q.a);
    expect(popped).toEqual(pushed.map((p) => p.a));
    expect(q.size).toBe(0);
  });

  it("keeps insertion order among events at the same time when interleaved with pops", () => {
    const q = new EventQueue();
    q.push(10, 1, 1, 0);
    q.push(5, 1, 2, 0);
    expect(q.pop() && q.a).toBe(2);
    q.push(10, 1, 3, 0);
    q.push(10, 1, 4, 0);
    const order: number[] = [];
    while (q.pop()) order.push(q.a);
    expect(order).toEqual([1, 3, 4]);
  });
});

describe("Engine", () => {
  it("runs handlers in virtual time and never moves time backwards", () => {
    const engine = new Engine();
    const seen: [number, number][] = [];
    const kind = engine.register((a) => seen.push([engine.now, a]));
    engine.schedule(30, kind, 3);
    engine.schedule(10, kind, 1);
    engine.at(20, kind, 2);
    engine.run();
    expect(seen).toEqual([[10, 1], [20, 2], [30, 3]]);
  });

  it("gives core a Clock whose timers share the queue and can be cleared", () => {
    const engine = new Engine();
    const fired: string[] = [];
    const kind = engine.register(() => fired.push(`event@${engine.now}`));
    engine.clock.setTimer(5, () => fired.push(`timer@${engine.clock.monotonic()}`));
    const cleared = engine.clock.setTimer(6, () => fired.push("cleared"));
    engine.clock.clearTimer(cleared);
    engine.schedule(5, kind);
    engine.run();
    expect(fired).toEqual(["timer@5", "event@5"]);
    expect(engine.clock.now()).toBe(SIM_EPOCH_MS + 6);
    expect(engine.pendingTimers).toBe(0);
  });
});

describe("M/M/1 on the bare engine", () => {
  it("matches queueing theory: mean number in system ρ/(1−ρ)", () => {
    const r = runMM1({ lambda: 0.5, mu: 1, customers: 200_000, random: new SeededRandom(11) });
    expect(r.served).toBe(200_000);
    expect(r.events).toBe(400_000);
    expect(r.meanInSystem).toBeGreaterThan(0.9);
    expect(r.meanInSystem).toBeLessThan(1.1);
  });

  it("is deterministic for a seed", () => {
    const a = runMM1({ lambda: 0.8, mu: 1, customers: 10_000, random: new SeededRandom(5) });
    const b = runMM1({ lambda: 0.8, mu: 1, customers: 10_000, random: new SeededRandom(5) });
    expect(a).toEqual(b);
  });
});
