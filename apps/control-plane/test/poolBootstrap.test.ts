import { systemClock } from "@drainkit/core";
import { createRegistry, makeMemoryStore, type Principal } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { bootstrapPools, PoolFlagConflictError } from "../src/poolBootstrap.ts";

const admin: Principal = { id: "control-plane", scopes: ["mesh.admin"] };

describe("bootstrapPools", () => {
  it("writes each pool the store lacks once, even when two replicas start together, and leaves equal ones alone", async () => {
    const store = makeMemoryStore();
    const [a, b] = [createRegistry({ store, clock: systemClock() }), createRegistry({ store, clock: systemClock() })];
    const flags = [{ name: "web", maxUnavailable: 1 }, { name: "web", role: "edge", minAvailable: "50%" as const }, { name: "db", minAvailable: 2 }];
    const [x, y] = await Promise.all([bootstrapPools(a, admin, flags), bootstrapPools(b, admin, flags)]);
    expect([...x.written, ...y.written].sort()).toEqual(["db", "web"]);
    expect([...x.unchanged, ...y.unchanged].sort()).toEqual(["db", "web"]);
    expect((await a.listPools(admin)).map((p) => [p.name, p.version])).toEqual([["db", 1], ["web", 1]]);
    expect(await bootstrapPools(a, admin, flags)).toEqual({ written: [], unchanged: ["web", "db"] });
    expect((await a.queryAudit(admin, { action: "putPool" })).items.filter((e) => e.outcome === "ok")).toHaveLength(2);
  });

  it("refuses flags that differ from the stored pool, naming both and how to change the stored one", async () => {
    const registry = createRegistry({ store: makeMemoryStore(), clock: systemClock() });
    await registry.putPool(admin, "web", { maxUnavailable: 2 });
    const error = await bootstrapPools(registry, admin, [{ name: "web", maxUnavailable: 1 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolFlagConflictError);
    expect((error as Error).message).toBe(
      'pool "web": the flags say --pool web:maxUnavailable=1, but the store holds web:maxUnavailable=2 (version 1); the store is what every replica enforces. ' +
        'Change the stored budgets with `drainctl pools set web …` (PUT /control/pools/web), or drop or correct the --pool flags for "web".',
    );
    // A pool the flags do not name is none of their business.
    expect(await bootstrapPools(registry, admin, [{ name: "db", minAvailable: 1 }])).toEqual({ written: ["db"], unchanged: [] });
  });
});
