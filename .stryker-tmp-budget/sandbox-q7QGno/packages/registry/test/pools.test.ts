// @ts-nocheck
import { isDrainkitError } from "@drainkit/core";
import { RecordingEventSink, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { createRegistry, makeMemoryStore, type MemoryStore, type Registry, type RegistryChange, type RegistryEvent } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

const { operator, admin, reader } = principals;

function replica(store: MemoryStore, clock: SimulatedClock, seed: number, events = new RecordingEventSink<RegistryEvent>()): Registry {
  return createRegistry({ store, clock, random: new SeededRandom(seed), events });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isDrainkitError(e)) return e.code;
    throw e;
  }
}

describe("pools in the store", () => {
  it("declares, reads, lists, replaces (If-Match) and deletes (confirm) a pool, each change audited", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const store = makeMemoryStore();
    const registry = replica(store, clock, 1);
    expect(await codeOf(registry.getPool(reader, "web"))).toBe("not-found");
    const put = await registry.putPool(admin, "web", { maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } } }, { reason: "launch" });
    expect(put).toMatchObject({ changed: true, etag: '"1"', value: { name: "web", maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } }, version: 1 } });
    expect(await registry.getPool(reader, "web")).toEqual({ pool: put.value, etag: '"1"' });
    expect(await registry.listPools(reader)).toEqual([put.value]);
    expect(await registry.poolBudgets()).toEqual([{ name: "web", maxUnavailable: 1 }, { name: "web", role: "edge", minAvailable: "50%" }]);

    // The same body again writes nothing; a stale If-Match is refused.
    expect((await registry.putPool(admin, "web", { maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } } })).changed).toBe(false);
    expect(await codeOf(registry.putPool(admin, "web", { maxUnavailable: 2 }, { ifMatch: '"7"' }))).toBe("etag-mismatch");
    expect((await registry.putPool(admin, "web", { maxUnavailable: 2 }, { ifMatch: '"1"' })).value).toEqual({ name: "web", maxUnavailable: 2, roles: {}, version: 2 });
    // `"0"` matches only a pool not declared yet: how a bootstrap writes once.
    expect(await codeOf(registry.putPool(admin, "web", { maxUnavailable: 3 }, { ifMatch: '"0"' }))).toBe("etag-mismatch");

    expect(await codeOf(registry.deletePool(admin, "web"))).toBe("confirmation-required");
    expect(await codeOf(registry.deletePool(admin, "web", { confirm: true, ifMatch: '"1"' }))).toBe("etag-mismatch");
    expect((await registry.deletePool(admin, "web", { confirm: true, ifMatch: '"2"' })).changed).toBe(true);
    expect(await registry.listPools(reader)).toEqual([]);
    expect(await codeOf(registry.deletePool(admin, "web", { confirm: true }))).toBe("not-found");

    const audit = (await registry.queryAudit(reader, { target: "pool/web" })).items;
    expect(audit.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      "putPool:ok",
      "putPool:ok",
      "putPool:refused",
      "putPool:ok",
      "putPool:refused",
      "deletePool:refused",
      "deletePool:refused",
      "deletePool:ok",
      "deletePool:refused",
    ]);
    expect(await registry.verifyAudit()).toMatchObject({ ok: true });
  });

  it("needs mesh.admin to change a pool and mesh.read to read one", async () => {
    const registry = replica(makeMemoryStore(), new SimulatedClock({ start: 0 }), 2);
    expect(await codeOf(registry.putPool(operator, "web", { maxUnavailable: 1 }))).toBe("forbidden");
    await registry.putPool(admin, "web", { maxUnavailable: 1 });
    expect(await codeOf(registry.deletePool(operator, "web", { confirm: true }))).toBe("forbidden");
    expect(await codeOf(registry.listPools(principals.nobody))).toBe("forbidden");
  });

  it.each([
    [{}, "pool"],
    [{ maxUnavailable: -1 }, "maxUnavailable"],
    [{ maxUnavailable: 1.5 }, "maxUnavailable"],
    [{ minAvailable: "101%" }, "minAvailable"],
    [{ minAvailable: "half" }, "minAvailable"],
    [{ maxSurge: 1 }, "maxSurge"],
    [{ roles: { edge: { minAvailable: "x" } } }, "roles.edge.minAvailable"],
    [{ roles: { edge: {} } }, "pool"],
    [{ roles: [] }, "roles"],
  ])("refuses the bad budget %j naming the field %s", async (input, field) => {
    const registry = replica(makeMemoryStore(), new SimulatedClock({ start: 0 }), 3);
    const error = await registry.putPool(admin, "web", input as never).then(() => undefined, (e: unknown) => e);
    expect(isDrainkitError(error) && error.code).toBe("validation");
    expect((error as { details: { field: string } }).details.field).toBe(field);
    expect(await codeOf(registry.putPool(admin, "bad name", { maxUnavailable: 1 }))).toBe("validation");
  });

  it("streams a pool change on the change feed and emits its audit event", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const store = makeMemoryStore();
    const events = new RecordingEventSink<RegistryEvent>();
    const registry = replica(store, clock, 4, events);
    const seen: RegistryChange[] = [];
    const watch = registry.watch(0, (c) => seen.push(c));
    await registry.putPool(admin, "web", { minAvailable: 2 });
    await registry.deletePool(admin, "web", { confirm: true });
    watch.close();
    expect(seen.filter((c) => c.kind === "pool").map((c) => [c.id, c.value === undefined ? "deleted" : (c.value as { minAvailable?: number }).minAvailable])).toEqual([["web", 2], ["web", "deleted"]]);
    expect(events.events.filter((e) => e.type === "audit-appended").map((e) => e.entry.action)).toEqual(["putPool", "deletePool"]);
  });

  it("a budget written through one replica is the rule every replica on the store admits drains by", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const store = makeMemoryStore();
    const [a, b] = [replica(store, clock, 5), replica(store, clock, 6)];
    for (let i = 0; i < 4; i++) await registerLive(a, makePeer({ id: `web-${i}`, pools: ["web"] }));
    await a.putPool(admin, "web", { maxUnavailable: 1 });
    expect(await codeOf(b.drain(operator, "web-0", { reason: "r" }))).toBe("ok");
    expect(await codeOf(b.drain(operator, "web-1", { reason: "r" }))).toBe("pool-depletion");
    // Raised on the other replica: the first one admits by the new rule at once.
    await b.putPool(admin, "web", { maxUnavailable: 2 });
    expect(await codeOf(a.drain(operator, "web-1", { reason: "r" }))).toBe("ok");
    expect(await codeOf(a.drain(operator, "web-2", { reason: "r" }))).toBe("pool-depletion");
    // Deleted: nothing limits the pool any more.
    await b.deletePool(admin, "web", { confirm: true });
    expect(await codeOf(a.drain(operator, "web-2", { reason: "r" }))).toBe("ok");
  });

  it("a stored pool replaces the same pool declared in code; others stay declared", async () => {
    const store = makeMemoryStore();
    const registry = createRegistry({ store, clock: new SimulatedClock({ start: 0 }), pools: [{ name: "web", maxUnavailable: 1 }, { name: "db", minAvailable: 2 }] });
    expect((await registry.listPools(reader)).map((p) => [p.name, p.version])).toEqual([["db", 0], ["web", 0]]);
    await registry.putPool(admin, "web", { maxUnavailable: 3 });
    expect(await registry.poolBudgets()).toEqual([{ name: "db", minAvailable: 2 }, { name: "web", maxUnavailable: 3 }]);
  });
});
