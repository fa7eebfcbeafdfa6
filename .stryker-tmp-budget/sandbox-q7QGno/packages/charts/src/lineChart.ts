// @ts-nocheck
import { coord, escapeXml, palette, safeColor } from "./escape.ts";
import { linearScale } from "./scale.ts";

/** One line of a {@link LineChartSpec}: `[x, y]` points in x order. Non-finite points are skipped. */
export interface LineSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** A CSS colour (`#rrggbb` or a name); the palette's next colour otherwise. */
  readonly color?: string;
  /**
   * `step`: the value holds until the next point, then jumps (sparse samples
   * of a state that changes at once, such as pool availability); `linear`
   * (default) joins points with straight slopes.
   */
  readonly curve?: "linear" | "step";
}

/** A horizontal reference line, e.g. a pool's budget. */
export interface Threshold {
  readonly label: string;
  readonly y: number;
  readonly color?: string;
}

/** What {@link renderLineChart} draws. */
export interface LineChartSpec {
  readonly title?: string;
  /** Read by screen readers; the title by default. */
  readonly ariaLabel?: string;
  /** Pixels. Default 900 × 260. */
  readonly width?: number;
  readonly height?: number;
  readonly series: readonly LineSeries[];
  readonly thresholds?: readonly Threshold[];
  /** Domain bounds; from the data (and thresholds) when absent. */
  readonly xMin?: number;
  readonly xMax?: number;
  readonly yMin?: number;
  readonly yMax?: number;
  /** Tick label formatters. */
  readonly formatX?: (x: number) => string;
  readonly formatY?: (y: number) => string;
  /**
   * Draw earlier series wider, so series lying on top of each other (every
   * pool at 100 %) still all show, as nested bands. Default false.
   */
  readonly nestOverlaps?: boolean;
}

/** The corners of a step line through `points`: each value holds until the next point's x. */
export function stepPoints(points: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  for (const [i, p] of points.entries()) {
    if (i > 0 && out.at(-1)![1] !== p[1]) out.push([p[0], out.at(-1)![1]]);
    out.push([p[0], p[1]]);
  }
  return out;
}

const defaultFormat = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1));
const finite = (p: readonly [number, number]): boolean => Number.isFinite(p[0]) && Number.isFinite(p[1]);
const FONT = `font-family="system-ui, sans-serif"`;

/**
 * Renders a line chart as a self-contained SVG string: title, axes with round
 * ticks, one polyline per series, dashed threshold lines and a legend. No DOM
 * needed; every label is escaped, and every coordinate is finite whatever the
 * input. The simulator's HTML report and the dashboard both draw with it.
 *
 * @example
 * const svg = renderLineChart({
 *   title: "Pool availability",
 *   series: [{ name: "web", points: [[0, 1], [60_000, 0.75], [120_000, 1]] }],
 *   thresholds: [{ label: "web minAvailable", y: 0.5 }],
 *   yMin: 0, yMax: 1,
 *   formatY: (v) => `${Math.round(v * 100)}%`,
 * });
 * container.innerHTML = svg; // or write it into an HTML file
 */
export function renderLineChart(spec: LineChartSpec): string {
  const width = Math.max(120, Number.isFinite(spec.width) ? spec.width! : 900);
  const height = Math.max(100, Number.isFinite(spec.height) ? spec.height! : 260);
  const formatX = spec.formatX ?? defaultFormat;
  const formatY = spec.formatY ?? defaultFormat;
  const series = spec.series.map((s, i) => {
    const points = s.points.filter(finite);
    return { name: s.name, color: safeColor(s.color, palette[i % palette.length]!), points: s.curve === "step" ? stepPoints(points) : points };
  });
  const thresholds = (spec.thresholds ?? []).filter((t) => Number.isFinite(t.y));
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = [...all.map((p) => p[1]), ...thresholds.map((t) => t.y)];
  const pick = (given: number | undefined, values: readonly number[], f: (...v: number[]) => number, dflt: number): number =>
    given !== undefined && Number.isFinite(given) ? given : values.length > 0 ? values.reduce((a, b) => f(a, b)) : dflt;

  // Legend entries wrap onto rows under the plot; text width is estimated, as there is no DOM to measure.
  const entries = [...series.map((s) => ({ name: s.name, color: s.color, dashed: false })), ...thresholds.map((t, i) => ({ name: t.label, color: safeColor(t.color, i === 0 ? "#d62728" : "#555"), dashed: true }))];
  const rows: { name: string; color: string; dashed: boolean; x: number }[][] = [];
  let x0 = 48;
  for (const e of entries) {
    const w = 26 + Math.min(60, e.name.length) * 6.5 + 14;
    if (rows.length === 0 || x0 + w > width - 8) {
      rows.push([]);
      x0 = 48;
    }
    rows.at(-1)!.push({ ...e, x: x0 });
    x0 += w;
  }
  const legendH = rows.length * 18;
  const top = spec.title ? 30 : 12;
  const left = 48;
  const right = width - 12;
  const bottom = height - 26 - legendH;
  const plotBottom = Math.max(top + 20, bottom);

  const xScale = linearScale(pick(spec.xMin, xs, Math.min, 0), pick(spec.xMax, xs, Math.max, 1), left, right, 5);
  const yScale = linearScale(pick(spec.yMin, ys, Math.min, 0), pick(spec.yMax, ys, Math.max, 1), plotBottom, top, 4);

  const out: string[] = [];
  out.push(`<svg class="dk-chart" width="${coord(width)}" height="${coord(height)}" viewBox="0 0 ${coord(width)} ${coord(height)}" role="img" aria-label="${escapeXml(spec.ariaLabel ?? spec.title ?? "chart")}" ${FONT} font-size="11">`);
  out.push(`<rect x="0" y="0" width="${coord(width)}" height="${coord(height)}" fill="#fff"/>`);
  if (spec.title) out.push(`<text x="${left}" y="18" font-size="13" font-weight="bold" fill="#222">${escapeXml(spec.title)}</text>`);
  for (const t of yScale.ticks) {
    const y = coord(yScale.map(t));
    out.push(`<line x1="${left}" x2="${coord(right)}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${left - 6}" y="${coord(yScale.map(t) + 4)}" text-anchor="end" fill="#555">${escapeXml(formatY(t))}</text>`);
  }
  for (const t of xScale.ticks) {
    const x = coord(xScale.map(t));
    out.push(`<line x1="${x}" x2="${x}" y1="${coord(plotBottom)}" y2="${coord(plotBottom + 4)}" stroke="#999"/>`);
    out.push(`<text x="${x}" y="${coord(plotBottom + 16)}" text-anchor="middle" fill="#555">${escapeXml(formatX(t))}</text>`);
  }
  out.push(`<line x1="${left}" x2="${coord(right)}" y1="${coord(plotBottom)}" y2="${coord(plotBottom)}" stroke="#999"/>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${coord(plotBottom)}" stroke="#999"/>`);
  for (const [i, t] of thresholds.entries()) {
    const y = coord(yScale.map(t.y));
    out.push(`<line class="dk-threshold" x1="${left}" x2="${coord(right)}" y1="${y}" y2="${y}" stroke="${entries[series.length + i]!.color}" stroke-width="1.2" stroke-dasharray="6 4"/>`);
  }
  if (all.length === 0) out.push(`<text x="${coord((left + right) / 2)}" y="${coord((top + plotBottom) / 2)}" text-anchor="middle" fill="#888">no data yet</text>`);
  for (const [i, s] of series.entries()) {
    if (s.points.length === 0) continue;
    const strokeWidth = spec.nestOverlaps === true ? 1.6 + 2 * (series.length - 1 - i) : 1.6;
    const pts = s.points.map(([x, y]) => `${coord(xScale.map(x))},${coord(yScale.map(y))}`);
    if (pts.length === 1) {
      const [cx, cy] = pts[0]!.split(",");
      out.push(`<circle class="dk-series" cx="${cx}" cy="${cy}" r="3" fill="${s.color}"><title>${escapeXml(s.name)}</title></circle>`);
    } else {
      out.push(`<polyline class="dk-series" fill="none" stroke="${s.color}" stroke-width="${coord(strokeWidth)}" stroke-opacity="${spec.nestOverlaps === true && i < series.length - 1 ? 0.75 : 1}" stroke-linejoin="round" points="${pts.join(" ")}"><title>${escapeXml(s.name)}</title></polyline>`);
    }
  }
  for (const [r, row] of rows.entries()) {
    const y = plotBottom + 30 + r * 18;
    for (const e of row) {
      out.push(`<line x1="${coord(e.x)}" x2="${coord(e.x + 20)}" y1="${coord(y - 4)}" y2="${coord(y - 4)}" stroke="${e.color}" stroke-width="3"${e.dashed ? ` stroke-dasharray="5 3"` : ""}/>`);
      out.push(`<text class="dk-legend" x="${coord(e.x + 26)}" y="${coord(y)}" fill="#333">${escapeXml(e.name)}</text>`);
    }
  }
  out.push(`</svg>`);
  return out.join("");
}
