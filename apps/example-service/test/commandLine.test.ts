import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readCommandLine, USAGE } from "../src/commandLine.ts";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

describe("example-service command line", () => {
  it("answers --help with the usage and exit 0", () => {
    expect(readCommandLine(["--help"])).toEqual({ exit: 0, text: USAGE });
    expect(readCommandLine(["-h"])).toEqual({ exit: 0, text: USAGE });
  });

  it("answers an unknown flag with a usage error, not a stack trace", () => {
    const r = readCommandLine(["--bogus"]);
    expect(r).toMatchObject({ exit: 2 });
    expect((r as { text: string }).text).toContain("--bogus");
  });

  it("runs --help as a real process without crashing", () => {
    const help = spawnSync(process.execPath, [MAIN, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: example-service --id <peer-id>");
    expect(help.stderr).not.toMatch(/\n\s+at /);
    const bad = spawnSync(process.execPath, [MAIN, "--bogus"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
