// @ts-nocheck
// Lifecycle: start and stop of 10 000 no-op components, and what the
// orchestrator costs per component over calling the same functions directly.
import { figure } from "@drainkit/bench";
import { LifecycleOrchestrator, type LifecycleRegistration } from "../src/index.ts";
import { SeededRandom, SimulatedClock } from "../src/testing/index.ts";

const N = 10_000;
const ROUNDS = 5;

const noop = async (): Promise<void> => {};

function components(chain: boolean): LifecycleRegistration[] {
  return Array.from({ length: N }, (_, i) => ({
    name: `c${i}`,
    dependsOn: chain && i > 0 ? [`c${i - 1}`] : [],
    start: noop,
    stop: noop,
  }));
}

async function orchestrated(chain: boolean): Promise<{ startMs: number; stopMs: number }> {
  const lifecycle = new LifecycleOrchestrator({ clock: new SimulatedClock(), random: new SeededRandom(1), components: components(chain) });
  const t0 = performance.now();
  await lifecycle.start();
  const t1 = performance.now();
  await lifecycle.stop();
  return { startMs: t1 - t0, stopMs: performance.now() - t1 };
}

// The same calls with no orchestrator: every start, then every stop.
async function direct(): Promise<number> {
  const list = components(false);
  const t0 = performance.now();
  await Promise.all(list.map((c) => c.start?.(new AbortController().signal)));
  await Promise.all(list.map((c) => c.stop?.(new AbortController().signal)));
  return performance.now() - t0;
}

const best = async <T>(run: () => Promise<T>, pick: (t: T) => number): Promise<T> => {
  await run(); // warm-up
  let winner: T | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const t = await run();
    if (winner === undefined || pick(t) < pick(winner)) winner = t;
  }
  return winner!;
};

const flat = await best(() => orchestrated(false), (t) => t.startMs + t.stopMs);
const chain = await best(() => orchestrated(true), (t) => t.startMs + t.stopMs);
const baselineMs = await best(direct, (t) => t);

figure("core.lifecycle.start_10k_noop", flat.startMs, "ms", { components: N });
figure("core.lifecycle.stop_10k_noop", flat.stopMs, "ms", { components: N });
figure("core.lifecycle.start_stop_10k_chain", chain.startMs + chain.stopMs, "ms", { components: N, waves: N });
figure("core.lifecycle.per_component_overhead", ((flat.startMs + flat.stopMs) * 1000) / N, "us/component", {
  baseline: (baselineMs * 1000) / N,
});
