// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/audit/canonicalJson.ts";
import { EMPTY_HEAD, sealEntry, verifyChain } from "../../src/audit/chain.ts";
import type { AuditEntry } from "../../src/types.ts";

function chainOf(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  let head = EMPTY_HEAD;
  for (let i = 0; i < n; i++) {
    const e = sealEntry(head, { id: `a${i}`, at: i, actor: "ops", scopes: ["mesh.operate"], action: "cordon", target: `peer/p${i}`, outcome: "ok", latencyMs: 1 });
    out.push(e);
    head = { seq: e.seq, hash: e.hash };
  }
  return out;
}

describe("canonicalJson", () => {
  it("is independent of key order at every depth", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const shuffled = JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x)));
        expect(canonicalJson(shuffled)).toBe(canonicalJson(v));
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }), fcParams(),
    );
  });
});

describe("verifyChain", () => {
  it("accepts an untouched chain", () => {
    expect(verifyChain(chainOf(5))).toEqual({ ok: true, entries: 5 });
  });

  it("names exactly the entry whose content was changed, whichever field it is", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), fc.constantFrom("actor", "action", "target", "outcome", "at", "reason"), (n, pick, field) => {
        const chain = chainOf(n);
        const i = pick % n;
        chain[i] = { ...chain[i]!, [field]: field === "at" ? 999 : "forged" } as AuditEntry;
        const r = verifyChain(chain);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.firstBad.seq).toBe(i + 1);
      }), fcParams(),
    );
  });

  it("detects a re-hashed forgery at the next entry, and a truncated tail through the head", () => {
    const chain = chainOf(4);
    const forged = { ...chain[1]!, actor: "mallory" };
    const { hash: _h, ...content } = forged;
    chain[1] = sealEntry({ seq: 1, hash: content.prevHash }, { ...content });
    const r = verifyChain(chain);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.firstBad.seq).toBe(3);
    const intact = chainOf(4);
    const head = { seq: 4, hash: intact[3]!.hash };
    expect(verifyChain(intact.slice(0, 3), head).ok).toBe(false);
  });
});
