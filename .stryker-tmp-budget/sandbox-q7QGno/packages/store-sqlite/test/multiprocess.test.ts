// @ts-nocheck
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Change } from "@drainkit/registry";
import { makeSqliteStore } from "../src/index.ts";

const incrementer = fileURLToPath(new URL("./fixtures/casIncrement.ts", import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(path: string, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [incrementer, path, String(count)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`incrementer failed (${code}): ${stderr}`))));
  });
}

describe("several processes on one file", () => {
  it("migrate a fresh file once, never lose an update, and leave the history in commit order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drainkit-multiprocess-"));
    dirs.push(dir);
    const path = join(dir, "registry.db");
    // Three processes race to create and migrate the same new file, then to increment.
    await Promise.all([run(path, 150), run(path, 150), run(path, 150)]);
    const observer = makeSqliteStore({ path, pollIntervalMs: 10 });
    const seen: Change[] = [];
    const handle = observer.watch("counter", 0, (c) => seen.push(c));
    try {
      expect((await observer.get("counter"))?.value).toBe(450);
      for (let i = 0; i < 400 && seen.length < 450; i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen.map((c) => c.value)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
      expect(seen.map((c) => c.revision)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    } finally {
      handle.close();
      await observer.close();
    }
  });
});
