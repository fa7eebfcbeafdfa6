import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const drainkit = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, DRAINKIT_URL: "", DRAINKIT_TOKEN: "" }, timeout: 60_000 });

describe("drainkit route (the routing package's front door, offered by the control plane's binary)", () => {
  it("prints its help and exits 0", () => {
    const r = drainkit("route", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: drainkit route --control-plane <url> --role <role>");
    expect(r.stdout).toContain("--haproxy-socket");
  });

  it("names what is missing and exits 2", () => {
    const r = drainkit("route", "--control-plane", "http://127.0.0.1:7400", "--token", "t");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--role <role> is required");
  });
});
