// One scenario run for bench/index.ts, in a process of its own so its peak RSS is its own.
// Arguments: <scenario> [nodes|-] [core|full-stack] [split]. With `split`, the run is sampled by V8's
// profiler and the self time is summed by where the code lives (registry, controllers, agents, ...).
import { Session } from "node:inspector/promises";
import { runScenario, type SimMode } from "../src/fullstack/runScenario.ts";
import { loadScenario } from "../src/scenario/load.ts";

const [name, nodes, mode, split] = process.argv.slice(2);
const options = { ...(nodes === undefined || nodes === "-" ? {} : { nodes: Number(nodes) }), mode: (mode ?? "core") as SimMode };

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string; readonly functionName: string };
}

/** Where a sampled function lives, as the full-stack mode's boundary names it (sim/README.md "Full-stack mode"). */
function areaOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === "") return functionName === "(garbage collector)" ? "gc" : functionName === "(idle)" ? "idle" : "runtime";
  if (url.includes("/packages/registry/")) return "registry";
  if (url.includes("/apps/control-plane/")) return "controllers";
  if (url.includes("/packages/agent/")) return "agents";
  if (url.includes("/packages/core/")) return "core";
  if (url.includes("/packages/client/")) return "client";
  if (url.includes("/sim/src/fullstack/")) return "network and hosts model";
  if (url.includes("/sim/src/")) return "engine and traffic model";
  return "runtime";
}

let session: Session | undefined;
if (split === "split") {
  session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 1000 });
  await session.post("Profiler.start");
}
// CPU time beside wall time: on shared cores the wall clock also counts other jobs' turns.
const cpu = process.cpuUsage();
const r = await runScenario(loadScenario(name!), options);
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
let where: Record<string, number> | undefined;
if (session !== undefined) {
  const { profile } = await session.post("Profiler.stop");
  const areas = new Map<number, string>();
  for (const n of profile.nodes as ProfileNode[]) areas.set(n.id, areaOf(n));
  const ms: Record<string, number> = {};
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const d = deltas[i] ?? 0;
    total += d;
    const a = areas.get(id) ?? "runtime";
    ms[a] = (ms[a] ?? 0) + d;
  });
  // Shares of the sampled self time, in percent.
  where = Object.fromEntries(Object.entries(ms).sort((a, b) => b[1] - a[1]).map(([a, t]) => [a, Math.round((1000 * t) / Math.max(total, 1)) / 10]));
  session.disconnect();
}
process.stdout.write(
  JSON.stringify({
    wallMs: r.wallMs,
    cpuMs: Math.round(cpuMs),
    cpuSpeedup: Math.round(r.simulatedMs / Math.max(cpuMs, 0.001)),
    speedup: r.speedup,
    events: r.events,
    eventsPerSec: r.eventsPerSec,
    nodes: r.nodes,
    simulatedMs: r.simulatedMs,
    violations: r.invariantViolations.length,
    status: r.status,
    peakHeapMB: r.peakHeapMB,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(where === undefined ? {} : { where }),
  }),
);
