// @ts-nocheck
import type { SimReport } from "../Simulation.ts";

const fmt = (n: number): string => n.toLocaleString("en-US");

/** The command that replays one run: the exact scenario file (or shipped name), seed and size. */
export function replayCommand(scenario: string, seed: number, nodes?: number): string {
  const arg = /^[\w./@+:-]+$/.test(scenario) ? scenario : `'${scenario.replace(/'/g, "'\\''")}'`;
  return `pnpm sim -- run ${arg} --seed ${seed}${nodes === undefined ? "" : ` --nodes ${nodes}`}`;
}

/** One line on how the run ended (indented, as the summary prints it). */
export function statusLine(r: SimReport): string {
  switch (r.status) {
    case "completed":
      return "  every action finished its work";
    case "blocked":
      return `  BLOCKED: ${r.blocked.length} node(s) could not be drained${r.notUpgraded > 0 ? `; the rollout left ${r.notUpgraded} node(s) not upgraded` : ""}`;
    case "violated":
      return "  stopped at an invariant violation";
    case "incomplete":
      return r.notUpgraded > 0 ? `  INCOMPLETE: the rollout left ${r.notUpgraded} node(s) not upgraded (failed drains: ${r.failedDrains.length})` : "  INCOMPLETE: stopped at durationMs before every action finished";
  }
}

/** The report as a few lines for people. */
export function humanSummary(r: SimReport, options: { replay?: string } = {}): string {
  const minPool = Object.entries(r.minAvailability).sort((a, b) => a[1] - b[1])[0];
  const lines = [
    `${r.scenario}  seed ${r.seed}  ${fmt(r.nodes)} nodes`,
    `  simulated ${(r.simulatedMs / 60_000).toFixed(1)} min in ${fmt(r.wallMs)} ms wall (${fmt(r.speedup)}× real time), ${fmt(r.events)} events (${fmt(r.eventsPerSec)}/s), peak heap ${r.peakHeapMB} MiB`,
    `  drains: ${fmt(r.drains.started)} started, ${fmt(r.drains.completed)} completed, ${fmt(r.drains.failed)} failed; guard refused ${fmt(r.drains.refused)} request(s); forced breaches ${r.forcedBreaches}`,
    `  lowest pool availability: ${minPool === undefined ? "n/a" : `${(minPool[1] * 100).toFixed(1)}% (${minPool[0]})`}`,
    `  requests: ${fmt(r.requests.arrived)} arrived, ${fmt(r.requests.served)} served, ${fmt(r.requests.unroutable)} unroutable, ${fmt(r.requests.lostOnCrash)} lost with crashed hosts, ${fmt(r.lostRequests)} lost otherwise`,
    `  workloads: ${fmt(r.workloadMoves)} moves, ${fmt(r.lostWorkloads)} lost`,
    Object.keys(r.faults).length > 0 ? `  faults: ${Object.entries(r.faults).map(([k, v]) => `${k} ×${v}`).join(", ")}` : "  faults: none",
    statusLine(r),
    ...r.blocked.slice(0, 50).map((b) => `    blocked ${b.node}${b.pool === undefined ? "" : ` (pool ${b.pool})`}: ${b.reason}`),
    ...(r.blocked.length > 50 ? [`    … and ${r.blocked.length - 50} more (--json lists every one)`] : []),
    `  hash ${r.hash}`,
  ];
  if (r.invariantViolations.length === 0) {
    lines.push("  invariants: all held");
  } else {
    const v = r.invariantViolations[0]!;
    lines.push(`  INVARIANT VIOLATED: ${v.invariant} at event #${v.eventIndex} (t=${v.atMs.toFixed(0)} ms): ${v.message}`);
    lines.push(`  replay: ${replayCommand(options.replay ?? r.scenario, r.seed, r.nodes)}`);
    lines.push("  trace up to the violation:");
    for (const t of r.violationTrace) lines.push(`    ${JSON.stringify(t)}`);
  }
  return lines.join("\n");
}

/** The report as the `--json` object (without the chart samples). */
export function jsonReport(r: SimReport): Record<string, unknown> {
  const { samples: _samples, ...rest } = r;
  return rest;
}
