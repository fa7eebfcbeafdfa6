import { createHash, createHmac, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseCheckpoint, type Checkpoint } from "../../src/audit/checkpoint.ts";
import { verifyEvidence } from "../../src/audit/evidence.ts";
import { canonicalJson, GENESIS_HASH } from "../../src/audit/verifyChain.ts";

type Entry = Record<string, unknown> & { seq: number; hash: string };

function chain(n: number, from = { seq: 0, hash: GENESIS_HASH }): Entry[] {
  const out: Entry[] = [];
  let prevHash = from.hash;
  for (let seq = from.seq + 1; seq <= from.seq + n; seq++) {
    const content = { seq, id: `a${seq}`, at: 1_700_000_000_000 + seq, actor: "admin", action: "cordon", target: `peer/n${seq}`, outcome: "ok", latencyMs: 1, scopes: ["mesh.admin"], prevHash };
    const hash = createHash("sha256").update(canonicalJson(content)).digest("hex");
    out.push({ ...content, hash });
    prevHash = hash;
  }
  return out;
}

const SECRET = "s".repeat(40);
const line = (cp: { seq: number; hash: string; at: number; signedAt: number }): string => `drainkit-audit-checkpoint/v1 seq=${cp.seq} hash=${cp.hash} at=${cp.at} signedAt=${cp.signedAt}`;
const hmacCheckpoint = (e: Entry): Checkpoint => {
  const cp = { seq: e.seq, hash: e.hash, at: e["at"] as number, signedAt: 1 };
  return { ...cp, alg: "hmac-sha256", keyId: "k", signature: createHmac("sha256", SECRET).update(line(cp)).digest("base64") };
};
const headOf = (entries: Entry[]) => ({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash, at: 0 });

describe("verifyEvidence", () => {
  it("accepts an intact chain that ends at the head, and a valid checkpoint inside it", () => {
    const c = chain(6);
    expect(verifyEvidence(c, headOf(c), { checkpoint: hmacCheckpoint(c[3]!), key: SECRET })).toMatchObject({ ok: true, entries: 6, checkpoint: { seq: 4, signature: "valid" } });
  });

  it("catches an entry deleted from the end while the head still names it", () => {
    const c = chain(6);
    expect(verifyEvidence(c.slice(0, 5), headOf(c))).toMatchObject({ ok: false, firstBad: { seq: 6, reason: expect.stringContaining("the head names seq 6 but the chain ends at seq 5") } });
  });

  it("catches a truncation with the head rewritten, and a rewrite with recomputed hashes, given a checkpoint", () => {
    const c = chain(6);
    const cp = hmacCheckpoint(c[5]!);
    const cut = c.slice(0, 4);
    expect(verifyEvidence(cut, headOf(cut))).toMatchObject({ ok: true });
    expect(verifyEvidence(cut, headOf(cut), { checkpoint: cp, key: SECRET })).toMatchObject({ ok: false, firstBad: { reason: expect.stringContaining("entries were cut from the end") } });
    // Same shape, other content: every entry re-attributed and re-hashed, head included.
    const forged = chain(6);
    let prevHash = GENESIS_HASH;
    for (const e of forged) {
      const { hash: _h, ...content } = { ...e, actor: "mallory", prevHash };
      e["actor"] = "mallory";
      e["prevHash"] = prevHash;
      e.hash = createHash("sha256").update(canonicalJson(content)).digest("hex");
      prevHash = e.hash;
    }
    expect(verifyEvidence(forged, headOf(forged))).toMatchObject({ ok: true });
    expect(verifyEvidence(forged, headOf(forged), { checkpoint: cp, key: SECRET })).toMatchObject({ ok: false, firstBad: { seq: 6, reason: expect.stringContaining("rewritten since the checkpoint") } });
  });

  it("refuses a signed checkpoint without a key, with a wrong key, or edited; notes an unsigned one", () => {
    const c = chain(3);
    const cp = hmacCheckpoint(c[2]!);
    expect(verifyEvidence(c, headOf(c), { checkpoint: cp })).toMatchObject({ ok: false, firstBad: { reason: expect.stringContaining("pass --key") } });
    expect(verifyEvidence(c, headOf(c), { checkpoint: cp, key: "t".repeat(40) })).toMatchObject({ ok: false, firstBad: { reason: expect.stringContaining("HMAC does not match") } });
    expect(verifyEvidence(c, headOf(c), { checkpoint: { ...cp, signedAt: 2 }, key: SECRET })).toMatchObject({ ok: false });
    const { alg: _a, signature: _s, keyId: _k, ...unsigned } = cp;
    const v = verifyEvidence(c, headOf(c), { checkpoint: unsigned });
    expect(v).toMatchObject({ ok: true, checkpoint: { signature: "unsigned" } });
    expect(v.notes.join(" ")).toContain("unsigned");
  });

  it("verifies from the stored checkpoint of a pruned prefix, and links an older checkpoint through it only when its Ed25519 signature verifies", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const full = chain(10);
    const pruned = { seq: 6, hash: full[5]!.hash, at: full[5]!["at"] as number, signedAt: 5 };
    const stored: Checkpoint = { ...pruned, alg: "ed25519", keyId: "k", signature: sign(null, Buffer.from(line(pruned)), privateKey).toString("base64") };
    const rest = full.slice(6);
    const head = { ...headOf(full), checkpoint: stored };
    const pub = publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(verifyEvidence(rest, head, { key: pub })).toMatchObject({ ok: true, entries: 4, from: 6 });
    const older: Checkpoint = { seq: 3, hash: full[2]!.hash, at: 0, signedAt: 1 };
    expect(verifyEvidence(rest, head, { checkpoint: older, key: pub })).toMatchObject({ ok: true });
    expect(verifyEvidence(rest, head, { checkpoint: older })).toMatchObject({ ok: false, firstBad: { reason: expect.stringContaining("retention pruned past the checkpoint") } });
    // A stored checkpoint that does not match the key is named, not trusted.
    expect(verifyEvidence(rest, { ...head, checkpoint: { ...stored, hash: full[4]!.hash } }, { key: pub })).toMatchObject({ ok: false });
  });

  it("reads checkpoint files and names what is wrong with them", () => {
    expect(() => parseCheckpoint("nope")).toThrow(/not JSON/);
    expect(() => parseCheckpoint('{"seq":1,"hash":"x","at":0,"signedAt":0}')).toThrow(/64 hex digits/);
    expect(parseCheckpoint(JSON.stringify({ seq: 1, hash: "a".repeat(64), at: 0, signedAt: 0 }))).toMatchObject({ seq: 1 });
  });
});
