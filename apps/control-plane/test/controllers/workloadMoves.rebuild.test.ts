import { silentLogger, systemClock } from "@drainkit/core";
import type { Registry } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { afterThisTest, fleet, LEADER, OPS, until } from "../moveFleet.ts";
import { startWorkloadMoves } from "../../src/controllers/workloadMoves.ts";
import { InProcessHosts, ownersAndChildren } from "../../bench/hosts.ts";




describe("the move planner's rebuild", () => {
  it("starts, and then moves work, when agents report while it reads the registry (changes buffered during the rebuild)", async () => {
    const registry = await fleet(["a", "b", "c"]);
    const hosts = new InProcessHosts(registry, ["a", "b", "c"]);
    afterThisTest(() => hosts.close());
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
    afterThisTest(() => moves.stop());
    await until("the report to reach the planner", () => moves.placement().size, (n) => n === on.length);

    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    for (const w of on) expect(hosts.holders(w.id)).toHaveLength(1);
  });
});
