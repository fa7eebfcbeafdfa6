// Mutations per second through the registry (each writes the peer and its
// audit entry in one transaction) on the SQLite store, at concurrency 1 and
// 64, each beside a raw node:sqlite insert transaction measured in the same
// run on the same kind of file (WAL, synchronous=FULL), and the store's
// transactions on its write thread (the default) against the same store
// committing on the caller's thread (writer: "main").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { figure, median, rate as rateOf } from "@drainkit/bench";
import { systemClock } from "@drainkit/core";
import { createRegistry } from "@drainkit/registry";
import { makePeer, principals } from "@drainkit/registry/testing";
import { makeSqliteStore } from "../src/index.ts";

const ms = Number(process.env.DRAINKIT_BENCH_MS ?? 500);
const dir = mkdtempSync(join(tmpdir(), "drainkit-sqlite-bench-"));

const rate = (fn: (n: number) => Promise<unknown>, concurrency: number): Promise<{ opsPerSec: number; failures: number }> =>
  rateOf(fn, { ms, concurrency });

function rawInsert(path: string): { insert: (n: number) => Promise<void>; close(): void } {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000");
  db.exec("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
  const stmt = db.prepare("INSERT INTO t (k, v) VALUES (?, ?)");
  return {
    insert: async (n) => {
      db.exec("BEGIN IMMEDIATE");
      stmt.run(`k${n}`, JSON.stringify({ n, address: `10.0.0.${n % 250}:8080` }));
      db.exec("COMMIT");
    },
    close: () => db.close(),
  };
}


// The machine is shared, so its disk is not equally busy all the time: the
// three rates are measured in interleaved rounds and each figure takes the
// median, so a ratio compares like with like.
const rounds = 3;
try {
  for (const concurrency of [1, 64]) {
    const raw = rawInsert(join(dir, `raw-${concurrency}.db`));
    const store = makeSqliteStore({ path: join(dir, `store-${concurrency}.db`) });
    // The same store committing on the caller's thread (writer "main"), interleaved: what the write thread changes.
    const inline = makeSqliteStore({ path: join(dir, `inline-${concurrency}.db`), writer: "main" });
    const registry = createRegistry({ store, clock: systemClock() });
    const samples = { raw: [] as number[], txn: [] as number[], inline: [] as number[], mutations: [] as number[] };
    let failures = 0;
    let offset = 0;
    for (let round = 0; round < rounds; round++) {
      samples.raw.push((await rate((n) => raw.insert(offset + n), concurrency)).opsPerSec);
      offset += 1_000_000;
      const base = offset;
      samples.txn.push(
        (await rate((n) => store.txn({ compare: [{ key: `peers/${base + n}`, version: 0 }], ops: [{ type: "put", key: `peers/${base + n}`, value: { n } }] }), concurrency)).opsPerSec,
      );
      samples.inline.push(
        (await rate((n) => inline.txn({ compare: [{ key: `peers/${base + n}`, version: 0 }], ops: [{ type: "put", key: `peers/${base + n}`, value: { n } }] }), concurrency)).opsPerSec,
      );
      const mutations = await rate((n) => {
        const id = `bench-c${concurrency}-r${round}-${n}`;
        return registry.registerPeer(principals.agent(id), makePeer({ id }));
      }, concurrency);
      samples.mutations.push(mutations.opsPerSec);
      failures += mutations.failures;
    }
    const baseline = median(samples.raw);
    figure(`store-sqlite.txn.c${concurrency}`, median(samples.txn), "txn/s", { baseline, baselineName: "raw node:sqlite insert txn" });
    figure(`store-sqlite.txn.write-thread-vs-caller-thread.c${concurrency}`, median(samples.txn), "txn/s", {
      baseline: median(samples.inline),
      baselineName: 'the same txns committed on the caller\'s thread (writer: "main")',
    });
    figure(`store-sqlite.mutations-with-audit.c${concurrency}`, median(samples.mutations), "mutations/s", { baseline, baselineName: "raw node:sqlite insert txn", failures });
    raw.close();
    await store.close();
    await inline.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
