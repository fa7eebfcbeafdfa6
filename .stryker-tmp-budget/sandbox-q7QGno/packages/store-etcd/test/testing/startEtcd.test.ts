// @ts-nocheck
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startEtcd } from "../../src/testing/index.ts";

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { health?: string }).health === "true";
  } catch {
    return false;
  }
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe("startEtcd", () => {
  it("starts independent healthy clusters side by side and removes their data on stop", async () => {
    const parent = mkdtempSync(join(tmpdir(), "drainkit-harness-"));
    try {
      const [a, b] = await Promise.all([startEtcd({ dataDir: parent }), startEtcd({ dataDir: parent })]);
      expect(a.endpoints).toHaveLength(1);
      expect(a.endpoints[0]).not.toBe(b.endpoints[0]);
      expect(await healthy(a.endpoints[0]!)).toBe(true);
      expect(await healthy(b.endpoints[0]!)).toBe(true);
      expect(readdirSync(parent)).toHaveLength(2);
      await a.stop();
      await b.stop();
      await a.stop();
      expect(readdirSync(parent)).toEqual([]);
      expect(await healthy(a.endpoints[0]!)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("stops and restarts single members of a 3-member cluster", async () => {
    const etcd = await startEtcd({ members: 3 });
    try {
      expect(new Set(etcd.endpoints).size).toBe(3);
      await etcd.stopMember(2);
      expect(await healthy(etcd.endpoints[2]!)).toBe(false);
      await until(() => healthy(etcd.endpoints[0]!), "the remaining quorum to be healthy");
      await etcd.restartMember(2);
      expect(await healthy(etcd.endpoints[2]!)).toBe(true);
    } finally {
      await etcd.stop();
    }
  });

  it("fails with the install command when etcd is missing", async () => {
    await expect(startEtcd({ runtime: "process", binary: "/nonexistent/etcd" })).rejects.toThrow(/apt-get install -y etcd-server/);
  });

  it("leaves no etcd and no data behind when the process that started it is killed", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/holdEtcd.ts", import.meta.url));
    const parent = mkdtempSync(join(tmpdir(), "drainkit-harness-"));
    const child = spawn(process.execPath, [fixture, parent], { stdio: ["ignore", "pipe", "inherit"] });
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
      child.once("exit", (code) => reject(new Error(`fixture exited early (${code})`)));
    });
    expect(await healthy(endpoint)).toBe(true);
    child.kill("SIGKILL");
    await until(async () => !(await healthy(endpoint)), "the orphaned etcd to go away");
    await until(async () => readdirSync(parent).length === 0, "the orphaned data dir to be removed");
    rmSync(parent, { recursive: true, force: true });
  });
});
