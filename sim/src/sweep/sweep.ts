import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { InvariantViolation } from "../model/invariants.ts";
import type { Scenario } from "../scenario/types.ts";
import type { SimReport } from "../Simulation.ts";
import { runScenario, type SimMode } from "../fullstack/runScenario.ts";

// Installed, this file is dist/sweep/sweep.js and its worker plain JavaScript; in the
// workspace the worker is TypeScript and gets tsx, as the sources always have.
const COMPILED = import.meta.url.endsWith(".js");

/** What a sweep keeps of one seed's run. */
export interface SeedResult {
  readonly seed: number;
  readonly hash: string;
  readonly events: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
  readonly drainsCompleted: number;
  readonly drainsFailed: number;
  readonly minAvailability: number;
  readonly lostRequests: number;
  readonly lostWorkloads: number;
  readonly violations: readonly InvariantViolation[];
  readonly finished: boolean;
  readonly status: SimReport["status"];
}

/** The summary of a sweep over many seeds. */
export interface SweepSummary {
  readonly scenario: string;
  readonly nodes: number | undefined;
  readonly seeds: number;
  readonly workers: number;
  readonly passed: number;
  /** Seeds with at least one invariant violation, with the first one. */
  readonly failures: readonly { readonly seed: number; readonly violation: InvariantViolation }[];
  readonly unfinished: readonly number[];
  /** Seeds that ended blocked or incomplete (not every node drained or upgraded). */
  readonly notCompleted: readonly { readonly seed: number; readonly status: string }[];
  readonly drainsCompleted: number;
  readonly drainsFailed: number;
  /** The lowest pool availability over every seed. */
  readonly minAvailability: number;
  readonly lostRequests: number;
  readonly lostWorkloads: number;
  readonly events: number;
  readonly wallMs: number;
  readonly meanRunWallMs: number;
  /** Every seed's hash and event count, in seed order: two sweeps agree run by run. */
  readonly runs: readonly { readonly seed: number; readonly hash: string; readonly events: number }[];
}

/** Keeps what a sweep needs of a report (a worker sends this back). */
export function toSeedResult(r: SimReport): SeedResult {
  return {
    seed: r.seed,
    hash: r.hash,
    events: r.events,
    simulatedMs: r.simulatedMs,
    wallMs: r.wallMs,
    drainsCompleted: r.drains.completed,
    drainsFailed: r.drains.failed,
    minAvailability: Math.min(1, ...Object.values(r.minAvailability)),
    lostRequests: r.lostRequests,
    lostWorkloads: r.lostWorkloads,
    violations: r.invariantViolations,
    finished: r.finished,
    status: r.status,
  };
}

/** Parses `1..1000`, `5`, or `1,2,7..9` into a list of seeds. */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const m = /^\s*(-?\d+)\s*(?:\.\.\s*(-?\d+)\s*)?$/.exec(part);
    if (m === null) throw new RangeError(`--seeds "${spec}": use a number, a range like 1..1000, or a comma-separated list of both`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

/**
 * Runs `scenario` once per seed on worker threads (one simulation per thread
 * at a time; each run stays single-threaded and deterministic) and summarises.
 *
 * @example
 * const summary = await sweep(loadScenario("concurrent-drains-1k"), parseSeeds("1..100"));
 * summary.failures.length; // 0
 */
export async function sweep(
  scenario: Scenario,
  seeds: readonly number[],
  options: { nodes?: number; workers?: number; mode?: SimMode; onResult?: (r: SeedResult, done: number) => void } = {},
): Promise<SweepSummary> {
  const start = performance.now();
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), seeds.length));
  const results: SeedResult[] = [];
  const queue = [...seeds];
  const record = (r: SeedResult): void => {
    results.push(r);
    options.onResult?.(r, results.length);
  };
  if (workers === 1) {
    for (const seed of queue) record(toSeedResult(await runScenario(scenario, { seed, ...(options.nodes === undefined ? {} : { nodes: options.nodes }), ...(options.mode === undefined ? {} : { mode: options.mode }) })));
  } else {
    await Promise.all(
      Array.from({ length: workers }, () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(new URL(COMPILED ? "./worker.js" : "./worker.ts", import.meta.url), {
            workerData: { scenario, nodes: options.nodes, mode: options.mode },
            ...(COMPILED ? {} : { execArgv: ["--import", "tsx"] }),
          });
          const next = (): void => {
            const seed = queue.shift();
            if (seed === undefined) worker.postMessage({ done: true });
            else worker.postMessage({ seed });
          };
          worker.on("message", (r: SeedResult) => {
            record(r);
            next();
          });
          worker.on("error", reject);
          worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`sweep worker exited with code ${code}`))));
          next();
        }),
      ),
    );
  }
  results.sort((a, b) => a.seed - b.seed);
  const failures = results.filter((r) => r.violations.length > 0).map((r) => ({ seed: r.seed, violation: r.violations[0]! }));
  const wallMs = performance.now() - start;
  return {
    scenario: scenario.name,
    nodes: options.nodes ?? scenario.fleet.nodes,
    seeds: results.length,
    workers,
    passed: results.length - failures.length,
    failures,
    unfinished: results.filter((r) => !r.finished).map((r) => r.seed),
    notCompleted: results.filter((r) => r.status === "blocked" || r.status === "incomplete").map((r) => ({ seed: r.seed, status: r.status })),
    drainsCompleted: results.reduce((a, r) => a + r.drainsCompleted, 0),
    drainsFailed: results.reduce((a, r) => a + r.drainsFailed, 0),
    minAvailability: Math.min(1, ...results.map((r) => r.minAvailability)),
    lostRequests: results.reduce((a, r) => a + r.lostRequests, 0),
    lostWorkloads: results.reduce((a, r) => a + r.lostWorkloads, 0),
    events: results.reduce((a, r) => a + r.events, 0),
    wallMs: Math.round(wallMs),
    meanRunWallMs: Math.round(results.reduce((a, r) => a + r.wallMs, 0) / Math.max(1, results.length)),
    runs: results.map((r) => ({ seed: r.seed, hash: r.hash, events: r.events })),
  };
}
