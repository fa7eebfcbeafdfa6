// @ts-nocheck
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../../src", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("the checks never ask the code they check", () => {
  it("no simulator source calls core's budget arithmetic (resolveBudget, isAvailable, phaseFor, countPools, admit)", () => {
    // A mutant of resolveBudget once survived every scenario because the pool check called it.
    const banned = new Set(["resolveBudget", "isAvailable", "phaseFor", "countPools", "breachOf", "admit", "decide"]);
    const offenders: string[] = [];
    for (const f of files(src)) {
      for (const m of readFileSync(f, "utf8").matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@drainkit\/core[^"]*"/g)) {
        for (const name of m[1]!.split(",").map((n) => n.replace(/^\s*type\s+/, "").split(/\s+as\s+/)[0]!.trim())) if (banned.has(name)) offenders.push(`${f}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
