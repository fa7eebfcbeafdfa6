import fc from "fast-check";
import { isDrainkitError } from "@drainkit/core";
import { fcParams, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
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

  it("refuses exactly the workloads a scan of every placement and move says live elsewhere, after any reports and moves", async () => {
    // The model, written here from the rule alone: a workload a report adds is refused when another peer's last
    // accepted placement holds it (the first such peer by id names it) and its latest move is not one into the
    // reporting peer that is still starting, serving or done. Every peer stays live (the clock never moves).
    const PEERS = ["db-1", "db-2", "db-3"];
    const WORKLOADS = ["a", "b", "c", "d"];
    type MoveStep = "serving" | "done" | "failed" | "cancelled";
    const command = fc.oneof(
      fc.record({ kind: fc.constant("report" as const), peer: fc.constantFrom(...PEERS), items: fc.subarray(WORKLOADS) }),
      fc.record({ kind: fc.constant("plan" as const), workload: fc.constantFrom(...WORKLOADS), from: fc.constantFrom(...PEERS), to: fc.constantFrom(...PEERS) }),
      fc.record({ kind: fc.constant("step" as const), workload: fc.constantFrom(...WORKLOADS), state: fc.constantFrom<MoveStep>("serving", "done", "failed", "cancelled") }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
        const { registry } = await setup();
        run++;
        const held = new Map<string, readonly string[]>(PEERS.map((p) => [p, []]));
        const latest = new Map<string, { id: string; to: string; state: string }>();
        let moves = 0;
        for (const c of commands) {
          if (c.kind === "plan") {
            if (c.from === c.to) continue;
            const id = `r${run}-m${moves++}`;
            await registry.planMove(operator, { id, workload: c.workload, tier: "owner", from: c.from, to: c.to });
            latest.set(c.workload, { id, to: c.to, state: "starting" });
          } else if (c.kind === "step") {
            const m = latest.get(c.workload);
            if (m === undefined) continue;
            const legal = (m.state === "starting" && c.state !== "done") || (m.state === "serving" && c.state === "done");
            const attempt = c.state === "cancelled" ? registry.cancelMove(operator, m.id, { reason: "drain cancelled" }) : registry.reportMove(operator, m.id, { state: c.state, ...(c.state === "failed" ? { reason: "r" } : {}) });
            const outcome = await attempt.then(
              () => "ok",
              (e: unknown) => (isDrainkitError(e) ? e.code : "thrown"),
            );
            expect(outcome).toBe(legal || m.state === c.state || (m.state === "done" && c.state === "serving") ? "ok" : "move-state-conflict");
            if (legal) m.state = c.state;
          } else {
            const before = new Set(held.get(c.peer));
            const expected: Record<string, string> = {};
            for (const w of c.items) {
              if (before.has(w)) continue;
              const holder = PEERS.filter((p) => p !== c.peer && held.get(p)!.includes(w)).sort()[0];
              const m = latest.get(w);
              const movingHere = m !== undefined && m.to === c.peer && m.state !== "failed" && m.state !== "cancelled";
              if (holder !== undefined && !movingHere) expected[w] = holder;
            }
            const got = await registry.reportStatus(principals.agent(c.peer), c.peer, report(c.items.map((id) => ({ id })))).then(
              () => ({}),
              (e: unknown) => {
                if (isDrainkitError(e) && e.code === "workload-elsewhere") return (e.details as { livesOn: Record<string, string> }).livesOn;
                throw e;
              },
            );
            expect(got).toEqual(expected);
            if (Object.keys(expected).length === 0) held.set(c.peer, c.items);
          }
        }
        for (const p of PEERS) expect((await registry.getPlacement(operator, p)).items.map((w) => w.id)).toEqual(held.get(p));
      }),
      fcParams({ numRuns: 80 }),
    );
  });
});
