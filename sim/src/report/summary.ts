import type { SimReport } from "../Simulation.ts";

const fmt = (n: number): string => n.toLocaleString("en-US");

/** The command that replays one run: the exact scenario file (or shipped name), seed, size and, when given, mode. */
export function replayCommand(scenario: string, seed: number, nodes?: number, mode?: string): string {
  const arg = /^[\w./@+:-]+$/.test(scenario) ? scenario : `'${scenario.replace(/'/g, "'\\''")}'`;
  return `pnpm sim -- run ${arg} --seed ${seed}${nodes === undefined ? "" : ` --nodes ${nodes}`}${mode === undefined ? "" : ` --mode ${mode}`}`;
}

/** One line on how the run ended (indented, as the summary prints it). */
export function statusLine(r: SimReport): string {
  switch (r.status) {
    case "completed":
      return r.cordons.refused > 0 ? `  every action finished; the guard refused ${r.cordons.refused} cordon(s) (listed above), which were not placed` : "  every action finished its work";
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
    `${r.scenario}  seed ${r.seed}  ${fmt(r.nodes)} nodes${r.mode === "full-stack" ? "  full-stack (shipped registry, controllers and agents)" : ""}`,
    `  simulated ${(r.simulatedMs / 60_000).toFixed(1)} min in ${fmt(r.wallMs)} ms wall (${fmt(r.speedup)}× real time), ${fmt(r.events)} events (${fmt(r.eventsPerSec)}/s), peak heap ${r.peakHeapMB} MiB`,
    `  drains: ${fmt(r.drains.started)} started, ${fmt(r.drains.completed)} completed, ${fmt(r.drains.failed)} failed; guard refused ${fmt(r.drains.refused)} request(s); forced breaches ${r.forcedBreaches}`,
    ...(r.cordons.cordoned + r.cordons.refused > 0 ? [`  cordons: ${fmt(r.cordons.cordoned)} cordoned; guard refused ${fmt(r.cordons.refused)} cordon(s)`] : []),
    ...r.cordons.refusals.slice(0, 20).map((c) => `    cordon of ${c.node} by ${c.owner} refused${c.pool === undefined ? "" : ` (pool ${c.pool})`}: ${c.reason}`),
    ...(r.cordons.refusals.length > 20 ? [`    … and ${r.cordons.refusals.length - 20} more (--json lists every one)`] : []),
    `  lowest pool availability: ${minPool === undefined ? "n/a" : `${(minPool[1] * 100).toFixed(1)}% (${minPool[0]})`}`,
    `  requests: ${fmt(r.requests.arrived)} arrived, ${fmt(r.requests.served)} served, ${fmt(r.requests.unroutable)} unroutable, ${fmt(r.requests.lostOnCrash)} lost with crashed hosts, ${fmt(r.lostRequests)} lost otherwise`,
    `  workloads: ${fmt(r.workloadMoves)} moves, ${fmt(r.lostWorkloads)} lost`,
    Object.keys(r.faults).length > 0 ? `  faults: ${Object.entries(r.faults).map(([k, v]) => `${k} ×${v}`).join(", ")}` : "  faults: none",
    statusLine(r),
    ...r.blocked.slice(0, 50).map((b) => `    blocked ${b.node}${b.pool === undefined ? "" : ` (pool ${b.pool})`}: ${b.reason}`),
    ...(r.blocked.length > 50 ? [`    … and ${r.blocked.length - 50} more (--json lists every one)`] : []),
    ...(r.mode === "full-stack" ? r.failedDrains.slice(0, 20).map((f) => `    failed ${f.node}: ${f.reason}`) : []),
    `  hash ${r.hash}`,
  ];
  if (r.invariantViolations.length === 0) {
    lines.push("  invariants: all held");
  } else {
    const v = r.invariantViolations[0]!;
    lines.push(`  INVARIANT VIOLATED: ${v.invariant} at event #${v.eventIndex} (t=${v.atMs.toFixed(0)} ms): ${v.message}`);
    lines.push(`  replay: ${replayCommand(options.replay ?? r.scenario, r.seed, r.nodes, r.mode === "full-stack" ? r.mode : undefined)}`);
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
