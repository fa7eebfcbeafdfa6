import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseDuration, render, renderTable } from "../src/output.ts";

describe("output", () => {
  it("renders borderless, left-aligned tables without trailing blanks", () => {
    expect(renderTable({ head: ["NAME", "PHASE"], rows: [["n1", "active"], ["node-22", "draining"]] })).toBe("NAME     PHASE\nn1       active\nnode-22  draining\n");
  });

  it("keeps columns aligned across a long table, whichever row holds the widest cell", () => {
    const rows = Array.from({ length: 450 }, (_, i) => [i === 449 ? "a-much-longer-node-name" : `n${i}`, "active"]);
    const lines = renderTable({ head: ["NAME", "PHASE"], rows }).trimEnd().split("\n");
    expect(lines).toHaveLength(451);
    expect(new Set(lines.map((l) => l.indexOf(l.includes("PHASE") ? "PHASE" : "active")))).toEqual(new Set([25]));
  });

  it("prints the resource itself as JSON or YAML", () => {
    const value = { items: [{ id: "n1", labels: { zone: "a" } }], revision: 7 };
    expect(JSON.parse(render("json", value, () => ""))).toEqual(value);
    expect(parse(render("yaml", value, () => ""))).toEqual(value);
  });

  it.each([
    ["500ms", 500],
    ["30", 30_000],
    ["30s", 30_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
  ])("reads the duration %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("refuses a duration it cannot read, as a usage error", () => {
    expect(() => parseDuration("soon")).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
