import fc from "fast-check";
import { isDrainkitError, pages, SeededRandom, systemClock } from "@drainkit/core";
import { fcParams, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { auditSignerFromKey } from "../audit/checkpoint.ts";
import { auditKey } from "../keys.ts";
import { createRegistry } from "../createRegistry.ts";
import type { RegistryStore } from "../store.ts";
import type { MoveChange, MoveState } from "../moves.ts";
import type { RolloutChange } from "../rollouts.ts";
import type { AuditEntry, PlacementChange, ApprovalChange, Principal, Registry, RegistryChange } from "../types.ts";
import type { StoreUnderTest } from "./StoreUnderTest.ts";
import { makePeer, principals, registerLive } from "./fixtures.ts";

type WithStore = (body: (s: StoreUnderTest) => Promise<void>) => () => Promise<void>;

const { operator, admin, reader } = principals;

function registryOn(store: RegistryStore, seed = 1, pools: Parameters<typeof createRegistry>[0]["pools"] = []): Registry {
  return createRegistry({
    store,
    clock: systemClock(),
    random: new SeededRandom(seed),
    pools,
    clusters: [
      { id: "eu", role: "active" },
      { id: "us", role: "backup" },
    ],
  });
}

async function allAudit(registry: Registry): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const page of pages((cursor) => registry.queryAudit(reader, { limit: 1_000, ...(cursor === undefined ? {} : { cursor }) }))) out.push(...page.items);
  return out;
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

/** Registry-level cases run on top of a store (idempotency, If-Match, audit, the pool race). */
export function registryConformanceCases(withStore: WithStore, options: { timeout: number; racers: number }): void {
  const { timeout, racers } = options;

  describe("registry on this store", () => {
    it("replays an Idempotency-Key with the stored outcome and writes nothing new", withStore(async ({ store }) => {
      const registry = registryOn(store);
      await registry.registerPeer(operator, makePeer({ id: "p1" }));
      const first = await registry.cordon(operator, "p1", { reason: "kernel" }, { idempotencyKey: "k1" });
      const before = await store.revision();
      const again = await registry.cordon(operator, "p1", { reason: "kernel" }, { idempotencyKey: "k1" });
      expect(again.replayed).toBe(true);
      expect(again.auditId).toBe(first.auditId);
      expect(again.etag).toBe(first.etag);
      expect(await store.revision()).toBe(before);
      expect(await codeOf(registry.cordon(operator, "p1", { reason: "other" }, { idempotencyKey: "k1" }))).toBe("idempotency-conflict");
    }), timeout);

    it("runs a request sent to several replicas at once with one Idempotency-Key exactly once", withStore(async (s) => {
      const replicas: RegistryStore[] = [s.store];
      if (s.connect !== undefined) replicas.push(await s.connect(), await s.connect());
      try {
        const registries = replicas.map((store, i) => registryOn(store, 10 + i));
        await registries[0]!.registerPeer(operator, makePeer({ id: "once" }));
        await registries[0]!.registerPeer(operator, makePeer({ id: "other" }));
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, i) => registries[i % registries.length]!.drain(operator, "once", { reason: "dup" }, { idempotencyKey: "dup-1" })),
        );
        expect(outcomes.filter((o) => o.replayed !== true)).toHaveLength(1);
        expect(new Set(outcomes.map((o) => o.auditId)).size).toBe(1);
        expect(new Set(outcomes.map((o) => o.value.epoch))).toEqual(new Set([1]));
        expect((await registries[0]!.queryAudit(reader, { action: "drain" })).items).toHaveLength(1);
      } finally {
        for (const r of replicas.slice(1)) await r.close();
      }
    }), timeout);

    it("repeats a no-op as success without a new epoch or a second change", withStore(async ({ store }) => {
      const registry = registryOn(store);
      await registry.registerPeer(operator, makePeer({ id: "a" }));
      await registry.registerPeer(operator, makePeer({ id: "b" }));
      const drained = await registry.drain(operator, "a", { reason: "upgrade" });
      expect(drained.changed).toBe(true);
      expect(drained.value.epoch).toBe(1);
      const repeat = await registry.drain(operator, "a", { reason: "upgrade" });
      expect(repeat.changed).toBe(false);
      expect(repeat.value.epoch).toBe(1);
      expect(repeat.etag).toBe(drained.etag);
      expect((await registry.getPeer(reader, "a")).peer.epoch).toBe(1);
    }), timeout);

    it("refuses a stale If-Match with etag-mismatch, and a missing one on patch with precondition-required", withStore(async ({ store }) => {
      const registry = registryOn(store);
      const reg = await registry.registerPeer(operator, makePeer({ id: "p" }));
      const patched = await registry.patchPeer(operator, "p", { labels: { zone: "a" } }, { ifMatch: reg.etag });
      expect(patched.value.labels).toEqual({ zone: "a" });
      expect(await codeOf(registry.patchPeer(operator, "p", { labels: { zone: "b" } }, { ifMatch: reg.etag }))).toBe("etag-mismatch");
      expect(await codeOf(registry.patchPeer(operator, "p", { labels: { zone: "b" } }, {}))).toBe("precondition-required");
      expect((await registry.getPeer(reader, "p")).peer.labels).toEqual({ zone: "a" });
    }), timeout);

    it("writes exactly one audit entry per attempt, allowed or refused, and a valid chain", withStore(async ({ store }) => {
      const registry = registryOn(store);
      const attempts: Promise<unknown>[] = [
        registry.registerPeer(operator, makePeer({ id: "x" })),
        registry.cordon(operator, "x", { reason: "disk" }, { ticket: "T-1" }),
        registry.cordon(reader, "x", { reason: "not allowed" }),
        registry.uncordon(operator, "missing"),
        registry.demote(admin, "eu", { confirm: true, reason: "region exit" }),
        registry.promote(admin, "us"),
        registry.patchConfig(admin, { "rollout.maxParallel": 3 }),
      ];
      const results = [];
      for (const a of attempts) results.push(await codeOf(a));
      expect(results).toEqual(["ok", "ok", "forbidden", "not-found", "last-active-cluster", "ok", "confirmation-required"]);
      const entries = await allAudit(registry);
      expect(entries.map((e) => [e.action, e.outcome, e.errorCode ?? null])).toEqual([
        ["registerPeer", "ok", null],
        ["cordon", "ok", null],
        ["cordon", "refused", "forbidden"],
        ["uncordon", "refused", "not-found"],
        ["demote", "refused", "last-active-cluster"],
        ["promote", "ok", null],
        ["patchConfig", "refused", "confirmation-required"],
      ]);
      const cordon = entries[1]!;
      expect(cordon).toMatchObject({ actor: "operator", target: "peer/x", reason: "disk", ticket: "T-1", etagBefore: '"1"', etagAfter: '"2"' });
      expect(await registry.verifyAudit()).toEqual({ ok: true, entries: 7 });
      expect((await registry.queryAudit(reader, { outcome: "refused" })).items).toHaveLength(4);
      expect((await registry.queryAudit(reader, { target: "peer/x", action: "cordon" })).items).toHaveLength(2);
    }), timeout);

    it("names the first audit entry that was changed, removed or cut off directly in the store", withStore(async ({ store }) => {
      const registry = registryOn(store);
      await registry.registerPeer(operator, makePeer({ id: "t" }));
      for (let i = 0; i < 4; i++) await registry.patchPeer(operator, "t", { metadata: { i } }, { ifMatch: `"${i + 1}"` });
      expect(await registry.verifyAudit()).toMatchObject({ ok: true, entries: 5 });

      const third = (await store.get(auditKey(3)))!;
      const forged = { ...(third.value as AuditEntry), actor: "mallory" };
      await store.txn({ compare: [], ops: [{ type: "put", key: auditKey(3), value: forged }] });
      const changed = await registry.verifyAudit();
      expect(changed.ok).toBe(false);
      if (!changed.ok) expect(changed.firstBad).toMatchObject({ seq: 3, id: forged.id });

      const entry2 = (await store.get(auditKey(2)))!.value;
      // Restore 3, remove 2: entry 3 is now the first that does not follow its predecessor.
      await store.txn({ compare: [], ops: [{ type: "put", key: auditKey(3), value: third.value }, { type: "delete", key: auditKey(2) }] });
      const removed = await registry.verifyAudit();
      expect(removed.ok).toBe(false);
      if (!removed.ok) expect(removed.firstBad).toMatchObject({ seq: 3, reason: expect.stringContaining("removed") });

      // Restore 2, cut the last entry off: only the head still knows it existed.
      await store.txn({ compare: [], ops: [{ type: "put", key: auditKey(2), value: entry2 }] });
      expect(await registry.verifyAudit()).toMatchObject({ ok: true, entries: 5 });
      await store.txn({ compare: [], ops: [{ type: "delete", key: auditKey(5) }] });
      const cut = await registry.verifyAudit();
      expect(cut.ok).toBe(false);
      if (!cut.ok) expect(cut.firstBad).toMatchObject({ seq: 5, reason: expect.stringContaining("head") });
    }), timeout);

    it("prunes the oldest audit entries after storing a signed checkpoint of them, and verifies the rest from it", withStore(async ({ store }) => {
      const registry = createRegistry({ store, clock: systemClock(), random: new SeededRandom(5), auditSigner: auditSignerFromKey("c".repeat(40)) });
      await registry.registerPeer(operator, makePeer({ id: "r" }));
      for (let i = 0; i < 60; i++) await registry.patchPeer(operator, "r", { metadata: { i } }, { ifMatch: `"${i + 1}"` });
      const before = await allAudit(registry);
      let pruned = 0;
      for (let call = 0; call < 5; call++) {
        const { value } = await registry.pruneAudit(admin, { keepEntries: 10, minBatch: 2 });
        pruned += value.pruned;
        if (value.pruned === 0 || value.remaining === 0) break;
      }
      const head = await registry.auditHead(reader);
      expect(head.checkpoint).toMatchObject({ seq: pruned, hash: before[pruned - 1]!.hash, alg: "hmac-sha256" });
      const left = await allAudit(registry);
      expect(left[0]!.seq).toBe(pruned + 1);
      expect(left.at(-1)).toMatchObject({ seq: head.seq, hash: head.hash, action: "pruneAudit" });
      expect(await registry.verifyAudit()).toEqual({ ok: true, entries: left.length, from: pruned });
      // The target index of a pruned entry finds nothing, not a dangling entry.
      expect((await registry.queryAudit(reader, { target: "peer/r", limit: 1_000 })).items[0]!.seq).toBe(pruned + 1);
    }), timeout);

    it("feeds peer, cluster, config and audit changes in revision order, resumable from a revision", withStore(async ({ store }) => {
      const registry = registryOn(store);
      await registry.registerPeer(operator, makePeer({ id: "f" }));
      const from = await store.revision();
      await registry.cordon(operator, "f", { reason: "feed" });
      await registry.promote(admin, "us");
      const seen: RegistryChange[] = [];
      const handle = registry.watch(from, (c) => seen.push(c));
      try {
        await registry.patchConfig(admin, { "maintenance.freeze": true }, { confirm: true });
        const until = performance.now() + 5_000;
        while (seen.length < 6 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
        const kinds = seen.map((c) => `${c.kind}:${c.id.startsWith("aud_") ? "entry" : c.id}`);
        expect(kinds.filter((k) => !k.startsWith("audit"))).toEqual(["peer:f", "cluster:us", "config:config"]);
        expect(kinds.filter((k) => k.startsWith("audit"))).toHaveLength(3);
        const revisions = seen.map((c) => c.revision);
        expect(revisions.every((r, i) => i === 0 || r >= revisions[i - 1]!)).toBe(true);
        const peer = seen.find((c) => c.kind === "peer")!.value as { phase: string };
        expect(peer.phase).toBe("cordoned");
      } finally {
        handle.close();
      }
    }), timeout);

    it("persists workload moves through their state machine, feeds them in order and prunes them, readable after the store is reopened", withStore(async (s) => {
      let registry = registryOn(s.store);
      for (const id of ["src", "dst"]) await registry.registerPeer(operator, makePeer({ id }));
      const from = await s.store.revision();
      const seen: (RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange)[] = [];
      const handle = registry.watchAll(from, (c) => seen.push(c));
      try {
        const move = { id: "mv-1", workload: "db", tier: "owner", from: "src", to: "dst", drain: { target: "src", epoch: 1 } } as const;
        await registry.planMove(operator, move, { idempotencyKey: "plan-mv-1" });
        await registry.planMove(operator, { id: "mv-2", workload: "db-1", tier: "child", owner: "db", from: "src", to: "dst" });
        await registry.reportMove(principals.agent("dst"), "mv-1", { state: "serving" });
        expect(await codeOf(registry.reportMove(principals.agent("dst"), "mv-1", { state: "done" }))).toBe("forbidden");
        expect(await codeOf(registry.reportMove(operator, "mv-2", { state: "done" }))).toBe("move-state-conflict");
        await registry.reportMove(principals.agent("src"), "mv-1", { state: "done" });
        await registry.reportMove(principals.agent("dst"), "mv-2", { state: "failed", reason: "no capacity" });
        const until = performance.now() + 10_000;
        const moveEvents = (): MoveChange[] => seen.filter((c): c is MoveChange => c.kind === "move");
        while (moveEvents().length < 5 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
        expect(moveEvents().map((c) => `${c.id}:${c.value?.state}`)).toEqual(["mv-1:starting", "mv-2:starting", "mv-1:serving", "mv-1:done", "mv-2:failed"]);
        const revisions = seen.map((c) => c.revision);
        expect(revisions.every((r, i) => i === 0 || r >= revisions[i - 1]!)).toBe(true);
      } finally {
        handle.close();
      }
      // Reopen: a fresh client on the same data (a file store is closed and opened again) and a fresh registry.
      let store = s.store;
      if (s.connect !== undefined) {
        await s.store.close();
        store = await s.connect();
      }
      registry = registryOn(store, 2);
      const moves = await registry.listMoves(reader);
      expect(moves.map((m) => [m.id, m.state, m.generation])).toEqual([["mv-1", "done", 3], ["mv-2", "failed", 2]]);
      expect(moves[1]).toMatchObject({ tier: "child", owner: "db", reason: "no capacity", plannedBy: "operator" });
      const replay = await registry.planMove(operator, { id: "mv-1", workload: "db", tier: "owner", from: "src", to: "dst", drain: { target: "src", epoch: 1 } }, { idempotencyKey: "plan-mv-1" });
      expect(replay.replayed).toBe(true);
      const pruned = await registry.pruneMoves(operator, { before: Date.now() + 1 });
      expect(pruned.value).toEqual({ deleted: 2, remaining: 0 });
      expect(await registry.listMoves(reader)).toEqual([]);
      const actions = (await allAudit(registry)).filter((e) => e.target.startsWith("move")).map((e) => `${e.action}:${e.outcome}`);
      expect(actions).toEqual(["planMove:ok", "planMove:ok", "reportMove:ok", "reportMove:refused", "reportMove:refused", "reportMove:ok", "reportMove:ok", "pruneMoves:ok"]);
      expect(await registry.verifyAudit()).toMatchObject({ ok: true });
      if (store !== s.store) await store.close();
    }), timeout);

    it("stores a peer's placement under its own key, rewritten only when it changes, readable after the store is reopened", withStore(async (s) => {
      let registry = registryOn(s.store);
      await registry.registerPeer(operator, makePeer({ id: "host" }));
      const agent = principals.agent("host");
      const from = await s.store.revision();
      const seen: (RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange)[] = [];
      const handle = registry.watchAll(from, (c) => seen.push(c));
      const items = Array.from({ length: 2_000 }, (_, i) => ({ id: `w${i}`, ...(i % 4 === 0 ? {} : { owner: `w${i - (i % 4)}` }) }));
      try {
        const first = await registry.reportStatus(agent, "host", { roles: {}, epoch: 0, placement: items });
        expect(first.value.status).toMatchObject({ workloads: { owners: 500, children: 1_500 }, placementVersion: 1 });
        // Heartbeats repeating the list: the peer record changes, the placement does not.
        for (let i = 0; i < 3; i++) await registry.reportStatus(agent, "host", { roles: {}, epoch: 0, placement: items });
        const changed = await registry.reportStatus(agent, "host", { roles: {}, epoch: 0, placement: items.slice(1) });
        expect(changed.value.status?.placementVersion).toBe(2);
        const peerWrites = (): number => seen.filter((c) => c.kind === "peer").length;
        const until = performance.now() + 10_000;
        while (peerWrites() < 5 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
        expect(peerWrites()).toBe(5);
        const placements = seen.filter((c): c is PlacementChange => c.kind === "placement");
        expect(placements.map((c) => [c.id, c.value?.version, c.value?.items.length])).toEqual([["host", 1, 2_000], ["host", 2, 1_999]]);
        // The peer document stays small: the list is not in it.
        const peerChange = seen.filter((c) => c.kind === "peer").at(-1)!;
        expect(JSON.stringify(peerChange.value).length).toBeLessThan(2_000);
      } finally {
        handle.close();
      }
      let store = s.store;
      if (s.connect !== undefined) {
        await s.store.close();
        store = await s.connect();
      }
      registry = registryOn(store, 2);
      const read = await registry.getPlacement(reader, "host");
      expect(read).toMatchObject({ peer: "host", version: 2 });
      expect(read.items).toEqual(items.slice(1));
      expect((await registry.listPlacements(reader)).map((p) => [p.peer, p.version])).toEqual([["host", 2]]);
      if (store !== s.store) await store.close();
    }), timeout);

    it("keeps a move on the legal arrows under random reports by random principals, one audit entry per attempt", withStore(async ({ store }) => {
      const registry = registryOn(store);
      for (const id of ["src", "dst"]) await registry.registerPeer(operator, makePeer({ id }));
      const who: Readonly<Record<string, Principal>> = { operator, reader, src: principals.agent("src"), dst: principals.agent("dst") };
      const legal: Readonly<Record<MoveState, readonly MoveState[]>> = { starting: ["serving", "failed", "cancelled"], serving: ["done"], done: [], failed: [], cancelled: [] };
      // Only the leader (mesh.operate) cancels; each agent reports its own side.
      const allowed = (p: string, state: MoveState): boolean => p === "operator" || (p !== "reader" && state !== "cancelled" && (state === "done" ? p === "src" : p === "dst"));
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ principal: fc.constantFrom("operator", "reader", "src", "dst"), state: fc.constantFrom<"serving" | "done" | "failed" | "cancelled">("serving", "done", "failed", "cancelled") }), { minLength: 1, maxLength: 6 }),
          async (steps) => {
            const id = `pm-${run++}`;
            await registry.planMove(operator, { id, workload: id, tier: "owner", from: "src", to: "dst" });
            const auditBefore = (await registry.queryAudit(reader, { target: `move/${id}` })).items.length;
            let state: MoveState = "starting";
            for (const s of steps) {
              const got = await codeOf(
                s.state === "cancelled"
                  ? registry.cancelMove(who[s.principal]!, id, { reason: "drain cancelled" })
                  : registry.reportMove(who[s.principal]!, id, { state: s.state, ...(s.state === "failed" ? { reason: "r" } : {}) }),
              );
              // A late repeat of serving once the move is done is a no-op (a destination retrying a lost answer).
              const expected = !allowed(s.principal, s.state) ? "forbidden" : state === s.state || (state === "done" && s.state === "serving") || legal[state].includes(s.state) ? "ok" : "move-state-conflict";
              expect(got).toBe(expected);
              if (got === "ok" && legal[state].includes(s.state)) state = s.state;
            }
            expect((await registry.listMoves(reader)).find((m) => m.id === id)?.state).toBe(state);
            expect((await registry.queryAudit(reader, { target: `move/${id}` })).items.length).toBe(auditBefore + steps.length);
          },
        ),
        fcParams({ numRuns: 10 }),
      );
    }), timeout);

    it("expires idempotency records after their TTL (a reused key is a fresh request) and sweeps only expired ones, in batches", withStore(async ({ store }) => {
      const ttl = 60_000;
      const clock = new SimulatedClock({ start: 1_000_000 });
      const registry = createRegistry({ store, clock, random: new SeededRandom(5), idempotencyTtlMs: ttl });
      await registry.registerPeer(operator, makePeer({ id: "p1" }));
      // 70 keyed attempts at once: group-committed, split to stay within the store's operation limit.
      const old = await Promise.all(Array.from({ length: 70 }, (_, i) => registry.cordon(operator, "p1", { reason: "kernel" }, { idempotencyKey: `old-${i}` })));
      expect(old.filter((o) => o.changed)).toHaveLength(1);
      expect(await codeOf(registry.uncordon(operator, "p1", {}, { idempotencyKey: "old-1" }))).toBe("idempotency-conflict");
      expect((await registry.cordon(operator, "p1", { reason: "kernel" }, { idempotencyKey: "old-2" })).replayed).toBe(true);

      clock.advance(ttl);
      // Past the TTL the same key is a new request: it runs (no replay, no conflict) and is remembered afresh.
      const reused = await registry.uncordon(operator, "p1", {}, { idempotencyKey: "old-1" });
      expect(reused.replayed).toBeUndefined();
      expect(reused.changed).toBe(true);
      expect((await registry.getPeer(reader, "p1")).peer.phase).toBe("active");
      const fresh = await Promise.all(Array.from({ length: 5 }, (_, i) => registry.cordon(operator, "p1", { reason: "again" }, { idempotencyKey: `fresh-${i}` })));

      expect(await codeOf(registry.sweepIdempotency(operator, { before: clock.now() }))).toBe("forbidden");
      const auditBefore = (await allAudit(registry)).length;
      const sweeps: { deleted: number; remaining: number }[] = [];
      for (;;) {
        const { value } = await registry.sweepIdempotency(admin, { before: clock.now() });
        sweeps.push(value);
        if (value.deleted === 0) break;
      }
      // 69 expired (old-1 was replaced), at most 30 per call; the last call finds nothing and writes nothing.
      expect(sweeps).toEqual([{ deleted: 30, remaining: 39 }, { deleted: 30, remaining: 9 }, { deleted: 9, remaining: 0 }, { deleted: 0, remaining: 0 }]);
      const sweepEntries = (await allAudit(registry)).slice(auditBefore);
      expect(sweepEntries.map((e) => `${e.action}:${e.outcome}:${e.actor}`)).toEqual(Array(3).fill("sweepIdempotency:ok:admin"));

      const left = (await store.list("idem/")).items.map((i) => i.key).sort();
      expect(left).toEqual(["idem/operator/fresh-0", "idem/operator/fresh-1", "idem/operator/fresh-2", "idem/operator/fresh-3", "idem/operator/fresh-4", "idem/operator/old-1"]);
      expect((await registry.uncordon(operator, "p1", {}, { idempotencyKey: "old-1" })).auditId).toBe(reused.auditId);
      expect((await registry.cordon(operator, "p1", { reason: "again" }, { idempotencyKey: "fresh-3" })).auditId).toBe(fresh[3]!.auditId);
      expect(await registry.verifyAudit()).toMatchObject({ ok: true });
    }), Math.max(timeout, 60_000));

    it("answers target queries from the audit index, paged, including entries written before the index existed", withStore(async ({ store }) => {
      const first = registryOn(store, 11);
      for (const id of ["a", "b", "a/b"]) await first.registerPeer(operator, makePeer({ id: id.replace("/", "-") }));
      for (let i = 0; i < 4; i++) await first.cordon(operator, i % 2 === 0 ? "a" : "b", { reason: `r${i}` });
      // Make this log look like one written before the index: no marker, no index entries.
      const indexKeys = (await store.list("audit-by-target/")).items.map((i) => i.key);
      expect(indexKeys.length).toBeGreaterThan(0);
      await store.txn({ compare: [], ops: [...indexKeys, "audit-index"].map((key) => ({ type: "delete" as const, key })) });
      const second = registryOn(store, 12);
      for (let i = 0; i < 5; i++) await second.uncordon(operator, i % 2 === 0 ? "a" : "b", {}, { reason: `u${i}` });
      await second.cordon(operator, "a-b", { reason: "x" });
      expect(await codeOf(second.cordon(reader, "a", { reason: "no scope" }))).toBe("forbidden");

      const all = await allAudit(second);
      for (const query of [{ target: "peer/a" }, { target: "peer/b", action: "uncordon" }, { target: "peer/a-b" }, { target: "peer/none" }, { target: "peer/a", outcome: "refused" as const }]) {
        for (const limit of [1, 2, 100]) {
          const got: AuditEntry[] = [];
          for await (const page of pages((cursor) => second.queryAudit(reader, { ...query, limit, ...(cursor === undefined ? {} : { cursor }) }))) {
            expect(page.items.length).toBeLessThanOrEqual(limit);
            got.push(...page.items);
          }
          const want = all.filter((e) => e.target === query.target && (query.action === undefined || e.action === query.action) && (query.outcome === undefined || e.outcome === query.outcome));
          expect(got.map((e) => e.seq)).toEqual(want.map((e) => e.seq));
        }
      }
      expect((await second.queryAudit(reader, { target: "peer/a" })).items.length).toBe(7);
      expect(await second.verifyAudit()).toMatchObject({ ok: true });
    }), timeout);

    it(`lets exactly the allowed number of ${racers} racing operators drain a pool's last spare nodes; the rest get pool-depletion`, withStore(async (s) => {
      const spare = 3;
      const pools = [{ name: "web", minAvailable: racers - spare }];
      const setup = registryOn(s.store, 7, pools);
      for (let i = 0; i < racers; i++) await registerLive(setup, makePeer({ id: `web-${i}`, pools: ["web"] }));
      const auditBefore = (await allAudit(setup)).length;
      // Several control-plane replicas, each its own registry, on clients of the same data.
      const replicas: RegistryStore[] = [s.store];
      if (s.connect !== undefined) for (let i = 0; i < 3; i++) replicas.push(await s.connect());
      try {
        const registries = replicas.map((store, i) => registryOn(store, 100 + i, pools));
        const outcomes = await Promise.all(
          Array.from({ length: racers }, (_, i) =>
            codeOf(registries[i % registries.length]!.drain(principals.operatorNamed(`op-${i}`), `web-${i}`, { reason: "race" })),
          ),
        );
        expect(outcomes.filter((o) => o === "ok")).toHaveLength(spare);
        expect(outcomes.filter((o) => o === "pool-depletion")).toHaveLength(racers - spare);
        const entries = (await allAudit(setup)).slice(auditBefore);
        expect(entries).toHaveLength(racers);
        expect(entries.filter((e) => e.outcome === "ok")).toHaveLength(spare);
        expect(new Set(entries.map((e) => e.actor)).size).toBe(racers);
        expect(entries.every((e) => e.action === "drain")).toBe(true);
        const draining = (await setup.listPeers(reader, { pool: "web", state: "draining", limit: 1_000 })).items;
        expect(draining).toHaveLength(spare);
        expect(await setup.verifyAudit()).toMatchObject({ ok: true });
      } finally {
        for (const r of replicas.slice(1)) await r.close();
      }
    }), Math.max(timeout, 60_000));

    it("admits drains on every replica by the pool budget another replica stored, and by its change at once", withStore(async (s) => {
      const first = registryOn(s.store, 11);
      for (let i = 0; i < 4; i++) await registerLive(first, makePeer({ id: `web-${i}`, pools: ["web"] }));
      const other = s.connect === undefined ? undefined : await s.connect();
      try {
        // Neither replica declares a budget of its own: what they enforce is what the store holds.
        const second = other === undefined ? registryOn(s.store, 12) : registryOn(other, 12);
        await first.putPool(admin, "web", { maxUnavailable: 1 }, { reason: "launch" });
        expect(await second.getPool(reader, "web")).toMatchObject({ etag: '"1"', pool: { maxUnavailable: 1 } });
        expect(await codeOf(second.drain(operator, "web-0", { reason: "r" }))).toBe("ok");
        expect(await codeOf(second.drain(operator, "web-1", { reason: "r" }))).toBe("pool-depletion");
        await second.putPool(admin, "web", { maxUnavailable: 2 }, { ifMatch: '"1"' });
        expect(await codeOf(first.drain(operator, "web-1", { reason: "r" }))).toBe("ok");
        expect(await codeOf(first.drain(operator, "web-2", { reason: "r" }))).toBe("pool-depletion");
        expect(await second.poolBudgets()).toEqual([{ name: "web", maxUnavailable: 2 }]);
      } finally {
        await other?.close();
      }
    }), timeout);
  });
}
