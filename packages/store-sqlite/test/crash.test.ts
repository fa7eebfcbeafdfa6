import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { makeSqliteStore } from "../src/index.ts";

const writerScript = fileURLToPath(new URL("./fixtures/crashWriter.ts", import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the writer until it acknowledged `acks` commits, then SIGKILLs it; returns every acknowledged n. */
function writeThenKill(path: string, acks: number, concurrency: number, writer: "worker" | "main"): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writerScript, path, String(concurrency), writer], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: number[] = [];
    let buffered = "";
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      // Only complete lines count: a torn last line is not an acknowledgement.
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^ack (\d+)$/.exec(line);
        if (m) acked.push(Number(m[1]));
      }
      if (!killed && acked.length >= acks) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`writer exited on its own (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

describe("kill -9", () => {
  it("keeps every acknowledged mutation and its audit entry, and nothing half-written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drainkit-crash-"));
    dirs.push(dir);
    const path = join(dir, "registry.db");
    // Several rounds so the kill lands at different points of the write path:
    // on the write thread one caller at a time and 16 at once (several
    // transactions per COMMIT), and on the caller's thread (writer "main").
    for (const [acks, concurrency, writer] of [[150, 1, "worker"], [400, 16, "worker"], [250, 16, "worker"], [200, 1, "main"]] as const) {
      const acked = await writeThenKill(path, acks, concurrency, writer);
      expect(acked.length).toBeGreaterThanOrEqual(acks);
      const store = makeSqliteStore({ path });
      const peers = (await store.list("peers/")).items;
      const audit = (await store.list("audit/")).items;
      await store.close();

      const peerNs = new Set(peers.map((p) => (p.value as { n: number }).n));
      const auditNs = new Set(audit.map((a) => (a.value as { n: number }).n));
      for (const n of acked) {
        expect(peerNs.has(n), `acknowledged mutation ${n} is missing`).toBe(true);
        expect(auditNs.has(n), `audit entry of acknowledged mutation ${n} is missing`).toBe(true);
      }
      // Atomicity: a mutation and its audit entry are written together or not at all.
      expect([...peerNs].sort((a, b) => a - b)).toEqual([...auditNs].sort((a, b) => a - b));

      const raw = new DatabaseSync(path);
      expect(raw.prepare("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      raw.close();

      // The next round continues from a clean slate of keys.
      const reset = makeSqliteStore({ path });
      const all = (await reset.list("")).items;
      await reset.txn({ compare: [], ops: all.map((i) => ({ type: "delete" as const, key: i.key })) });
      await reset.close();
    }
  });
});
