import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ago, parseDuration, parseOutputSpec, relativeTime, render, renderTable } from "../src/output.ts";
import { expectFits, WIDTHS } from "./widths.ts";

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

  const wideView = {
    head: ["NAME", "PHASE", "REASON", "LABELS"],
    wideOnly: ["LABELS"],
    rows: Array.from({ length: 30 }, (_, i) => [`node-${i}`, "draining", `kernel upgrade ${"and a very long explanation ".repeat(i % 5)}`, `zone=z${i},rack=r${i},team=storage-platform-${i}`]),
  };

  it.each(WIDTHS)("truncates table rows to %i columns, keeping headings whole", (width) => {
    const text = renderTable(wideView, { width });
    expectFits(text, width);
    expect(text.split("\n")[0]).toMatch(/^NAME\s+PHASE\s+REASON$/);
    expect(text).toContain("…");
    expect(text).not.toContain("LABELS");
  });

  it("shows every column whole with -o wide", () => {
    const text = render("wide", {}, () => wideView, 80);
    expect(text.split("\n")[0]).toMatch(/LABELS$/);
    expect(text).not.toContain("…");
    expect(text).toContain("team=storage-platform-29");
  });

  it("prints one id a line with -o name, and fields with -o jsonpath=", () => {
    const value = { items: [{ id: "web-1" }, { peer: "web-2" }] };
    expect(render("name", value, () => "")).toBe("web-1\nweb-2\n");
    expect(render("name", { peer: { id: "web-3" }, drain: {} }, () => "")).toBe("web-3\n");
    expect(render("name", { items: [{ other: {} }] }, () => "")).toBe("");
    expect(render(parseOutputSpec("jsonpath={.items[*].id}"), value, () => "")).toBe("web-1\n");
    expect(() => parseOutputSpec("xml")).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => parseOutputSpec("jsonpath=")).toThrow(/needs a template/);
  });

  it.each(WIDTHS)("wraps a next: hint of a text view within %i columns instead of cutting it", (width) => {
    const hint = "next: drain fewer nodes at once (drainctl peers drain … --sequential), or wait for the other members of web to come back (drainctl peers list --pool web)";
    const out = render("table", {}, () => `unsafe: ${"x".repeat(200)}\n${hint}\n`, width);
    expectFits(out, width);
    expect(out).toContain("drainctl peers list --pool web)");
  });

  it("says 'just now' rather than 'in 0s', and '5s ago' for the past", () => {
    const now = 1_000_000;
    expect(ago(now + 400, now)).toBe("just now");
    expect(ago(now + 3000, now)).toBe("just now");
    expect(ago(now - 5000, now)).toBe("5s ago");
    expect(ago(now - 180_000, now)).toBe("3m ago");
    expect(relativeTime(now + 300, now)).toBe("just now");
    expect(relativeTime(now + 120_000, now)).toBe("in 2m");
  });

  it("renders 10,000 rows with every column aligned and within the width", () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [`node-${i}`, i % 2 ? "active" : "drained", "x".repeat(i % 90)]);
    const text = renderTable({ head: ["NAME", "PHASE", "NOTE"], rows }, { width: 80 });
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(10_001);
    expect(new Set(lines.slice(1).map((l) => l.search(/(active|drained)/)))).toEqual(new Set([11]));
    expectFits(text, 80);
  });
});
