// @ts-nocheck
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renderLineChart, stepPoints } from "../src/index.ts";

const seed = Number(process.env["FC_SEED"] ?? Date.now() % 2 ** 31);
console.log(`fast-check seed ${seed} (replay with FC_SEED=${seed})`);

describe("step lines", () => {
  it("hold each value until the next sample, then jump: no slope between sparse samples", () => {
    expect(stepPoints([[0, 1], [30_000, 0.5], [31_500, 1]])).toEqual([[0, 1], [30_000, 1], [30_000, 0.5], [31_500, 0.5], [31_500, 1]]);
    expect(stepPoints([[0, 1], [10, 1]])).toEqual([[0, 1], [10, 1]]);
  });

  it("only ever moves horizontally or vertically, through every sample (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 10 })), { maxLength: 20 }), (raw) => {
        const pts = [...raw].sort((a, b) => a[0] - b[0]);
        const step = stepPoints(pts);
        for (let i = 1; i < step.length; i++) expect(step[i]![0] === step[i - 1]![0] || step[i]![1] === step[i - 1]![1]).toBe(true);
        for (const p of pts) expect(step).toContainEqual(p);
      }),
      { seed, numRuns: 200 },
    );
  });

  it("draws a step series and keeps a linear one as it was (the default)", () => {
    const points: [number, number][] = [[0, 1], [100, 0.5]];
    const step = renderLineChart({ series: [{ name: "web", points, curve: "step" }], width: 300, height: 150, yMin: 0, yMax: 1, xMin: 0, xMax: 100 });
    const linear = renderLineChart({ series: [{ name: "web", points }], width: 300, height: 150, yMin: 0, yMax: 1, xMin: 0, xMax: 100 });
    const count = (svg: string): number => /points="([^"]*)"/.exec(svg)![1]!.split(" ").length;
    expect(count(step)).toBe(3);
    expect(count(linear)).toBe(2);
  });

  it("nests overlapping series: earlier ones wider, so lines on top of each other all show", () => {
    const flat: [number, number][] = [[0, 1], [10, 1]];
    const svg = renderLineChart({ series: [{ name: "a", points: flat }, { name: "b", points: flat }], nestOverlaps: true });
    const widths = [...svg.matchAll(/<polyline[^>]*stroke-width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[0]!).toBeGreaterThan(widths[1]!);
  });
});
