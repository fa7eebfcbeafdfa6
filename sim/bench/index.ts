// Simulator benchmarks, one JSON line per figure (never asserted on).
// - the bare engine on a plain M/M/1 queue, beside the same model on core's SimulatedClock;
// - rolling-1k, -10k, -100k and -1m: events/s against the bare engine's in the same run (the ratio),
//   wall and CPU time, speed-up over real time and peak memory, each in its own process so peak RSS
//   is the run's own; events/s side by side (linear cost is a flat line);
// - full-stack rolling-1k and failover-1k (the shipped registry, leader controllers and agents): the same
//   figures, and where the time goes (self time by area, from a sampled run at 200 nodes);
// - start-up of `sim run` (the built CLI, beside tsx);
// - 1,000 seeds of rolling-1k swept on 2 workers.
// DRAINKIT_BENCH_QUICK=1 runs only 1k and 10k, full-stack at 200 nodes and 50 seeds; DRAINKIT_BENCH_1M=0 skips
// the million; DRAINKIT_BENCH_FULLSTACK=0 skips the full-stack runs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { SeededRandom } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { figure } from "@drainkit/bench";
import { runMM1 } from "../src/engine/mm1.ts";

// Other jobs share these cores: every figure carries the load average it was measured under.
const load = (): number => Math.round(loadavg()[0]! * 100) / 100;

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
figure("sim.engine.mm1", engineRate, "events/s", { baseline: clockRate, baselineName: "core SimulatedClock, closure per event", customers, rho: 0.8, load: load() });

interface ScenarioFigures {
  wallMs: number;
  cpuMs: number;
  cpuSpeedup: number;
  speedup: number;
  events: number;
  eventsPerSec: number;
  peakRssMB: number;
  peakHeapMB: number;
  nodes: number;
  simulatedMs: number;
  violations: number;
  status: string;
  /** Share of the sampled self time by area (percent), for a run with `split`. */
  where?: Record<string, number>;
}

function runScenario(label: string, name: string, targets: { eventsPerSec?: number; wallMs?: number; rssMB?: number; speedup?: number }, extra: string[] = []): ScenarioFigures {
  const script = fileURLToPath(new URL("./run-scenario.ts", import.meta.url));
  const child = spawnSync(process.execPath, ["--max-old-space-size=8192", "--import", "tsx", script, name, ...extra], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    throw new Error(`${label}: benchmark run failed (exit ${child.status})`);
  }
  const r = JSON.parse(child.stdout) as ScenarioFigures;
  const common = { nodes: r.nodes, events: r.events, simulatedMs: r.simulatedMs, violations: r.violations, status: r.status, load: load() };
  // The bare engine's rate in this same run is the baseline: the ratio says what the model costs per event.
  figure(`sim.${label}.events`, r.eventsPerSec, "events/s", { ...common, baseline: engineRate, baselineName: "bare engine M/M/1, same run", target: targets.eventsPerSec });
  figure(`sim.${label}.cpuEvents`, (r.events * 1000) / Math.max(1, r.cpuMs), "events/s of CPU", { cpuMs: r.cpuMs });
  figure(`sim.${label}.wall`, r.wallMs, "ms", { cpuMs: r.cpuMs, target: targets.wallMs, load: load() });
  figure(`sim.${label}.speedup`, r.speedup, "x real time", { per: "wall", cpuSpeedup: r.cpuSpeedup, target: targets.speedup });
  figure(`sim.${label}.peakRss`, r.peakRssMB, "MiB", { peakHeapMB: r.peakHeapMB, target: targets.rssMB });
  return r;
}

const quick = process.env.DRAINKIT_BENCH_QUICK !== undefined;
const scale: Record<string, number> = {};
const coreRolling1k = runScenario("rolling-1k", "rolling-1k", { eventsPerSec: 1_000_000, speedup: 100_000 });
scale["1k"] = coreRolling1k.eventsPerSec;
scale["10k"] = runScenario("rolling-10k", "rolling-100k", {}, ["10000"]).eventsPerSec;
if (!quick) {
  scale["100k"] = runScenario("rolling-100k", "rolling-100k", { eventsPerSec: 1_000_000, wallMs: 10_000, rssMB: 1024 }).eventsPerSec;
  if (process.env.DRAINKIT_BENCH_1M !== "0") scale["1m"] = runScenario("rolling-1m", "rolling-1m", { wallMs: 120_000, rssMB: 4096 }).eventsPerSec;
}
// Linear cost means a flat line here.
figure("sim.scale.events", scale["1k"]!, "events/s at 1k", { ...scale, load: load() });

// Full-stack mode: the same scenarios through the shipped registry, leader controllers and agents (far more
// events: every heartbeat, report, spec change and move step is a message and a registry write). The core
// mode's rolling-1k above is the baseline of the speed-up.
if (process.env.DRAINKIT_BENCH_FULLSTACK !== "0") {
  const nodes = quick ? "200" : "-";
  for (const [name, speedup] of [
    ["rolling-1k", 10_000],
    ["failover-1k", 5_000],
  ] as const) {
    const r = runScenario(`fullstack.${name}`, name, { speedup }, [nodes, "full-stack"]);
    figure(`sim.fullstack.${name}.cpuSpeedup`, r.cpuSpeedup, "x real time per CPU second", { baseline: coreRolling1k.cpuSpeedup, baselineName: "core mode rolling-1k, same run", target: speedup, load: load() });
    // Where the time goes: a run sampled by V8's profiler (which slows it a little) at 200 nodes, self time by area.
    const split = runScenario(`fullstack.${name}.sampled`, name, {}, ["200", "full-stack", "split"]);
    figure(`sim.fullstack.${name}.where`, split.where?.registry ?? 0, "% of self time in the registry", { nodes: 200, ...split.where, load: load() });
  }
}
// Start-up of `sim run`: the process's wall time less the run's own (`wallMs`), median of 5, for a
// scenario whose run is short. From the build (`dist/cli.js`, after `pnpm --filter @drainkit/sim build`;
// in the workspace core still resolves to its sources, stripped of types by Node) when there is one,
// else the sources through Node's own type stripping; the baseline is the sources through tsx, as
// `pnpm sim` runs them. Target (#20): 100 ms from the built package.
function startup(args: string[]): { ms: number } {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const child = spawnSync(process.execPath, [...args, "run", "regressions/stale-report", "--json"], { encoding: "utf8", cwd: fileURLToPath(new URL("..", import.meta.url)), maxBuffer: 1 << 24 });
    const total = performance.now() - t0;
    if (child.status !== 0) throw new Error(`start-up: ${args.join(" ")} failed (exit ${child.status}): ${child.stderr}`);
    times.push(total - (JSON.parse(child.stdout) as { wallMs: number }).wallMs);
  }
  times.sort((a, b) => a - b);
  return { ms: Math.round(times[2]!) };
}
const distCli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const built = existsSync(distCli);
const srcCli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const viaTsx = startup(["--import", "tsx", srcCli]);
const direct = startup([built ? distCli : srcCli]);
figure("sim.startup", direct.ms, "ms", { from: built ? "dist/cli.js" : "src/cli.ts (Node type stripping; no dist build)", baseline: viaTsx.ms, baselineName: "tsx src/cli.ts (pnpm sim)", target: 100, load: load() });

// 1,000 seeds of rolling-1k on two worker threads, through the CLI as a user runs it.
const seeds = Number(process.env.DRAINKIT_BENCH_SEEDS ?? (quick ? 50 : 1000));
const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const t0 = performance.now();
const sweepRun = spawnSync(process.execPath, ["--import", "tsx", cli, "sweep", "rolling-1k", "--seeds", `1..${seeds}`, "--workers", "2", "--json"], { encoding: "utf8", maxBuffer: 1 << 26 });
const sweepMs = performance.now() - t0;
if (sweepRun.status !== 0) process.stderr.write(sweepRun.stderr);
const summary = JSON.parse(sweepRun.stdout) as { passed: number; failures: unknown[]; events: number };
figure("sim.sweep.rolling-1k", sweepMs, "ms", { seeds, workers: 2, passed: summary.passed, failures: summary.failures.length, events: summary.events, target: seeds === 1000 ? 60_000 : undefined, load: load() });
