import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { describe, expect, it } from "vitest";
import { startStoreCompaction } from "../../src/controllers/storeCompaction.ts";

/** Resolves once `predicate` holds, polling on real time (the store's work is real async work). */
async function until(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const watchError = (store: ReturnType<typeof makeSqliteStore>, from: number): Promise<string> =>
  new Promise((resolve) => {
    const w = store.watch("peers/", from, () => {
      w.close();
      resolve("ok");
    }, (e) => {
      w.close();
      resolve((e as { code?: string }).code ?? e.message);
    });
  });

describe("startStoreCompaction", () => {
  it("keeps the newest window of history on a real SQLite file: a watcher further behind gets history-compacted, one within it reads on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drainkit-compact-"));
    const store = makeSqliteStore({ path: join(dir, "drainkit.db") });
    const clock = new SimulatedClock({ start: 0 });
    try {
      for (let i = 0; i < 300; i++) await store.txn({ compare: [], ops: [{ type: "put", key: `peers/p-${i % 10}`, value: { i } }] });
      const compaction = startStoreCompaction({ store, clock, logger: silentLogger, windowRevisions: 100, intervalMs: 60_000 });
      try {
        await clock.advanceAsync(0);
        await until(async () => (await watchError(store, 1)) === "history-compacted", "the history before revision 200 to go");
        expect(await watchError(store, 250)).toBe("ok");
        // Fewer than a tenth of the window written since: the next round leaves the store alone.
        for (let i = 0; i < 5; i++) await store.txn({ compare: [], ops: [{ type: "put", key: "peers/p-0", value: { i } }] });
        await clock.advanceAsync(60_000);
        expect(await watchError(store, 201)).toBe("ok");
      } finally {
        compaction.stop();
      }
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
