// @ts-nocheck
// Scheduling the moves of 100,000 workloads: 10 drains of 10,000 workloads
// each (1 owner : 4 children) across a 10,000-node fleet, run to completion with
// every move committed at once. Figures: wall time and moves planned per second.
import { figure } from "@drainkit/bench";
import { DrainScheduler, type FleetNode, type Workload } from "../src/index.ts";
import { SimulatedClock } from "../src/testing/index.ts";

const NODES = 10_000;
const TARGETS = 10;
const PER_TARGET = 10_000;
const nodes: FleetNode[] = Array.from({ length: NODES }, (_, i) => ({ id: `n${i}`, pools: ["p"], phase: "active" }));
const workloads: Workload[] = [];
for (let t = 0; t < TARGETS; t++) {
  for (let k = 0; k < PER_TARGET; k++) {
    const id = `t${t}w${k}`;
    if (k % 5 === 0) workloads.push({ id, node: `n${t}` });
    else workloads.push({ id, node: `n${t}`, owner: `t${t}w${k - (k % 5)}` });
  }
}
const clock = new SimulatedClock();
const built = performance.now();
const scheduler = new DrainScheduler({ clock, fleet: { nodes, workloads }, batchSize: 100, maxDrainsPerScope: TARGETS, awaitIdleReport: false });
const buildMs = performance.now() - built;
for (let t = 0; t < TARGETS; t++) scheduler.startDrain({ target: `n${t}`, deadline: Number.MAX_SAFE_INTEGER });
const start = performance.now();
let moves = 0;
let ticks = 0;
for (let planned = scheduler.tick(); planned.length > 0; planned = scheduler.tick()) {
  ticks++;
  moves += planned.length;
  for (const m of planned) scheduler.moveCommitted(m);
}
const ms = performance.now() - start;
const done = Array.from({ length: TARGETS }, (_, t) => scheduler.status(`n${t}`)?.status).every((s) => s === "drained");
figure("core.scheduler.schedule_100k_workloads", ms, "ms", { workloads: moves, ticks, nodes: NODES, drained: done, buildMs: Math.round(buildMs) });
figure("core.scheduler.moves_per_second", (moves * 1000) / ms, "moves/s", { batchSize: 100 });
