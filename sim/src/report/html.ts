import type { SimReport } from "../Simulation.ts";

const W = 900;
const H = 260;
const PAD = 40;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function polyline(points: readonly [number, number][], color: string, width = 1.5): string {
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}" points="${points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ")}"/>`;
}

function axes(title: string, maxT: number, yLabel: (v: number) => string, yMax: number, yMin: number): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const y = (v: number): number => H - PAD - ((v - yMin) / (yMax - yMin || 1)) * (H - 2 * PAD);
  const parts = [`<text x="${PAD}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (const f of ticks) {
    const v = yMin + f * (yMax - yMin);
    parts.push(`<line x1="${PAD}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="2" y="${y(v) + 4}" font-size="10">${esc(yLabel(v))}</text>`);
  }
  for (const f of ticks) {
    const x = PAD + f * (W - PAD - 10);
    parts.push(`<text x="${x - 10}" y="${H - 8}" font-size="10">${((f * maxT) / 60_000).toFixed(1)} min</text>`);
  }
  return parts.join("");
}

/**
 * A self-contained HTML page (inline SVG, no script, no network) charting
 * pool availability and drains in flight over the run.
 */
export function htmlReport(r: SimReport): string {
  const samples = r.samples ?? [];
  const maxT = Math.max(1, samples.at(-1)?.t ?? r.simulatedMs);
  const x = (t: number): number => PAD + (t / maxT) * (W - PAD - 10);
  const pools = Object.keys(r.minAvailability);
  const yMin = Math.min(0.5, ...samples.flatMap((s) => s.availability));
  const yA = (v: number): number => H - PAD - ((v - yMin) / (1 - yMin || 1)) * (H - 2 * PAD);
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const availLines = pools.map((_, p) => polyline(samples.map((s) => [x(s.t), yA(s.availability[p] ?? 1)]), palette[p % palette.length]!, 1.2)).join("");
  const maxD = Math.max(1, ...samples.map((s) => s.drainsInFlight));
  const yD = (v: number): number => H - PAD - (v / maxD) * (H - 2 * PAD);
  const drainLine = polyline(samples.map((s) => [x(s.t), yD(s.drainsInFlight)]), "#d62728", 1.5);
  const legend = pools.map((name, p) => `<span style="color:${palette[p % palette.length]}">■ ${esc(name)} (min ${(r.minAvailability[name]! * 100).toFixed(1)}%)</span>`).join(" ");
  const violations =
    r.invariantViolations.length === 0
      ? "<p>Every invariant held.</p>"
      : `<h2>Invariant violations</h2><ul>${r.invariantViolations.map((v) => `<li><b>${esc(v.invariant)}</b> at event #${v.eventIndex} (t=${v.atMs.toFixed(0)} ms): ${esc(v.message)}</li>`).join("")}</ul><h3>Trace</h3><pre>${r.violationTrace.map((t) => esc(JSON.stringify(t))).join("\n")}</pre>`;
  const summary = { ...r, samples: undefined, violationTrace: undefined };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drainkit sim: ${esc(r.scenario)} seed ${r.seed}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:960px}svg{background:#fff;border:1px solid #ccc}pre{background:#f6f6f6;padding:8px;overflow:auto}</style></head>
<body>
<h1>${esc(r.scenario)} — seed ${r.seed}, ${r.nodes} nodes</h1>
<p>${r.drains.completed} drains completed, ${r.drains.failed} failed, ${r.lostRequests} requests lost, ${r.lostWorkloads} workloads lost; simulated ${(r.simulatedMs / 60_000).toFixed(1)} min in ${r.wallMs} ms. Hash <code>${r.hash}</code></p>
${violations}
<h2>Pool availability</h2>
<svg width="${W}" height="${H}" role="img" aria-label="pool availability over time">${axes("available members / pool size", maxT, (v) => `${(v * 100).toFixed(0)}%`, 1, yMin)}${availLines}</svg>
<p>${legend}</p>
<h2>Drains in flight</h2>
<svg width="${W}" height="${H}" role="img" aria-label="drains in flight over time">${axes("nodes draining", maxT, (v) => v.toFixed(0), maxD, 0)}${drainLine}</svg>
<h2>Report</h2>
<pre>${esc(JSON.stringify(summary, null, 2))}</pre>
</body></html>
`;
}
