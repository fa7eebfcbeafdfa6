// Simulator benchmarks, one JSON line per figure (never asserted on).
// - the bare engine on a plain M/M/1 queue, beside the same model on core's SimulatedClock;
// - rolling-1k and a 100,000-node rolling upgrade: wall time, speed-up over real time and peak memory,
//   each in its own process so peak RSS is the run's own.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SeededRandom } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { figure } from "@drainkit/bench";
import { runMM1 } from "../src/engine/mm1.ts";

function mm1OnSimulatedClock(customers: number): number {
  // The same model with a closure per event on core's SimulatedClock: the baseline the typed-array heap is measured against.
  const clock = new SimulatedClock();
  const random = new SeededRandom(1);
  const exp = (rate: number): number => -Math.log(1 - random.next()) / rate;
  let inSystem = 0;
  let arrived = 0;
  let events = 0;
  const depart = (): void => {
    events++;
    inSystem--;
    if (inSystem > 0) clock.setTimer(exp(1), depart);
  };
  const arrive = (): void => {
    events++;
    inSystem++;
    arrived++;
    if (inSystem === 1) clock.setTimer(exp(1), depart);
    if (arrived < customers) clock.setTimer(exp(0.8), arrive);
  };
  clock.setTimer(exp(0.8), arrive);
  clock.runUntilIdle(Number.MAX_SAFE_INTEGER);
  return events;
}

function best<T>(runs: number, fn: () => T, score: (t: T, ms: number) => number): number {
  let top = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const out = fn();
    top = Math.max(top, score(out, performance.now() - t0));
  }
  return top;
}

const customers = 2_000_000;
const engineRate = best(3, () => runMM1({ lambda: 0.8, mu: 1, customers, random: new SeededRandom(1) }), (r, ms) => (r.events * 1000) / ms);
const clockRate = best(2, () => mm1OnSimulatedClock(customers / 4), (events, ms) => (events * 1000) / ms);
figure("sim.engine.mm1", engineRate, "events/s", { baseline: clockRate, baselineName: "core SimulatedClock, closure per event", customers, rho: 0.8 });

function runScenario(name: string, extra: string[] = []): void {
  const script = fileURLToPath(new URL("./run-scenario.ts", import.meta.url));
  const child = spawnSync(process.execPath, ["--import", "tsx", script, name, ...extra], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    throw new Error(`${name}: benchmark run failed (exit ${child.status})`);
  }
  const r = JSON.parse(child.stdout) as { wallMs: number; cpuMs: number; cpuSpeedup: number; speedup: number; events: number; eventsPerSec: number; peakRssMB: number; peakHeapMB: number; nodes: number; simulatedMs: number; violations: number };
  const extraFields = { nodes: r.nodes, simulatedMs: r.simulatedMs, events: r.events, violations: r.violations };
  figure(`sim.${name}.wall`, r.wallMs, "ms", extraFields);
  figure(`sim.${name}.cpu`, r.cpuMs, "ms");
  figure(`sim.${name}.speedup`, r.speedup, "x real time", { per: "wall", target: name === "rolling-1k" ? 10_000 : undefined });
  figure(`sim.${name}.cpuSpeedup`, r.cpuSpeedup, "x real time", { per: "cpu" });
  figure(`sim.${name}.events`, r.eventsPerSec, "events/s");
  figure(`sim.${name}.peakRss`, r.peakRssMB, "MiB", { peakHeapMB: r.peakHeapMB });
}

runScenario("rolling-1k");
if (process.env.DRAINKIT_BENCH_QUICK === undefined) runScenario("rolling-100k");
