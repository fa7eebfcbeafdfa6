// @ts-nocheck
import { describe, expect, it } from "vitest";
import { hasScope, type Scope } from "../src/index.ts";

describe("hasScope", () => {
  it("lets broader scopes imply narrower ones, and nothing else", () => {
    const table: [Scope, Scope[]][] = [
      ["mesh.admin", ["mesh.admin", "mesh.operate", "mesh.read"]],
      ["mesh.operate", ["mesh.operate", "mesh.read"]],
      ["mesh.agent", ["mesh.agent", "mesh.read"]],
      ["mesh.read", ["mesh.read"]],
    ];
    const all: Scope[] = ["mesh.read", "mesh.agent", "mesh.operate", "mesh.admin"];
    for (const [held, implied] of table) {
      for (const s of all) expect(hasScope({ id: "p", scopes: [held] }, s), `${held} → ${s}`).toBe(implied.includes(s));
    }
    expect(hasScope({ id: "p", scopes: [] }, "mesh.read")).toBe(false);
  });
});
