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
  it("keeps the last window of history (by time) on a real SQLite file: a watcher further behind gets history-compacted, one within it reads on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "drainkit-compact-"));
    const store = makeSqliteStore({ path: join(dir, "drainkit.db") });
    const clock = new SimulatedClock({ start: 0 });
    try {
      const write = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) await store.txn({ compare: [], ops: [{ type: "put", key: `peers/p-${i % 10}`, value: { i } }] });
      };
      await write(200);
      const compaction = startStoreCompaction({ store, clock, logger: silentLogger, windowMs: 120_000, intervalMs: 60_000 });
      try {
        // Rounds at 0 s (revision 200), 60 s (300) and 120 s (400): the window is not over yet, nothing goes.
        await clock.advanceAsync(0);
        await until(async () => (await store.revision()) >= 200 && (await watchError(store, 1)) === "ok", "the first round");
        await write(100);
        await clock.advanceAsync(60_000);
        await write(100);
        await clock.advanceAsync(60_000);
        // The round at 120 s compacts what was written before the window: up to revision 200.
        await until(async () => (await watchError(store, 1)) === "history-compacted", "the history before revision 200 to go");
        expect(await watchError(store, 200)).toBe("ok");
        // A watcher within the last two minutes reads on; the next round moves the window to revision 300.
        await clock.advanceAsync(60_000);
        await until(async () => (await watchError(store, 250)) === "history-compacted", "the history before revision 300 to go");
        expect(await watchError(store, 300)).toBe("ok");
      } finally {
        compaction.stop();
      }
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
