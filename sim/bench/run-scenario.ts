// One scenario run for bench/index.ts, in a process of its own so its peak RSS is its own.
import { loadScenario } from "../src/scenario/load.ts";
import { Simulation } from "../src/Simulation.ts";

const [name, nodes] = process.argv.slice(2);
const r = await new Simulation(loadScenario(name!), nodes === undefined ? {} : { nodes: Number(nodes) }).run();
process.stdout.write(
  JSON.stringify({
    wallMs: r.wallMs,
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
