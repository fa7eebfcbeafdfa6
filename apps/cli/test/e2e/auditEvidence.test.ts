import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, drainctl, FakeAgent, json, startServer, type Server } from "./harness.ts";

/**
 * The audit log as evidence against someone who can write the store: each
 * test edits the real SQLite file underneath a running server, the way an
 * attacker with disk access would, and `drainctl audit verify` must notice,
 * from the head alone (a deleted last entry) or with a checkpoint exported
 * earlier (a truncation or a rewrite with recomputed hashes, head included).
 */

type Entry = Record<string, unknown> & { seq: number; hash: string; prevHash: string };

/** Sorted-key JSON, written here from the format's definition (the test does not borrow the server's). */
function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
}
const hashOf = (e: Omit<Entry, "hash">): string => createHash("sha256").update(canonical(e)).digest("hex");
const auditKey = (seq: number): string => `audit/${String(seq).padStart(12, "0")}`;

let keyDir: string;
let hmacKey: string;
let edPrivate: string;
let edPublic: string;

beforeAll(() => {
  keyDir = mkdtempSync(join(tmpdir(), "dk-audit-keys-"));
  hmacKey = join(keyDir, "audit.key");
  writeFileSync(hmacKey, `${"k".repeat(48)}\n`, { mode: 0o600 });
  const pair = generateKeyPairSync("ed25519");
  edPrivate = join(keyDir, "ed25519.pem");
  edPublic = join(keyDir, "ed25519.pub.pem");
  writeFileSync(edPrivate, pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { mode: 0o600 });
  writeFileSync(edPublic, pair.publicKey.export({ type: "spki", format: "pem" }).toString());
});
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

let server: Server | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${server!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** A server signing with `key`, and ten operator entries (cordon / uncordon of one of two live peers). */
async function serverWithEntries(key: string, args: readonly string[] = []): Promise<void> {
  server = await startServer({ args: ["--audit-key", key, ...args] });
  const agent = new FakeAgent(server);
  await agent.register("ev-1");
  await agent.register("ev-2");
  for (let i = 0; i < 5; i++) {
    await api("POST", "/control/peers/ev-1:cordon", { reason: `drill ${i}`, ticket: `CHG-${i}` });
    await api("POST", "/control/peers/ev-1:uncordon", { reason: `drill ${i}` });
  }
}

function store<T>(fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(server!.dbPath);
  db.exec("PRAGMA busy_timeout = 5000");
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const readEntry = (db: DatabaseSync, seq: number): Entry => JSON.parse((db.prepare("SELECT value FROM kv WHERE key = ?").get(auditKey(seq)) as { value: string }).value) as Entry;
const headOf = (db: DatabaseSync): { seq: number; hash: string } => JSON.parse((db.prepare("SELECT value FROM kv WHERE key = 'audit-head'").get() as { value: string }).value) as { seq: number; hash: string };
const put = (db: DatabaseSync, key: string, value: unknown): void => void db.prepare("UPDATE kv SET value = ? WHERE key = ?").run(JSON.stringify(value), key);

async function checkpointFile(name: string): Promise<{ path: string; cp: Record<string, unknown> }> {
  const run = await drainctl(server, ["audit", "checkpoint"]);
  expect(run.code, run.stderr).toBe(0);
  const path = join(server!.dir, name);
  writeFileSync(path, run.stdout);
  return { path, cp: JSON.parse(run.stdout) as Record<string, unknown> };
}

describe("drainctl audit head and checkpoint", () => {
  it("prints the head (table and --json) and a signed checkpoint of it", async () => {
    await serverWithEntries(hmacKey);
    const head = json<{ seq: number; hash: string; at: number }>(await drainctl(server, ["audit", "head", "--json"]));
    expect(head.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(json<{ seq: number }>(await drainctl(server, ["audit", "head", "-o", "json"])).seq).toBe(head.seq);
    expect((await drainctl(server, ["audit", "head"])).stdout).toContain(`seq:  ${head.seq}`);
    const { cp } = await checkpointFile("cp.json");
    expect(cp).toMatchObject({ seq: head.seq, hash: head.hash, alg: "hmac-sha256" });
    const ok = await drainctl(server, ["audit", "verify", "--checkpoint", join(server!.dir, "cp.json"), "--key", hmacKey]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`checkpoint at seq ${head.seq} (signature valid)`);
    // A signed checkpoint is not taken on trust without the key, nor with another one.
    expect((await drainctl(server, ["audit", "verify", "--checkpoint", join(server!.dir, "cp.json")])).code).toBe(1);
    const other = join(server!.dir, "other.key");
    writeFileSync(other, "x".repeat(40));
    const wrong = await drainctl(server, ["audit", "verify", "--checkpoint", join(server!.dir, "cp.json"), "--key", other]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain("the HMAC does not match");
  });
});

describe("drainctl audit verify against a tampered SQLite store", () => {
  it("catches a deleted last entry from the head alone", async () => {
    await serverWithEntries(hmacKey);
    const head = store(headOf);
    store((db) => db.prepare("DELETE FROM kv WHERE key = ?").run(auditKey(head.seq)));
    const verify = await drainctl(server, ["audit", "verify"]);
    expect(verify.code, verify.stdout).toBe(1);
    expect(verify.stdout).toContain(`the head names seq ${head.seq} but the chain ends at seq ${head.seq - 1}`);
  });

  it("catches a truncation with the head rewritten to match, given a checkpoint from before", async () => {
    await serverWithEntries(edPrivate);
    const { path } = await checkpointFile("cp.json");
    const head = store(headOf);
    store((db) => {
      db.prepare("DELETE FROM kv WHERE key = ? OR key = ?").run(auditKey(head.seq), auditKey(head.seq - 1));
      const last = readEntry(db, head.seq - 2);
      put(db, "audit-head", { seq: last.seq, hash: last.hash, at: last["at"] });
    });
    // Without a checkpoint the shortened chain is self-consistent...
    expect((await drainctl(server, ["audit", "verify"])).code).toBe(0);
    // ...but the checkpoint (checked with the public key only) proves it was longer.
    const verify = await drainctl(server, ["audit", "verify", "--checkpoint", path, "--key", edPublic]);
    expect(verify.code, verify.stdout).toBe(1);
    expect(verify.stdout).toContain(`the checkpoint proves seq ${head.seq} existed`);
    expect(verify.stdout).toContain(`the chain now ends at seq ${head.seq - 2}: entries were cut from the end`);
  });

  it("catches a rewrite with recomputed hashes (head included), given a checkpoint from before", async () => {
    await serverWithEntries(hmacKey);
    const { path } = await checkpointFile("cp.json");
    const head = store(headOf);
    store((db) => {
      // Entry 4 gets a new reason; it and every later entry are re-hashed, and the head follows.
      let prevHash = readEntry(db, 3).hash;
      let last: Entry | undefined;
      for (let seq = 4; seq <= head.seq; seq++) {
        const { hash: _old, ...content } = readEntry(db, seq);
        const edited = { ...content, prevHash, ...(seq === 4 ? { reason: "nothing to see" } : {}) } as Omit<Entry, "hash">;
        last = { ...edited, hash: hashOf(edited) } as Entry;
        put(db, auditKey(seq), last);
        prevHash = last.hash;
      }
      put(db, "audit-head", { seq: last!.seq, hash: last!.hash, at: last!["at"] });
    });
    expect((await drainctl(server, ["audit", "verify"])).code).toBe(0);
    const verify = await drainctl(server, ["audit", "verify", "--checkpoint", path, "--key", hmacKey, "-o", "json"]);
    expect(verify.code, verify.stdout).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: false, firstBad: { seq: head.seq, reason: expect.stringContaining("the chain was rewritten since the checkpoint") } });
    // A checkpoint edited to match the rewrite no longer carries a valid signature.
    const forged = join(server!.dir, "forged.json");
    const cp = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(forged, JSON.stringify({ ...cp, hash: store(headOf).hash }));
    const refused = await drainctl(server, ["audit", "verify", "--checkpoint", forged, "--key", hmacKey]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("the checkpoint's signature is not valid");
  });
});

describe("audit retention", () => {
  it("prunes to audit.maxEntries after storing a signed checkpoint, and verify still proves the rest and an older checkpoint", async () => {
    await serverWithEntries(hmacKey, ["--audit-retention-interval", "100ms"]);
    const { path } = await checkpointFile("early.json");
    // More entries after the checkpoint, so retention prunes past it.
    for (let i = 0; i < 3; i++) {
      await api("POST", "/control/peers/ev-1:cordon", { reason: `later ${i}` });
      await api("POST", "/control/peers/ev-1:uncordon", { reason: `later ${i}` });
    }
    const set = await drainctl(server, ["config", "set", "audit.maxEntries=5", "--reason", "bounded storage", "--yes"]);
    expect(set.code, set.stderr).toBe(0);
    let head = json<{ seq: number; checkpoint?: { seq: number; alg?: string } }>(await drainctl(server, ["audit", "head", "--json"]));
    for (let i = 0; i < 200 && head.checkpoint === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      head = (await api("GET", "/control/audit/head")) as typeof head;
    }
    expect(head.checkpoint).toMatchObject({ alg: "hmac-sha256" });
    const list = json<{ items: { seq: number; action: string }[] }>(await drainctl(server, ["audit", "list", "-o", "json"]));
    // Retention settles: a count limit prunes in batches, so its own entry does not start another round.
    head = (await api("GET", "/control/audit/head")) as typeof head;
    expect(list.items[0]!.seq).toBe(head.checkpoint!.seq + 1);
    expect(list.items.length).toBeLessThanOrEqual(5 + 2);
    expect(list.items.some((e) => e.action === "pruneAudit")).toBe(true);
    const verify = await drainctl(server, ["audit", "verify", "--key", hmacKey, "--checkpoint", path]);
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toContain(`verified after seq ${head.checkpoint!.seq}`);
    expect(verify.stdout).toContain("retention pruned past the checkpoint");
    // Without the key the chain still verifies from the stored checkpoint, and says what it could not check.
    const plain = await drainctl(server, ["audit", "verify"]);
    expect(plain.code, plain.stdout).toBe(0);
    expect(plain.stdout).toContain("signed, but no --key was given to check it");
  });
});
