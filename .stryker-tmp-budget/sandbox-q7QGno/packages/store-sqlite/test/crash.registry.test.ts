// @ts-nocheck
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "@drainkit/core";
import { createRegistry } from "@drainkit/registry";
import { principals } from "@drainkit/registry/testing";
import { makeSqliteStore } from "../src/index.ts";

const writer = fileURLToPath(new URL("./fixtures/crashRegistry.ts", import.meta.url));
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs the registry writer until it acknowledged `acks` mutations, then SIGKILLs it. */
function registerThenKill(path: string, round: number, acks: number): Promise<{ id: string; auditId: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, path, String(round)], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: { id: string; auditId: string }[] = [];
    let buffered = "";
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^ack (\S+) (\S+)$/.exec(line);
        if (m) acked.push({ id: m[1]!, auditId: m[2]! });
      }
      if (!killed && acked.length >= acks) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(acked);
      else reject(new Error(`registry writer exited on its own (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

describe("kill -9 under the registry", () => {
  it("keeps every acknowledged mutation with its audit entry, and the audit chain verifies", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drainkit-crash-registry-"));
    dirs.push(dir);
    const path = join(dir, "registry.db");
    const acked: { id: string; auditId: string }[] = [];
    for (const [round, acks] of [[1, 60], [2, 120]] as const) {
      acked.push(...(await registerThenKill(path, round, acks)));

      const store = makeSqliteStore({ path });
      try {
        const registry = createRegistry({ store, clock: systemClock() });
        for (const { id, auditId } of acked) {
          expect((await registry.getPeer(principals.reader, id)).peer.id).toBe(id);
          const audit = await registry.queryAudit(principals.reader, { target: `peer/${id}` });
          expect(audit.items.map((e) => e.id), `audit entry of ${id}`).toContain(auditId);
        }
        expect(await registry.verifyAudit()).toMatchObject({ ok: true });
      } finally {
        await store.close();
      }
      const raw = new DatabaseSync(path);
      expect(raw.prepare("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
      raw.close();
    }
  });
});
