// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { renderProgressBar } from "../src/index.ts";
import { numericAttributes, textOutsideTags } from "./markup.ts";


const fillWidth = (svg: string): number => Number(/class="dk-progress-fill"[^>]* width="([^"]*)"/.exec(svg)![1]);

describe("renderProgressBar", () => {
  it("fills in proportion to value / max", () => {
    expect(fillWidth(renderProgressBar({ value: 0, max: 4, width: 101 }))).toBe(0);
    expect(fillWidth(renderProgressBar({ value: 1, max: 4, width: 101 }))).toBe(25);
    expect(fillWidth(renderProgressBar({ value: 4, max: 4, width: 101 }))).toBe(100);
    expect(renderProgressBar({ value: 3, max: 4 })).toContain(">75%<");
  });

  it("stays drawable and escaped for any value, max, label and marker", () => {
    const n = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -Infinity));
    fc.assert(
      fc.property(n, n, fc.string(), n, fc.string(), (value, max, label, at, markerLabel) => {
        const svg = renderProgressBar({ value, max, label, width: 200, marker: { at, label: markerLabel } });
        expect(textOutsideTags(svg)).not.toMatch(/[<>"]/);
        for (const a of numericAttributes(svg)) expect(Number.isFinite(Number(a))).toBe(true);
        const w = fillWidth(svg);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThanOrEqual(199);
      }),
      fcParams({ numRuns: 300 }),
    );
  });
});
