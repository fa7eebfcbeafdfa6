// @ts-nocheck
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, pageLimit } from "../src/paging.ts";

const fcParams = { ...(process.env["FC_SEED"] ? { seed: Number(process.env["FC_SEED"]) } : {}) };

describe("paging", () => {
  it("property: a cursor decodes to the key it was made from, and is URL-safe", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (key) => {
        const cursor = encodeCursor(key);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toBe(key);
      }),
      fcParams,
    );
  });

  it("no cursor or an empty one starts at the beginning", () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor("")).toBeUndefined();
  });

  it("page limits: 100 by default, capped at 1 000, a whole number >= 1 or a validation error", () => {
    expect(pageLimit(undefined)).toBe(100);
    expect(pageLimit(1)).toBe(1);
    expect(pageLimit(5_000)).toBe(1_000);
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(() => pageLimit(bad)).toThrow(expect.objectContaining({ code: "validation" }));
  });
});
