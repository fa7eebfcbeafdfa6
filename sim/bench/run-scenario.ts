// One scenario run for bench/index.ts, in a process of its own so its peak RSS is its own.
import { loadScenario } from "../src/scenario/load.ts";
import { Simulation } from "../src/Simulation.ts";

const [name, nodes] = process.argv.slice(2);
const sim = new Simulation(loadScenario(name!), nodes === undefined ? {} : { nodes: Number(nodes) });
// CPU time beside wall time: on shared cores the wall clock also counts other jobs' turns.
const cpu = process.cpuUsage();
const r = await sim.run();
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
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
    peakHeapMB: r.peakHeapMB,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
