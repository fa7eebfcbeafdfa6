import fc from "fast-check";
import { isDrainkitError } from "@drainkit/core";
import { fcParams, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry, type RegistryStore, type TxnRequest } from "../src/index.ts";
import { makePeer, principals } from "../src/testing/index.ts";

const { operator, admin, reader } = principals;
const TTL = 10_000;

function setup(store: RegistryStore = makeMemoryStore()) {
  const clock = new SimulatedClock({ start: 5_000_000 });
  const registry = createRegistry({ store, clock, random: new SeededRandom(3), idempotencyTtlMs: TTL });
  return { clock, store, registry };
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


describe("idempotency records expire after idempotencyTtlMs", () => {
  it("replays a key iff its record is younger than the TTL (property over keys and ages)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom("a", "b", "c", "d"), wait: fc.oneof(fc.integer({ min: 0, max: 2 * TTL }), fc.constantFrom(TTL - 1, TTL, TTL + 1)) }), { minLength: 1, maxLength: 25 }),
        async (steps) => {
          const { clock, registry } = setup();
          await registry.registerPeer(operator, makePeer({ id: "p" }));
          // Model: when each key's live record was written.
          const writtenAt = new Map<string, number>();
          for (const { key, wait } of steps) {
            clock.advance(wait);
            const at = writtenAt.get(key);
            const live = at !== undefined && clock.now() - at < TTL;
            const outcome = await registry.cordon(operator, "p", { reason: "same request" }, { idempotencyKey: key });
            expect(outcome.replayed === true).toBe(live);
            if (!live) writtenAt.set(key, clock.now());
          }
        },
      ),
      fcParams({ numRuns: 60 }),
    );
  });

  it("runs a reused key as a new mutation once the record expired, even with a different request", async () => {
    const { clock, registry } = setup();
    await registry.registerPeer(operator, makePeer({ id: "p" }));
    await registry.cordon(operator, "p", { reason: "first" }, { idempotencyKey: "k" });
    clock.advance(TTL - 1);
    expect(await codeOf(registry.uncordon(operator, "p", {}, { idempotencyKey: "k" }))).toBe("idempotency-conflict");
    clock.advance(1);
    const second = await registry.uncordon(operator, "p", {}, { idempotencyKey: "k" });
    expect(second).toMatchObject({ changed: true });
    expect(second.replayed).toBeUndefined();
    expect((await registry.getPeer(reader, "p")).peer.phase).toBe("active");
    // The fresh record counts from now on.
    expect((await registry.uncordon(operator, "p", {}, { idempotencyKey: "k" })).replayed).toBe(true);
  });

  it("sweeps only expired records, of every principal, never one still counting whatever `before` says", async () => {
    const { clock, store, registry } = setup();
    await registry.registerPeer(operator, makePeer({ id: "p" }));
    const other = principals.operatorNamed("other");
    await registry.cordon(operator, "p", { reason: "r" }, { idempotencyKey: "old-op" });
    await registry.cordon(other, "p", { reason: "r" }, { idempotencyKey: "old-other" });
    clock.advance(TTL / 2);
    await registry.cordon(operator, "p", { reason: "r" }, { idempotencyKey: "young" });
    clock.advance(TTL / 2);

    const dry = await registry.sweepIdempotency(admin, { before: clock.now() + TTL }, { dryRun: true });
    expect(dry.value).toEqual({ deleted: 2, remaining: 0 });
    expect((await store.list("idem/")).items).toHaveLength(3);

    const swept = await registry.sweepIdempotency(admin, { before: clock.now() + TTL });
    expect(swept.value).toEqual({ deleted: 2, remaining: 0 });
    expect(swept.auditId).not.toBe("");
    expect((await store.list("idem/")).items.map((i) => i.key)).toEqual(["idem/operator/young"]);
    expect((await store.list("idem-by-time/")).items).toHaveLength(1);
    expect((await registry.cordon(operator, "p", { reason: "r" }, { idempotencyKey: "young" })).replayed).toBe(true);

    // `before` earlier than the records keeps them.
    clock.advance(TTL);
    expect((await registry.sweepIdempotency(admin, { before: 0 })).value).toEqual({ deleted: 0, remaining: 0 });
    expect((await store.list("idem/")).items).toHaveLength(1);
  });

  it("treats records from before the TTL (no write time) as expired, and sweeps them too", async () => {
    const { store, registry } = setup();
    await registry.registerPeer(operator, makePeer({ id: "p" }));
    const first = await registry.cordon(operator, "p", { reason: "r" }, { idempotencyKey: "kept" });
    // 45 records as an older release wrote them, for the same request as "kept" (so a replay would be possible).
    const stored = (await store.get("idem/operator/kept"))!.value as Record<string, unknown>;
    const { at: _at, ...legacy } = stored;
    await store.txn({ compare: [], ops: Array.from({ length: 45 }, (_, i) => ({ type: "put" as const, key: `idem/operator/legacy-${String(i).padStart(2, "0")}`, value: legacy })) });

    const reused = await registry.cordon(operator, "p", { reason: "r" }, { idempotencyKey: "legacy-00" });
    expect(reused.replayed).toBeUndefined();
    expect(reused.auditId).not.toBe(first.auditId);

    const sweeps: { deleted: number; remaining: number }[] = [];
    for (let i = 0; i < 5; i++) sweeps.push((await registry.sweepIdempotency(admin, { before: Date.now() })).value);
    expect(sweeps).toEqual([{ deleted: 30, remaining: 14 }, { deleted: 14, remaining: 0 }, { deleted: 0, remaining: 0 }, { deleted: 0, remaining: 0 }, { deleted: 0, remaining: 0 }]);
    expect((await store.list("idem/")).items.map((i) => i.key)).toEqual(["idem/operator/kept", "idem/operator/legacy-00"]);
    expect((await registry.queryAudit(reader, { target: "idempotency" })).items).toHaveLength(2);
  });

  it("refuses a sweep without mesh.admin or without a valid `before`, auditing the refusal, and audits nothing when nothing is due", async () => {
    const { registry } = setup();
    expect(await codeOf(registry.sweepIdempotency(operator, { before: 1 }))).toBe("forbidden");
    expect(await codeOf(registry.sweepIdempotency(admin, { before: Number.NaN }))).toBe("validation");
    const idle = await registry.sweepIdempotency(admin, { before: Date.now() });
    expect(idle).toEqual({ value: { deleted: 0, remaining: 0 }, etag: '"0"', changed: false, auditId: "" });
    const audit = (await registry.queryAudit(reader, { target: "idempotency" })).items;
    expect(audit.map((e) => `${e.actor}:${e.outcome}:${e.errorCode}`)).toEqual(["operator:refused:forbidden", "admin:refused:validation"]);
  });
});

describe("group commit stays within the store's operation limit", () => {
  /** A memory store that records the size of each transaction and declares `maxTxnOps` (or nothing). */
  const sizedStore = (maxTxnOps?: number): { store: RegistryStore; sizes: number[] } => {
    const inner = makeMemoryStore();
    const sizes: number[] = [];
    const store: RegistryStore = {
      kind: inner.kind,
      ...(maxTxnOps === undefined ? {} : { maxTxnOps }),
      get: (key) => inner.get(key),
      list: (prefix, options) => inner.list(prefix, options),
      txn: (request: TxnRequest) => {
        sizes.push(request.ops.length);
        return inner.txn(request);
      },
      revision: () => inner.revision(),
      watch: (prefix, from, onChange, onError) => inner.watch(prefix, from, onChange, onError),
      campaign: (election, candidate, options) => inner.campaign(election, candidate, options),
      leader: (election) => inner.leader(election),
      ping: () => inner.ping(),
      close: () => inner.close(),
    };
    return { store, sizes };
  };

  const burst = async (store: RegistryStore, sizes: number[], n: number): Promise<void> => {
    const { registry } = setup(store);
    const peers = Array.from({ length: n }, (_, i) => `p-${i}`);
    await Promise.all(peers.map((id) => registry.registerPeer(operator, makePeer({ id }))));
    sizes.length = 0;
    const outcomes = await Promise.all(peers.map((id) => registry.cordon(operator, id, { reason: "burst" }, { idempotencyKey: `burst-${id}` })));
    expect(outcomes.every((o) => o.changed)).toBe(true);
    expect((await registry.queryAudit(reader, { action: "cordon", limit: 1_000 })).items).toHaveLength(n);
    expect(await registry.verifyAudit()).toEqual({ ok: true, entries: 2 * n });
  };

  it("keeps within the limit a store declares (less room for what it adds), and commits a burst in one transaction on a store with none", async () => {
    const small = sizedStore(64);
    await burst(small.store, small.sizes, 40);
    expect(Math.max(...small.sizes)).toBeLessThanOrEqual(56);
    const unlimited = sizedStore(Number.POSITIVE_INFINITY);
    await burst(unlimited.store, unlimited.sizes, 40);
    expect(unlimited.sizes).toHaveLength(1);
  });

  it("splits a burst of keyed mutations over several transactions of at most 120 operations, all committed and audited", async () => {
    const inner = makeMemoryStore();
    const sizes: number[] = [];
    const store: RegistryStore = {
      kind: inner.kind,
      get: (key) => inner.get(key),
      list: (prefix, options) => inner.list(prefix, options),
      txn: (request: TxnRequest) => {
        sizes.push(request.ops.length);
        return inner.txn(request);
      },
      revision: () => inner.revision(),
      watch: (prefix, from, onChange, onError) => inner.watch(prefix, from, onChange, onError),
      campaign: (election, candidate, options) => inner.campaign(election, candidate, options),
      leader: (election) => inner.leader(election),
      ping: () => inner.ping(),
      close: () => inner.close(),
    };
    const { registry } = setup(store);
    const peers = Array.from({ length: 40 }, (_, i) => `p-${i}`);
    await Promise.all(peers.map((id) => registry.registerPeer(operator, makePeer({ id }))));
    sizes.length = 0;
    const outcomes = await Promise.all(peers.map((id) => registry.cordon(operator, id, { reason: "burst" }, { idempotencyKey: `burst-${id}` })));
    expect(outcomes.every((o) => o.changed)).toBe(true);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(120);
    expect(sizes.length).toBeGreaterThan(1);
    expect((await registry.queryAudit(reader, { action: "cordon", limit: 1_000 })).items).toHaveLength(40);
    expect(await registry.verifyAudit()).toEqual({ ok: true, entries: 80 });
  });
});
