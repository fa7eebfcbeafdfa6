import { loadScenario } from "/work/main/sim/src/scenario/load.ts";
import { Simulation } from "/work/main/sim/src/Simulation.ts";
const name = process.argv[2] ?? "rolling-1k";
const nodes = process.argv[3] ? Number(process.argv[3]) : undefined;
const r = await new Simulation(loadScenario(name), nodes ? { nodes } : {}).run();
console.log(JSON.stringify({ ...r, violationTrace: r.violationTrace.slice(-8) }, null, 1));
