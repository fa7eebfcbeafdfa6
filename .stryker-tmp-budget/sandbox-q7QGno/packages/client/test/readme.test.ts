// @ts-nocheck
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

describe("README", () => {
  it("shows the example that scripts/readme-example.ts runs, and it prints what the README says", () => {
    const script = readFileSync(here("../scripts/readme-example.ts"), "utf8");
    const example = script.slice(script.indexOf("// --- README example starts\n") + 29, script.indexOf("// --- README example ends"));
    expect(readFileSync(here("../README.md"), "utf8")).toContain(example);
    const run = spawnSync(process.execPath, ["--import", "tsx", here("../scripts/readme-example.ts")], { encoding: "utf8", cwd: here("..") });
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("[ 'web-1 active', 'web-2 active' ]\npeer web-1 at revision 3\n");
  });
});
