import fc from "fast-check";
import { isDrainkitError } from "@drainkit/core";
import { fcParams, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry, type MoveChange, type MovePlan, type PlacementChange, type ApprovalChange, type MoveState, type Principal, type Registry, type RegistryChange, type RolloutChange } from "../src/index.ts";
import { makePeer, principals } from "../src/testing/index.ts";

const { operator, reader, admin } = principals;

async function setup() {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const store = makeMemoryStore();
  const registry = createRegistry({ store, clock, random: new SeededRandom(3) });
  for (const id of ["src", "dst", "other"]) await registry.registerPeer(operator, makePeer({ id }));
  return { clock, store, registry };
}

const plan = (id: string, extra: Partial<MovePlan> = {}): MovePlan => ({ id, workload: `w-${id}`, tier: "owner", from: "src", to: "dst", drain: { target: "src", epoch: 1 }, ...extra });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isDrainkitError(e)) return e.code;
    throw e;
  }
}

async function auditOf(registry: Registry, action: string): Promise<string[]> {
  return (await registry.queryAudit(reader, { action, limit: 1_000 })).items.map((e) => `${e.actor}:${e.outcome}:${e.errorCode ?? ""}`);
}

describe("workload moves in the registry", () => {
  it("runs make before break: planned starting, serving from the destination, done from the source, each audited with ETags", async () => {
    const { registry, clock } = await setup();
    const planned = await registry.planMove(operator, plan("m1"), { idempotencyKey: "plan-m1" });
    expect(planned.value).toMatchObject({ id: "m1", state: "starting", plannedBy: "operator", generation: 1, createdAt: 1_000_000 });
    expect(planned.etag).toBe('"1"');
    clock.advance(500);
    const serving = await registry.reportMove(principals.agent("dst"), "m1", { state: "serving" });
    expect(serving).toMatchObject({ changed: true, etag: '"2"', value: { state: "serving", updatedAt: 1_000_500 } });
    // A retry of the same report is a no-op, so agents may retry freely.
    const again = await registry.reportMove(principals.agent("dst"), "m1", { state: "serving" });
    expect(again).toMatchObject({ changed: false, etag: '"2"' });
    const done = await registry.reportMove(principals.agent("src"), "m1", { state: "done" }, { ifMatch: '"2"' });
    expect(done.value.state).toBe("done");
    expect(await registry.listMoves(reader, { active: true })).toEqual([]);
    // A peer filter that cannot be a peer id is a validation error, as over REST, not an empty list.
    await expect(registry.listMoves(reader, { peer: "no spaces/allowed" })).rejects.toMatchObject({ code: "validation" });
    expect((await registry.listMoves(reader, { state: "done" })).map((m) => m.id)).toEqual(["m1"]);
    expect(await auditOf(registry, "reportMove")).toEqual(["dst:ok:", "dst:ok:", "src:ok:"]);
    const entries = (await registry.queryAudit(reader, { target: "move/m1" })).items;
    expect(entries.map((e) => [e.action, e.etagBefore ?? null, e.etagAfter])).toEqual([
      ["planMove", null, '"1"'],
      ["reportMove", '"1"', '"2"'],
      ["reportMove", '"2"', '"2"'],
      ["reportMove", '"2"', '"3"'],
    ]);
    expect(await registry.verifyAudit()).toMatchObject({ ok: true });
  });

  it("refuses illegal transitions with move-state-conflict (409) naming what is allowed, and an unknown move with not-found", async () => {
    const { registry } = await setup();
    await registry.planMove(operator, plan("m1"));
    const err = await registry.reportMove(operator, "m1", { state: "done" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "move-state-conflict", details: { from: "starting", to: "done", allowed: ["serving", "failed", "cancelled"] } });
    await registry.reportMove(principals.agent("dst"), "m1", { state: "failed", reason: "image pull failed" });
    expect(await codeOf(registry.reportMove(operator, "m1", { state: "serving" }))).toBe("move-state-conflict");
    expect((await registry.listMoves(reader))[0]).toMatchObject({ state: "failed", reason: "image pull failed" });
    expect(await codeOf(registry.reportMove(operator, "ghost", { state: "serving" }))).toBe("not-found");
    expect(await codeOf(registry.reportMove(operator, "m1", { state: "failed" }))).toBe("validation");
    expect(await auditOf(registry, "reportMove")).toEqual(["operator:refused:move-state-conflict", "dst:ok:", "operator:refused:move-state-conflict", "operator:refused:not-found", "operator:refused:validation"]);
  });

  it("lets an agent retry a report without an idempotency record: a repeat, or a late serving once done, is a no-op; its key is still audited", async () => {
    const { registry, store } = await setup();
    await registry.planMove(operator, plan("m1"));
    const dst = principals.agent("dst");
    const key = { idempotencyKey: "move:m1:serving" };
    expect((await registry.reportMove(dst, "m1", { state: "serving" }, key)).changed).toBe(true);
    await registry.reportMove(principals.agent("src"), "m1", { state: "done" }, { idempotencyKey: "move:m1:done" });
    // The destination's retry of serving (its answer was lost) arrives after the source reported done: still true, no change.
    const late = await registry.reportMove(dst, "m1", { state: "serving" }, key);
    expect(late).toMatchObject({ changed: false, value: { state: "done", generation: 3 } });
    expect((await store.list("idem/")).items).toEqual([]);
    const entries = (await registry.queryAudit(reader, { target: "move/m1", action: "reportMove" })).items;
    expect(entries.map((e) => [e.actor, e.idempotencyKey, e.etagBefore, e.etagAfter])).toEqual([
      ["dst", "move:m1:serving", '"1"', '"2"'],
      ["src", "move:m1:done", '"2"', '"3"'],
      ["dst", "move:m1:serving", '"3"', '"3"'],
    ]);
    // A destination that failed cannot then say it serves, with or without its key.
    await registry.planMove(operator, plan("m2"));
    await registry.reportMove(dst, "m2", { state: "failed", reason: "disk full" }, { idempotencyKey: "move:m2:failed" });
    expect(await codeOf(registry.reportMove(dst, "m2", { state: "serving" }, { idempotencyKey: "move:m2:serving" }))).toBe("move-state-conflict");
    // An operator's report keeps its record: the same key for another report is refused.
    await registry.planMove(operator, plan("m3"));
    await registry.reportMove(operator, "m3", { state: "serving" }, { idempotencyKey: "op-1" });
    expect(await codeOf(registry.reportMove(operator, "m3", { state: "done" }, { idempotencyKey: "op-1" }))).toBe("idempotency-conflict");
  });

  it("cancels a starting move with a reason (the leader only, audited as cancelMove, on the feed); a committed move is not undone", async () => {
    const { registry, clock } = await setup();
    const from = (await registry.listPeers(reader, { limit: 1 })).revision;
    const seen: string[] = [];
    const watch = registry.watchAll(from, (c) => {
      if (c.kind === "move") seen.push(`${c.id}:${(c as MoveChange).value?.state}`);
    });
    try {
      await registry.planMove(operator, plan("m1"));
      await registry.planMove(operator, plan("m2"));
      clock.advance(250);
      expect(await codeOf(registry.cancelMove(principals.agent("dst"), "m1", { reason: "x" }))).toBe("forbidden");
      expect(await codeOf(registry.cancelMove(operator, "m1", { reason: " " }))).toBe("validation");
      const cancelled = await registry.cancelMove(operator, "m1", { reason: "the drain of src was cancelled" }, { idempotencyKey: "cancel-m1" });
      expect(cancelled).toMatchObject({ changed: true, etag: '"2"', value: { state: "cancelled", reason: "the drain of src was cancelled", updatedAt: 1_000_250 } });
      // Again: a no-op. The destination's late `serving` is refused: the workload stays on its source.
      expect((await registry.cancelMove(operator, "m1", { reason: "again" })).changed).toBe(false);
      expect(await codeOf(registry.reportMove(principals.agent("dst"), "m1", { state: "serving" }))).toBe("move-state-conflict");
      // m2 served first: cancelling it now is refused, and says why.
      await registry.reportMove(principals.agent("dst"), "m2", { state: "serving" });
      const err = await registry.cancelMove(operator, "m2", { reason: "too late" }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "move-state-conflict", details: { from: "serving", to: "cancelled" } });
      expect(String((err as Error).message)).toContain("not undone");
      expect(await codeOf(registry.cancelMove(operator, "ghost", { reason: "x" }))).toBe("not-found");
      expect((await registry.listMoves(reader, { state: "cancelled" })).map((m) => m.id)).toEqual(["m1"]);
      expect((await registry.listMoves(reader, { active: false })).map((m) => m.id)).toEqual(["m1"]);
      const entries = (await registry.queryAudit(reader, { action: "cancelMove" })).items.map((e) => `${e.target}:${e.actor}:${e.outcome}:${e.errorCode ?? ""}:${e.reason ?? ""}`);
      expect(entries).toEqual([
        "move/m1:dst:refused:forbidden:x",
        "move/m1:operator:refused:validation: ",
        "move/m1:operator:ok::the drain of src was cancelled",
        "move/m1:operator:ok::again",
        "move/m2:operator:refused:move-state-conflict:too late",
        "move/ghost:operator:refused:not-found:x",
      ]);
      await expect.poll(() => seen).toEqual(["m1:starting", "m2:starting", "m1:cancelled", "m2:serving"]);
      // Ended, so pruned like done and failed ones.
      clock.advance(10_000);
      expect((await registry.pruneMoves(operator, { before: clock.now() })).value).toEqual({ deleted: 1, remaining: 0 });
      expect((await registry.listMoves(reader)).map((m) => m.id)).toEqual(["m2"]);
    } finally {
      watch.close();
    }
  });

  it("lets an agent report only its own side of moves it is part of, never plan, and list only its own moves", async () => {
    const { registry } = await setup();
    await registry.planMove(operator, plan("m1"));
    await registry.planMove(operator, plan("m2", { from: "other", to: "dst" }));
    expect(await codeOf(registry.planMove(principals.agent("src"), plan("m3")))).toBe("forbidden");
    expect(await codeOf(registry.reportMove(principals.agent("other"), "m1", { state: "serving" }))).toBe("forbidden");
    expect(await codeOf(registry.reportMove(principals.agent("src"), "m1", { state: "serving" }))).toBe("forbidden");
    expect(await codeOf(registry.reportMove(principals.agent("src"), "m1", { state: "failed", reason: "x" }))).toBe("forbidden");
    expect(await codeOf(registry.reportMove(reader, "m1", { state: "serving" }))).toBe("forbidden");
    await registry.reportMove(principals.agent("dst"), "m1", { state: "serving" });
    expect(await codeOf(registry.reportMove(principals.agent("dst"), "m1", { state: "done" }))).toBe("forbidden");
    expect((await registry.listMoves(reader)).map((m) => m.state)).toEqual(["serving", "starting"]);
    expect((await registry.listMoves(principals.agent("src"))).map((m) => m.id)).toEqual(["m1"]);
    expect((await registry.listMoves(principals.agent("other"))).map((m) => m.id)).toEqual(["m2"]);
    expect((await registry.listMoves(principals.agent("dst"), { peer: "other" })).map((m) => m.id)).toEqual(["m2"]);
    expect((await registry.listMoves(reader, { peer: "src" })).map((m) => m.id)).toEqual(["m1"]);
    await expect(registry.listMoves(principals.nobody)).rejects.toMatchObject({ code: "forbidden" });
    await expect(registry.listMoves(reader, { state: "gone" as MoveState })).rejects.toMatchObject({ code: "validation", details: { field: "state" } });
  });

  it("validates plans: registered distinct peers, a child names its owner, an id is never reused for another plan", async () => {
    const { registry } = await setup();
    expect(await codeOf(registry.planMove(operator, plan("m1", { to: "ghost" })))).toBe("not-found");
    expect(await codeOf(registry.planMove(operator, plan("m1", { to: "src" })))).toBe("validation");
    expect(await codeOf(registry.planMove(operator, plan("m1", { tier: "child" })))).toBe("validation");
    expect(await codeOf(registry.planMove(operator, plan("bad id")))).toBe("validation");
    const first = await registry.planMove(operator, plan("m1", { tier: "child", owner: "w-root" }));
    const replay = await registry.planMove(admin, plan("m1", { tier: "child", owner: "w-root" }));
    expect(replay).toMatchObject({ changed: false, etag: first.etag, value: first.value });
    expect(await codeOf(registry.planMove(operator, plan("m1", { to: "other" })))).toBe("move-plan-conflict");
    expect(await registry.listMoves(reader)).toHaveLength(1);
  });

  it("prunes ended moves older than `before` in one transaction with one audit entry, at most 25 per call", async () => {
    const { registry, clock, store } = await setup();
    for (let i = 0; i < 30; i++) {
      await registry.planMove(operator, plan(`m${i}`));
      await registry.reportMove(operator, `m${i}`, i % 2 === 0 ? { state: "failed", reason: "timed out" } : { state: "serving" });
      if (i % 2 === 1 && i < 27) await registry.reportMove(operator, `m${i}`, { state: "done" });
    }
    await registry.planMove(operator, plan("fresh"));
    clock.advance(1_000);
    await registry.reportMove(operator, "fresh", { state: "failed", reason: "late" });
    const cutoff = clock.now();
    // Ended: 15 failed + 13 done; m27 and m29 are still serving and "fresh" ended at the cutoff.
    const revision = await store.revision();
    const first = await registry.pruneMoves(operator, { before: cutoff });
    expect(first.value).toEqual({ deleted: 25, remaining: 3 });
    expect(await store.revision()).toBe(revision + 1);
    const second = await registry.pruneMoves(operator, { before: cutoff });
    expect(second.value).toEqual({ deleted: 3, remaining: 0 });
    const third = await registry.pruneMoves(operator, { before: cutoff });
    expect(third).toMatchObject({ changed: false, value: { deleted: 0, remaining: 0 } });
    expect((await registry.listMoves(reader)).map((m) => m.id).sort()).toEqual(["fresh", "m27", "m29"]);
    expect(await auditOf(registry, "pruneMoves")).toEqual(["operator:ok:", "operator:ok:", "operator:ok:"]);
    expect(await codeOf(registry.pruneMoves(principals.agent("src"), { before: cutoff }))).toBe("forbidden");
    expect(await registry.verifyAudit()).toMatchObject({ ok: true });
  });

  it("feeds move changes (and their deletion) through watchAll only", async () => {
    const { registry, clock } = await setup();
    const all: (RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange)[] = [];
    const plain: RegistryChange[] = [];
    const a = registry.watchAll(0, (c) => all.push(c));
    const b = registry.watch(0, (c) => plain.push(c));
    await registry.planMove(operator, plan("m1"));
    await registry.reportMove(operator, "m1", { state: "failed", reason: "no capacity" });
    clock.advance(1);
    await registry.pruneMoves(operator, { before: clock.now() });
    a.close();
    b.close();
    const moves = all.filter((c): c is MoveChange => c.kind === "move");
    expect(moves.map((c) => [c.id, c.value?.state ?? "deleted"])).toEqual([["m1", "starting"], ["m1", "failed"], ["m1", "deleted"]]);
    expect(plain.some((c) => (c.kind as string) === "move")).toBe(false);
  });

  it("keeps the state machine under random reports by random principals: legal arrows only, one audit entry per attempt, refusals change nothing", async () => {
    const { registry } = await setup();
    const who: Readonly<Record<string, Principal>> = { operator, reader, src: principals.agent("src"), dst: principals.agent("dst"), other: principals.agent("other") };
    const legal: Readonly<Record<MoveState, readonly MoveState[]>> = { starting: ["serving", "failed", "cancelled"], serving: ["done"], done: [], failed: [], cancelled: [] };
    // Cancelling is the leader's (mesh.operate) alone; each agent reports its own side.
    const allowedBy = (p: string, state: MoveState): boolean => p === "operator" || (state === "cancelled" ? false : state === "done" ? p === "src" : p === "dst");
    const step = fc.record({ principal: fc.constantFrom("operator", "reader", "src", "dst", "other"), state: fc.constantFrom<"serving" | "done" | "failed" | "cancelled">("serving", "done", "failed", "cancelled") });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const id = `p${run++}`;
        await registry.planMove(operator, plan(id));
        let state: MoveState = "starting";
        let generation = 1;
        for (const s of steps) {
          const auditBefore = (await registry.queryAudit(reader, { target: `move/${id}`, limit: 1_000 })).items.length;
          const got = await codeOf(
            s.state === "cancelled"
              ? registry.cancelMove(who[s.principal]!, id, { reason: "drain cancelled" })
              : registry.reportMove(who[s.principal]!, id, { state: s.state, ...(s.state === "failed" ? { reason: "r" } : {}) }),
          );
          const expected = s.principal === "reader" || s.principal === "other" || !allowedBy(s.principal, s.state) ? "forbidden" : state === s.state || (state === "done" && s.state === "serving") || legal[state].includes(s.state) ? "ok" : "move-state-conflict";
          expect(got).toBe(expected);
          if (got === "ok" && legal[state].includes(s.state)) {
            state = s.state;
            generation++;
          }
          const [move] = (await registry.listMoves(reader)).filter((m) => m.id === id);
          expect(move).toMatchObject({ state, generation });
          expect((await registry.queryAudit(reader, { target: `move/${id}`, limit: 1_000 })).items.length).toBe(auditBefore + 1);
        }
      }),
      fcParams({ numRuns: 60 }),
    );
    expect(await registry.verifyAudit()).toMatchObject({ ok: true });
  });
});

describe("placement in status reports", () => {
  it("stores the placement under its own key and derives the workload counts from it when they are not given", async () => {
    const { registry, clock } = await setup();
    const agent = principals.agent("src");
    const placement = [{ id: "db" }, { id: "db-shard-1", owner: "db" }, { id: "db-shard-2", owner: "db" }, { id: "cache" }];
    expect(await registry.getPlacement(reader, "src")).toEqual({ peer: "src", items: [], version: 0, updatedAt: 0 });
    const { value } = await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement });
    expect(value.status).toMatchObject({ placementVersion: 1, workloads: { owners: 2, children: 2 } });
    expect(value.status).not.toHaveProperty("placement");
    expect(await registry.getPlacement(reader, "src")).toEqual({ peer: "src", items: placement, version: 1, updatedAt: clock.now() });
    const explicit = await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement, workloads: { owners: 9, children: 9 } });
    expect(explicit.value.status?.workloads).toEqual({ owners: 9, children: 9 });
    // A report without placement leaves the stored one (and its version) as it was.
    const none = await registry.reportStatus(agent, "src", { roles: {}, epoch: 0 });
    expect(none.value.status?.placementVersion).toBe(1);
    expect((await registry.getPlacement(reader, "src")).items).toEqual(placement);
    const emptied = await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement: [] });
    expect(emptied.value.status).toMatchObject({ placementVersion: 2, workloads: { owners: 0, children: 0 } });
    expect(await registry.listPlacements(reader)).toEqual([{ peer: "src", items: [], version: 2, updatedAt: clock.now() }]);
  });

  it("writes the placement key only when the list changes (one change per real change, none per heartbeat)", async () => {
    const { registry, store } = await setup();
    const agent = principals.agent("src");
    const seen: (RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange)[] = [];
    const handle = registry.watchAll(await store.revision(), (c) => seen.push(c));
    try {
      const items = Array.from({ length: 1_000 }, (_, i) => ({ id: `w${i}` }));
      await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement: items });
      for (let i = 0; i < 5; i++) await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement: items });
      await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement: [...items, { id: "new" }] });
      await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement: [...items, { id: "new" }] });
      const placements = seen.filter((c): c is PlacementChange => c.kind === "placement");
      expect(placements.map((c) => c.value?.version)).toEqual([1, 2]);
      expect(placements[1]!.value?.items.at(-1)).toEqual({ id: "new" });
      const peers = seen.filter((c) => c.kind === "peer");
      expect(peers).toHaveLength(8);
      for (const p of peers) expect(JSON.stringify(p.value).length).toBeLessThan(2_000);
      // Plain watch (peers, clusters, config, audit) does not carry placements.
      const plain: RegistryChange[] = [];
      registry.watch(0, (c) => plain.push(c)).close();
      expect(plain.some((c) => (c.kind as string) === "placement")).toBe(false);
    } finally {
      handle.close();
    }
  });

  it("hides a list embedded by an older release and moves it to its own key on the next report", async () => {
    const { registry, store } = await setup();
    const got = (await store.get("peers/src"))!;
    const record = got.value as { status?: unknown };
    const legacy = [{ id: "db" }];
    const status = { roles: {}, inFlight: {}, workloads: { owners: 1, children: 0 }, placement: legacy, heartbeatAt: 1, epoch: 0 };
    expect((await store.txn({ compare: [{ key: "peers/src", version: got.version }], ops: [{ type: "put", key: "peers/src", value: { ...record, status } }] })).ok).toBe(true);
    expect((await registry.getPeer(reader, "src")).peer.status).not.toHaveProperty("placement");
    const { value } = await registry.reportStatus(principals.agent("src"), "src", { roles: {}, epoch: 0, placement: legacy });
    expect(value.status).toMatchObject({ placementVersion: 1 });
    expect((await registry.getPlacement(reader, "src")).items).toEqual(legacy);
  });

  it("lets mesh.read (an agent holds it too) read a placement; no scope is forbidden, an unknown peer not-found", async () => {
    const { registry } = await setup();
    await registry.reportStatus(principals.agent("src"), "src", { roles: {}, epoch: 0, placement: [{ id: "db" }] });
    expect((await registry.getPlacement(principals.agent("src"), "src")).items).toEqual([{ id: "db" }]);
    expect((await registry.getPlacement(operator, "src")).version).toBe(1);
    expect(await codeOf(registry.getPlacement(principals.agent("dst"), "other"))).toBe("ok");
    expect(await codeOf(registry.getPlacement({ id: "nobody", scopes: [] }, "src"))).toBe("forbidden");
    expect(await codeOf(registry.getPlacement(reader, "ghost"))).toBe("not-found");
    expect(await codeOf(registry.listPlacements({ id: "nobody", scopes: [] }))).toBe("forbidden");
  });

  it("refuses a bad placement with a validation error naming the entry, and changes nothing", async () => {
    const { registry } = await setup();
    const agent = principals.agent("src");
    const field = async (placement: unknown): Promise<unknown> =>
      ((await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement } as never).catch((e: unknown) => e)) as { details?: { field?: string } }).details?.field;
    expect(await field([{ id: "a" }, { id: "b" }, { id: "c" }, { id: "bad id" }])).toBe("placement[3].id");
    expect(await field([{ id: "a" }, { id: "a", owner: "x" }])).toBe("placement[1].id");
    expect(await field([{ id: "a", owner: "a" }])).toBe("placement[0].owner");
    expect(await field([{ id: "a", owner: 7 }])).toBe("placement[0].owner");
    expect(await field(Array.from({ length: 10_001 }, (_, i) => ({ id: `w${i}` })))).toBe("placement");
    expect(await field("nope")).toBe("placement");
    expect((await registry.getPeer(reader, "src")).peer.status).toBeUndefined();
    const ok = await registry.reportStatus(agent, "src", { roles: {}, epoch: 0, placement: Array.from({ length: 10_000 }, (_, i) => ({ id: `w${i}`, ...(i > 0 ? { owner: "w0" } : {}) })) });
    expect(ok.value.status?.workloads).toEqual({ owners: 1, children: 9_999 });
  });
});
