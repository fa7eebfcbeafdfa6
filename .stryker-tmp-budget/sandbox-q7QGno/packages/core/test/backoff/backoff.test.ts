// @ts-nocheck
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoff, backoffDelay, DEFAULT_BACKOFF, jitter } from "../../src/index.ts";
import { fcParams, SeededRandom, SimulatedClock } from "../../src/testing/index.ts";

const policy = fc.record({ initialMs: fc.integer({ min: 1, max: 10_000 }), maxMs: fc.integer({ min: 1, max: 600_000 }) });

describe("backoffDelay", () => {
  it("waits in [step/2, step) where step doubles from initialMs and never passes maxMs", () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: 1, max: 2_000 }), fc.integer(), (p, attempt, randomSeed) => {
        // The step from first principles: initialMs · 2^(attempt-1), capped.
        let step = p.initialMs;
        for (let i = 1; i < attempt && step < p.maxMs; i++) step *= 2;
        step = Math.min(step, p.maxMs);
        const ms = backoffDelay(attempt, p, new SeededRandom(randomSeed));
        expect(ms).toBeGreaterThanOrEqual(Math.floor(step / 2));
        expect(ms).toBeLessThanOrEqual(step);
        expect(ms).toBeLessThanOrEqual(p.maxMs);
        expect(Number.isInteger(ms)).toBe(true);
      }),
      fcParams({ numRuns: 500 }),
    );
  });

  it("waits nothing before a first attempt, and spreads clients that failed together", () => {
    const random = new SeededRandom(20_261_207);
    expect(backoffDelay(0, DEFAULT_BACKOFF, random)).toBe(0);
    const waits = new Set(Array.from({ length: 50 }, () => jitter(4_000, random)));
    expect(waits.size).toBeGreaterThan(10);
  });
});

describe("backoff on a SimulatedClock", () => {
  it("resolves exactly when the clock reaches the drawn delay, and rejects when aborted", async () => {
    await fc.assert(
      fc.asyncProperty(policy, fc.integer({ min: 1, max: 30 }), fc.integer(), async (p, attempt, randomSeed) => {
        const clock = new SimulatedClock();
        const expected = backoffDelay(attempt, p, new SeededRandom(randomSeed));
        let done = false;
        const wait = backoff(attempt, p, { clock, random: new SeededRandom(randomSeed) }).then(() => (done = true));
        if (expected > 0) {
          await clock.advanceAsync(expected - 1);
          expect(done).toBe(false);
        }
        await clock.advanceAsync(1);
        await wait;
        expect(clock.now()).toBe(Math.max(expected, 1));
        const aborted = new AbortController();
        const pending = backoff(attempt, p, { clock, random: new SeededRandom(randomSeed), signal: aborted.signal });
        aborted.abort(new Error("stop"));
        await expect(pending).rejects.toThrow("stop");
      }),
      fcParams({ numRuns: 100 }),
    );
  });
});

describe("backoffDelay with a multiplier and a jitter fraction", () => {
  it("waits in [step·(1-jitter), step] where step grows by the multiplier, and draws nothing without jitter", () => {
    const shaped = fc.record({
      initialMs: fc.integer({ min: 0, max: 10_000 }),
      maxMs: fc.integer({ min: 0, max: 600_000 }),
      // Multipliers whose powers stay exact in binary, so the oracle's repeated products equal the power.
      multiplier: fc.constantFrom(1, 1.5, 2, 3, 10),
      jitter: fc.constantFrom(0, 0.25, 0.5, 1),
    });
    fc.assert(
      fc.property(shaped, fc.integer({ min: 1, max: 2_000 }), fc.integer(), (p, attempt, randomSeed) => {
        let step = p.initialMs;
        for (let i = 1; i < attempt && step < p.maxMs; i++) step *= p.multiplier;
        step = Math.min(step, p.maxMs);
        const random = new SeededRandom(randomSeed);
        const ms = backoffDelay(attempt, p, random);
        expect(ms).toBeGreaterThanOrEqual(Math.floor(step * (1 - p.jitter)));
        expect(ms).toBeLessThanOrEqual(step);
        expect(Number.isInteger(ms)).toBe(true);
        if (p.jitter === 0) {
          expect(ms).toBe(Math.floor(step));
          expect(random.next()).toBe(new SeededRandom(randomSeed).next());
        }
      }),
      fcParams({ numRuns: 500 }),
    );
  });
});
