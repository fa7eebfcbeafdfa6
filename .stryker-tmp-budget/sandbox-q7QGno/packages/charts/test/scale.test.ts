// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { linearScale } from "../src/index.ts";


describe("linearScale", () => {
  it("maps the domain ends onto the range ends and picks round ticks", () => {
    const s = linearScale(0, 1, 200, 20);
    expect(s.map(0)).toBe(200);
    expect(s.map(1)).toBe(20);
    expect(s.ticks).toEqual([0, 0.25, 0.5, 0.75, 1].filter((t) => s.ticks.includes(t)));
    expect(s.ticks.length).toBeGreaterThanOrEqual(3);
  });

  it("is monotone, clamps, and keeps its ticks inside the domain", () => {
    const v = fc.double({ min: -1e9, max: 1e9, noNaN: true });
    fc.assert(
      fc.property(v, v, v, v, (a, b, p, q) => {
        const s = linearScale(a, b, 0, 100);
        const [lo, hi] = p <= q ? [p, q] : [q, p];
        expect(s.map(lo)).toBeLessThanOrEqual(s.map(hi) + 1e-9);
        expect(s.map(p)).toBeGreaterThanOrEqual(0);
        expect(s.map(p)).toBeLessThanOrEqual(100);
        for (const t of s.ticks) {
          expect(t).toBeGreaterThanOrEqual(s.min - 1e-6 * Math.max(1, Math.abs(s.min)));
          expect(t).toBeLessThanOrEqual(s.max + 1e-6 * Math.max(1, Math.abs(s.max)));
        }
        expect(s.ticks.length).toBeLessThanOrEqual(50);
      }),
      fcParams({ numRuns: 500 }),
    );
  });
});
