// @ts-nocheck
import { describe, expect, it } from "vitest";
import { checkIfMatch, isId, validatePlacement, validateStrings } from "../src/validate.ts";

describe("validate", () => {
  it("ids: 1-253 characters of letters, digits and . _ : @ -, starting with a letter or digit", () => {
    for (const ok of ["a", "web-1", "10.0.0.1:8080", "svc@zone_a", "x".repeat(253)]) expect(isId(ok)).toBe(true);
    for (const bad of ["", "-a", ".a", "a b", "a/b", "x".repeat(254)]) expect(isId(bad)).toBe(false);
  });

  it("lists of strings lose their duplicates and refuse empty entries", () => {
    expect(validateStrings("roles", ["edge", "edge", "ingest"])).toEqual(["edge", "ingest"]);
    expect(() => validateStrings("roles", ["edge", ""])).toThrow(expect.objectContaining({ code: "validation" }));
    expect(() => validateStrings("roles", "edge")).toThrow(expect.objectContaining({ code: "validation" }));
  });

  it("If-Match takes the ETag quoted, unquoted or weak, and * always", () => {
    for (const ifMatch of ['"3"', "3", 'W/"3"', "*"]) expect(() => checkIfMatch("peer/a", { ifMatch }, 3)).not.toThrow();
    expect(() => checkIfMatch("peer/a", {}, 3)).not.toThrow();
    expect(() => checkIfMatch("peer/a", { ifMatch: '"2"' }, 3)).toThrow(expect.objectContaining({ code: "etag-mismatch" }));
  });

  it("placement: each entry { id, owner? }, ids unique, never its own owner; the error names the entry", () => {
    expect(validatePlacement([{ id: "w1" }, { id: "w1.r", owner: "w1" }])).toEqual([{ id: "w1" }, { id: "w1.r", owner: "w1" }]);
    expect(() => validatePlacement([{ id: "w1" }, { id: "w1" }])).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: "placement[1].id" }) }));
    expect(() => validatePlacement([{ id: "w1", owner: "w1" }])).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: "placement[0].owner" }) }));
  });
});
