import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, GENESIS_HASH, verifyChain } from "../../src/audit/verifyChain.ts";

type Entry = Record<string, unknown> & { seq: number; hash: string };

function chain(n: number): Entry[] {
  const out: Entry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const content = { seq, id: `a${seq}`, at: 1_700_000_000_000 + seq, actor: "admin", action: "cordon", target: `peer/n${seq}`, outcome: "ok", latencyMs: 1, scopes: ["mesh.admin"], prevHash };
    const hash = createHash("sha256").update(canonicalJson(content)).digest("hex");
    out.push({ ...content, hash });
    prevHash = hash;
  }
  return out;
}

describe("audit chain verification", () => {
  it("accepts an intact chain", () => {
    expect(verifyChain(chain(5))).toEqual({ ok: true, entries: 5 });
  });

  it("hashes keys in sorted order at every depth, whatever order the store returned", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: undefined } })).toBe('{"a":{"d":[1,{"e":3,"f":2}]},"b":1}');
  });

  it("names the first edited entry", () => {
    const c = chain(5);
    c[2] = { ...c[2]!, reason: "edited" };
    expect(verifyChain(c)).toMatchObject({ ok: false, entries: 2, firstBad: { seq: 3, id: "a3", reason: expect.stringContaining("was changed") } });
  });

  it("names a removed entry", () => {
    const c = chain(5);
    c.splice(1, 1);
    expect(verifyChain(c)).toMatchObject({ ok: false, firstBad: { seq: 3, reason: expect.stringContaining("expected seq 2") } });
  });

  it("names an entry whose predecessor was swapped for a re-hashed forgery", () => {
    const c = chain(3);
    const forged = { ...c[0]!, actor: "mallory" };
    const { hash: _old, ...content } = forged;
    c[0] = { ...content, hash: createHash("sha256").update(canonicalJson(content)).digest("hex") } as Entry;
    expect(verifyChain(c)).toMatchObject({ ok: false, firstBad: { seq: 2, reason: expect.stringContaining("prevHash") } });
  });
});
