// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { renderLineChart } from "../src/index.ts";
import { numericAttributes, textOutsideTags } from "./markup.ts";

const params = fcParams({ numRuns: 200 });

describe("renderLineChart", () => {
  it("escapes every label: no markup can come from a title, series name or threshold label", () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 4 }), fc.string(), (title, names, label) => {
        const svg = renderLineChart({ title, series: names.map((name, i) => ({ name, points: [[i, i], [i + 1, i * 2]] })), thresholds: [{ label, y: 1 }] });
        const rest = textOutsideTags(svg);
        expect(rest).not.toMatch(/[<>"]/);
        // The text survives, escaped.
        if (title.length > 0) expect(svg).toContain(title.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
      }),
      params,
    );
  });

  it("prints only finite coordinates inside the drawing, whatever the series hold", () => {
    const value = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0));
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.string({ maxLength: 12 }), points: fc.array(fc.tuple(value, value), { maxLength: 30 }) }), { maxLength: 5 }),
        fc.option(value, { nil: undefined }),
        fc.option(value, { nil: undefined }),
        (series, yMin, yMax) => {
          const svg = renderLineChart({ title: "t", series, width: 400, height: 200, ...(yMin !== undefined ? { yMin } : {}), ...(yMax !== undefined ? { yMax } : {}) });
          for (const n of numericAttributes(svg)) expect(Number.isFinite(Number(n)), `${n} in ${svg}`).toBe(true);
          for (const m of svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)) {
            for (const pair of m[1]!.split(" ")) {
              const [x, y] = pair.split(",").map(Number) as [number, number];
              expect(x).toBeGreaterThanOrEqual(0);
              expect(x).toBeLessThanOrEqual(400);
              expect(y).toBeGreaterThanOrEqual(0);
              expect(y).toBeLessThanOrEqual(200);
            }
          }
          // One mark per series that has at least one finite point.
          const drawable = series.filter((s) => s.points.some(([x, y]) => Number.isFinite(x) && Number.isFinite(y))).length;
          expect((svg.match(/class="dk-series"/g) ?? []).length).toBe(drawable);
        },
      ),
      params,
    );
  });

  it("draws higher values higher up, a dashed budget line, and a legend entry per series and threshold", () => {
    const svg = renderLineChart({
      title: "Pool availability",
      series: [{ name: "web", points: [[0, 0.5], [10, 1]] }, { name: "db", points: [[0, 1], [10, 1]] }],
      thresholds: [{ label: "web minAvailable", y: 0.75 }],
      yMin: 0,
      yMax: 1,
      formatY: (v) => `${Math.round(v * 100)}%`,
    });
    const web = /<polyline[^>]* points="([^"]*)"/.exec(svg)![1]!.split(" ").map((p) => p.split(",").map(Number));
    expect(web[1]![1]).toBeLessThan(web[0]![1]!); // SVG y grows downwards
    expect(web[1]![0]).toBeGreaterThan(web[0]![0]!);
    expect(svg).toMatch(/class="dk-threshold"[^>]*stroke-dasharray/);
    expect([...svg.matchAll(/class="dk-legend"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual(["web", "db", "web minAvailable"]);
    expect(svg).toContain(">100%<");
    expect(svg).toContain(">0%<");
  });

  it("says so when there is nothing to draw", () => {
    expect(renderLineChart({ series: [] })).toContain("no data yet");
  });
});
