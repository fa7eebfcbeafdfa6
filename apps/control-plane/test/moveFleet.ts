import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger, systemClock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type Principal, type Registry, type RegistryStore } from "@drainkit/registry";
import { afterEach } from "vitest";
import { startWorkloadMoves, type WorkloadMoves, type WorkloadMovesOptions } from "../src/controllers/workloadMoves.ts";

// What the drain scheduler tests share: a registry with a fleet, the
// leader's planner (stopped after each test) and a wait for a condition.
// The hosts that play the agents are `InProcessHosts` in ../bench/hosts.ts.

export const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const ADMIN: Principal = { id: "admin", scopes: ["mesh.admin"] };
export const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Runs `fn` after the current test. */
export function afterThisTest(fn: () => void): void {
  cleanups.push(fn);
}

/** A registry (pool `p`, at least one member available) with the peers `ids` registered. */
export async function fleet(ids: readonly string[], store: RegistryStore = makeMemoryStore()): Promise<Registry> {
  const registry = createRegistry({ store, clock: systemClock(), pools: [{ name: "p", minAvailable: 1 }] });
  // The hosts here are played by the tests: each reports once, and the liveness window outlasts the
  // test, so they stay live (a peer that never reported is unknown and never counts as available).
  await registry.patchConfig(ADMIN, { "heartbeat.staleAfterMs": 3_600_000 }, { confirm: true });
  for (const id of ids) {
    await registry.registerPeer(OPS, { id, address: `${id}:80`, pools: ["p"], roles: ["storage"] });
    await registry.reportStatus(OPS, id, { roles: {}, epoch: 0 });
  }
  return registry;
}

/** The leader's planner on `registry`, fast ticks, stopped after the test. */
export async function planner(registry: Registry, term: string, extra: Partial<Omit<WorkloadMovesOptions, "registry" | "term">> = {}): Promise<WorkloadMoves> {
  const moves = await startWorkloadMoves({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, term, batchSize: 3, tickMs: 25, ...extra });
  afterThisTest(() => moves.stop());
  return moves;
}

/** Reads until `done` holds, or fails naming `what` and the last value. */
export async function until<T>(what: string, read: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await sleep(15);
  }
}
