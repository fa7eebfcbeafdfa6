import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger, systemClock } from "@drainkit/core";
import { createMemoryStore, createRegistry, type Principal, type Registry } from "@drainkit/registry";
import { afterEach, describe, expect, it } from "vitest";
import { startWorkloadMoves } from "../../src/controllers/workloadMoves.ts";
import { InProcessHosts, ownersAndChildren } from "../../bench/hosts.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function until<T>(what: string, read: () => Promise<T> | T, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await sleep(15);
  }
}

describe("the move planner's rebuild", () => {
  it("starts, and then moves work, when agents report while it reads the registry (changes buffered during the rebuild)", async () => {
    const registry = createRegistry({ store: createMemoryStore(), clock: systemClock(), pools: [{ name: "p", minAvailable: 1 }] });
    for (const id of ["a", "b", "c"]) await registry.registerPeer(OPS, { id, address: `${id}:80`, pools: ["p"], roles: ["storage"] });
    const hosts = new InProcessHosts(registry, ["a", "b", "c"]);
    cleanups.push(() => hosts.close());
    const on = ownersAndChildren("", 2, 1);
    // The agent of a reports its workloads just as the new leader lists the moves: after its watch opened, before it is ready.
    const racing: Registry = new Proxy(registry, {
      get(target, key, receiver) {
        if (key === "listMoves") {
          return async (...args: Parameters<Registry["listMoves"]>) => {
            await hosts.place("a", on);
            return target.listMoves(...args);
          };
        }
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const moves = await startWorkloadMoves({ registry: racing, clock: systemClock(), principal: LEADER, logger: silentLogger, term: "t1", batchSize: 2, tickMs: 25 });
    cleanups.push(() => moves.stop());
    await until("the report to reach the planner", () => moves.placement().size, (n) => n === on.length);

    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    for (const w of on) expect(hosts.holders(w.id)).toHaveLength(1);
  });
});
