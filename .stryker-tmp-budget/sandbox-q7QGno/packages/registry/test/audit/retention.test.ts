// @ts-nocheck
import { createHash, createHmac, generateKeyPairSync, verify as verifySignature } from "node:crypto";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { auditSignerFromKey, createRegistry, makeMemoryStore, type AuditEntry, type MemoryStore, type Registry } from "../../src/index.ts";
import { makePeer, principals } from "../../src/testing/index.ts";

const { operator, admin, reader } = principals;
const SECRET = "0123456789abcdef0123456789abcdef-audit";

function setup(key?: string) {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const store: MemoryStore = makeMemoryStore();
  const registry = createRegistry({ store, clock, random: new SeededRandom(7), ...(key === undefined ? {} : { auditSigner: auditSignerFromKey(key) }) });
  return { clock, store, registry };
}

/** `n` audited mutations, one second apart. */
async function fill(registry: Registry, clock: SimulatedClock, n: number): Promise<void> {
  await registry.registerPeer(operator, makePeer({ id: "p" }));
  for (let i = 1; i < n; i++) {
    clock.advance(1_000);
    if (i % 2 === 1) await registry.cordon(operator, "p", { reason: `r${i}` });
    else await registry.uncordon(operator, "p");
  }
}

async function everything(registry: Registry): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await registry.queryAudit(reader, { limit: 1_000, ...(cursor === undefined ? {} : { cursor }) });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}

/** The signed line, written out here from the documented format rather than taken from the code under test. */
const payloadOf = (cp: { seq: number; hash: string; at: number; signedAt: number }): string =>
  `drainkit-audit-checkpoint/v1 seq=${cp.seq} hash=${cp.hash} at=${cp.at} signedAt=${cp.signedAt}`;

describe("audit head and checkpoints", () => {
  it("names the last entry's seq, hash and time", async () => {
    const { registry, clock } = setup();
    expect(await registry.auditHead(reader)).toEqual({ seq: 0, hash: "0".repeat(64), at: 0 });
    await fill(registry, clock, 5);
    const last = (await everything(registry)).at(-1)!;
    expect(await registry.auditHead(reader)).toEqual({ seq: 5, hash: last.hash, at: last.at });
  });

  it("signs the head with an HMAC secret: the signature is HMAC-SHA256 over the checkpoint line", async () => {
    const { registry, clock } = setup(`${SECRET}\n`);
    await fill(registry, clock, 3);
    const head = await registry.auditHead(reader);
    clock.advance(5_000);
    const cp = await registry.auditCheckpoint(reader);
    expect(cp).toMatchObject({ seq: 3, hash: head.hash, at: head.at, signedAt: clock.now(), alg: "hmac-sha256" });
    expect(cp.keyId).toBe(createHash("sha256").update(SECRET).digest("hex").slice(0, 16));
    expect(cp.signature).toBe(createHmac("sha256", SECRET).update(payloadOf(cp)).digest("base64"));
  });

  it("signs with an Ed25519 private key, verifiable with its public key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const { registry, clock } = setup(privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    await fill(registry, clock, 2);
    const cp = await registry.auditCheckpoint(reader);
    expect(cp.alg).toBe("ed25519");
    expect(verifySignature(null, Buffer.from(payloadOf(cp)), publicKey, Buffer.from(cp.signature!, "base64"))).toBe(true);
    expect(verifySignature(null, Buffer.from(payloadOf({ ...cp, seq: cp.seq + 1 })), publicKey, Buffer.from(cp.signature!, "base64"))).toBe(false);
  });

  it("refuses a short HMAC secret and a non-Ed25519 PEM key", () => {
    expect(() => auditSignerFromKey("short")).toThrow(/at least 32 bytes/);
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(() => auditSignerFromKey(privateKey.export({ type: "pkcs8", format: "pem" }).toString())).toThrow(/Ed25519/);
  });
});

describe("audit retention", () => {
  it("keeps the newest entries, stores a signed checkpoint of the pruned prefix, and the rest still verifies from it", async () => {
    const { registry, clock } = setup(SECRET);
    await fill(registry, clock, 120);
    const before = await everything(registry);
    let pruned = 0;
    for (let call = 0; call < 10; call++) {
      const { value } = await registry.pruneAudit(admin, { keepEntries: 20 }, { reason: "retention" });
      pruned += value.pruned;
      if (value.remaining === 0) break;
    }
    const after = await everything(registry);
    const head = await registry.auditHead(reader);
    // Each prune call that removed something is itself an entry; 20 entries before those calls stay.
    expect(after[0]!.seq).toBe(head.checkpoint!.seq + 1);
    expect(pruned).toBe(head.checkpoint!.seq);
    expect(head.checkpoint).toMatchObject({ hash: before[head.checkpoint!.seq - 1]!.hash, alg: "hmac-sha256" });
    expect(head.checkpoint!.signature).toBe(createHmac("sha256", SECRET).update(payloadOf(head.checkpoint!)).digest("base64"));
    // 120 entries; calls prune 1..50, 51..100 and 101..102 (each keeping the newest 20 it sees), adding entries 121..123.
    expect(after.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => 103 + i));
    expect(after.filter((e) => e.action === "pruneAudit").every((e) => e.outcome === "ok" && e.reason === "retention")).toBe(true);
    expect(await registry.verifyAudit()).toEqual({ ok: true, entries: after.length, from: head.checkpoint!.seq });
    // Nothing more due: no write, no entry.
    expect((await registry.pruneAudit(admin, { keepEntries: 1_000 })).changed).toBe(false);
    expect((await registry.auditHead(reader)).seq).toBe(head.seq);
  });

  it("prunes by age: entries older than `before` go, younger ones stay", async () => {
    const { registry, clock } = setup();
    await fill(registry, clock, 30);
    const entries = await everything(registry);
    const cutoff = entries[9]!.at; // entries 1..9 are older
    const { value } = await registry.pruneAudit(admin, { before: cutoff });
    expect(value).toMatchObject({ pruned: 9, remaining: 0, checkpoint: { seq: 9, hash: entries[8]!.hash } });
    expect(value.checkpoint!.signature).toBeUndefined();
    expect((await everything(registry))[0]!.seq).toBe(10);
    expect(await registry.verifyAudit()).toMatchObject({ ok: true, from: 9 });
  });

  it("never prunes the head, needs mesh.admin, and validates its input", async () => {
    const { registry, clock } = setup();
    await fill(registry, clock, 3);
    expect(await registry.pruneAudit(operator, { keepEntries: 1 }).catch((e: { code: string }) => e.code)).toBe("forbidden");
    expect(await registry.pruneAudit(admin, {}).catch((e: { code: string }) => e.code)).toBe("validation");
    expect(await registry.pruneAudit(admin, { keepEntries: 0 }).catch((e: { code: string }) => e.code)).toBe("validation");
    clock.advance(60_000);
    await registry.pruneAudit(admin, { before: clock.now() });
    const left = await everything(registry);
    // 3 mutations and 3 refused prunes (audited too) were entries 1..6: all older than `before`, but the head (6) stays; 7 is the prune.
    expect(left.map((e) => [e.seq, e.action, e.outcome, e.errorCode ?? null])).toEqual([
      [6, "pruneAudit", "refused", "validation"],
      [7, "pruneAudit", "ok", null],
    ]);
    expect(await registry.verifyAudit()).toMatchObject({ ok: true });
  });

  it("refuses to prune a prefix whose chain is broken (that would erase the evidence)", async () => {
    const { registry, clock, store } = setup();
    await fill(registry, clock, 10);
    const key = "audit/000000000003";
    const got = await store.get(key);
    await store.txn({ compare: [], ops: [{ type: "put", key, value: { ...(got!.value as AuditEntry), actor: "mallory" } }] });
    const refused = await registry.pruneAudit(admin, { keepEntries: 2 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "audit-chain-broken", details: { seq: 3 } });
    expect((await everything(registry))[0]!.seq).toBe(1);
    expect((await registry.auditHead(reader)).checkpoint).toBeUndefined();
  });
});

describe("audit retention by count settles", () => {
  it("prunes nothing while fewer than minBatch entries are due, so its own entry does not start another round", async () => {
    const { registry, clock } = setup();
    await fill(registry, clock, 12);
    const first = await registry.pruneAudit(admin, { keepEntries: 5, minBatch: 2 });
    expect(first.value.pruned).toBe(7);
    // 5 kept + the prune's own entry: one due, under minBatch.
    for (let round = 0; round < 3; round++) expect((await registry.pruneAudit(admin, { keepEntries: 5, minBatch: 2 })).changed).toBe(false);
    expect((await everything(registry)).map((e) => e.seq)).toEqual([8, 9, 10, 11, 12, 13]);
  });
});
