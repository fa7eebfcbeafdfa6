import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { createRegistry, makeMemoryStore } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

const { operator, admin } = principals;
const report = (placement: { id: string }[]) => ({ roles: {}, epoch: 0, placement });

async function setup() {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(3) });
  for (const id of ["db-1", "db-2", "db-3"]) await registerLive(registry, makePeer({ id, pools: ["db"], roles: ["storage"] }));
  return { clock, registry };
}

describe("one home per workload", () => {
  it("refuses a report that adds a workload another live peer holds, naming where it lives, and audits the refusal", async () => {
    const { registry } = await setup();
    await registry.reportStatus(principals.agent("db-1"), "db-1", report([{ id: "j" }]));
    const refused = await registry.reportStatus(principals.agent("db-2"), "db-2", report([{ id: "j" }, { id: "k" }])).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "workload-elsewhere", details: { peer: "db-2", livesOn: { j: "db-1" } } });
    expect((await registry.getPlacement(operator, "db-2")).items).toEqual([]);
    const audit = await registry.queryAudit(admin, { target: "peer/db-2", action: "reportStatus" });
    expect(audit.items.map((e) => [e.outcome, e.errorCode])).toEqual([["refused", "workload-elsewhere"]]);
    // Without it, the report goes through; a workload the peer already reported is never checked again.
    await registry.reportStatus(principals.agent("db-2"), "db-2", report([{ id: "k" }]));
    expect((await registry.getPlacement(operator, "db-2")).items).toEqual([{ id: "k" }]);
  });

  it("takes a workload a move brings here, and one whose holder went silent", async () => {
    const { clock, registry } = await setup();
    await registry.reportStatus(principals.agent("db-1"), "db-1", report([{ id: "j" }]));
    await registry.planMove(operator, { id: "mv-1", workload: "j", tier: "owner", from: "db-1", to: "db-2" });
    // Make before break: the destination reports it while the source still does.
    await registry.reportStatus(principals.agent("db-2"), "db-2", report([{ id: "j" }]));
    expect((await registry.getPlacement(operator, "db-2")).items).toEqual([{ id: "j" }]);
    // A restarted source that starts j again is refused: the latest move of j took it away.
    await registry.reportStatus(principals.agent("db-1"), "db-1", report([]));
    await expect(registry.reportStatus(principals.agent("db-1"), "db-1", report([{ id: "j" }]))).rejects.toMatchObject({ code: "workload-elsewhere" });
    // A silent holder's placement is stale: db-3 may take j once db-2 stopped reporting.
    clock.advance(60_000);
    await registry.reportStatus(principals.agent("db-3"), "db-3", report([{ id: "j" }]));
    expect((await registry.getPlacement(operator, "db-3")).items).toEqual([{ id: "j" }]);
  });

  it("follows the latest move of a workload, a later move back included, and forgets it once that move is pruned", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const store = makeMemoryStore();
    const registry = createRegistry({ store, clock, random: new SeededRandom(4) });
    for (const id of ["db-1", "db-2"]) await registerLive(registry, makePeer({ id, pools: ["db"], roles: ["storage"] }));
    await registry.reportStatus(principals.agent("db-1"), "db-1", report([{ id: "j" }]));
    await registry.planMove(operator, { id: "mv-1", workload: "j", tier: "owner", from: "db-1", to: "db-2" });
    await registry.reportMove(operator, "mv-1", { state: "serving" });
    await registry.reportMove(operator, "mv-1", { state: "done" });
    await registry.reportStatus(principals.agent("db-2"), "db-2", report([{ id: "j" }]));
    await registry.reportStatus(principals.agent("db-1"), "db-1", report([]));
    clock.advance(1000);
    // Moved back: the latest move (mv-2) brings j to db-1, so db-1 may report it while db-2 still does; db-2 may no longer add it.
    await registry.planMove(operator, { id: "mv-2", workload: "j", tier: "owner", from: "db-2", to: "db-1" });
    await registry.reportStatus(principals.agent("db-1"), "db-1", report([{ id: "j" }]));
    expect((await registry.getPlacement(operator, "db-1")).items).toEqual([{ id: "j" }]);
    await registry.reportStatus(principals.agent("db-2"), "db-2", report([]));
    await expect(registry.reportStatus(principals.agent("db-2"), "db-2", report([{ id: "j" }]))).rejects.toMatchObject({ code: "workload-elsewhere" });
    // Pruning the older move keeps the index on the latest; pruning that one too removes the index with it.
    await registry.reportMove(operator, "mv-2", { state: "serving" });
    await registry.reportMove(operator, "mv-2", { state: "done" });
    const indexed = async (): Promise<unknown> => (await store.list("move-latest/")).items.map((i) => [i.key, i.value]);
    expect(await indexed()).toEqual([["move-latest/j", { move: "mv-2" }]]);
    clock.advance(1000);
    await registry.pruneMoves(operator, { before: clock.now() });
    expect(await registry.listMoves(operator)).toEqual([]);
    expect(await indexed()).toEqual([]);
  });
});
