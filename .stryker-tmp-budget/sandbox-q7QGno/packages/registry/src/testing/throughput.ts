// @ts-nocheck
import { systemClock, SeededRandom } from "@drainkit/core";
import { createRegistry } from "../createRegistry.ts";
import type { RegistryStore } from "../store.ts";
import { makePeer, principals } from "./fixtures.ts";

/** Result of {@link measureThroughput}: operations per second of each kind, measured in one run. */
export interface Throughput {
  /** Audited registry mutations (cordon / uncordon) per second. */
  readonly mutationsPerSec: number;
  /** Raw store CAS transactions of a peer-sized record per second: the baseline. */
  readonly rawTxnPerSec: number;
}

async function rate(concurrency: number, ms: number, fn: (worker: number) => Promise<unknown>): Promise<number> {
  let ops = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() - start < ms) {
        await fn(w);
        ops++;
      }
    }),
  );
  return (ops * 1_000) / (performance.now() - start);
}

/**
 * Measures audited mutations per second on `store` beside the raw store
 * transaction rate, at `concurrency` callers, for benchmarks of any store
 * adapter (print them with `figure()` from the bench package). Never assert on
 * the numbers.
 *
 * @example
 * const t = await measureThroughput(makeMemoryStore(), { concurrency: 64 });
 * figure("registry.memory.c64", t.mutationsPerSec, "ops/s", { baseline: t.rawTxnPerSec });
 */
export async function measureThroughput(store: RegistryStore, options: { readonly concurrency: number; readonly ms?: number }): Promise<Throughput> {
  const ms = options.ms ?? 1_000;
  const { concurrency } = options;
  const registry = createRegistry({ store, clock: systemClock(), random: new SeededRandom(1) });
  const ops = principals.operator;
  for (let w = 0; w < concurrency; w++) await registry.registerPeer(ops, makePeer({ id: `bench-${w}`, pools: ["bench"] }));
  const sample = (await store.get("peers/bench-0"))!.value as Record<string, unknown>;

  const versions = new Array<number>(concurrency).fill(0);
  const raw = (w: number): Promise<unknown> => {
    const key = `raw/${w}`;
    // A fresh record each time, built the way the registry builds one (new top level, unchanged parts shared).
    const value = { ...sample, generation: versions[w]! + 1 };
    return store.txn({ compare: [{ key, version: versions[w]! }], ops: [{ type: "put", key, value }] }).then((r) => {
      if (r.ok) versions[w] = r.revision;
    });
  };
  const cordoned = new Array<boolean>(concurrency).fill(false);
  const mutation = (w: number): Promise<unknown> => {
    const id = `bench-${w}`;
    const flip = cordoned[w] ? registry.uncordon(ops, id) : registry.cordon(ops, id, { reason: "bench" });
    cordoned[w] = !cordoned[w];
    return flip;
  };
  // Interleaved short rounds, so noise from other processes hits both figures alike and the ratio holds.
  const rounds = 5;
  let rawSum = 0;
  let mutationSum = 0;
  for (let r = 0; r < rounds; r++) {
    rawSum += await rate(concurrency, ms / rounds, raw);
    mutationSum += await rate(concurrency, ms / rounds, mutation);
  }
  const rawTxnPerSec = rawSum / rounds;
  const mutationsPerSec = mutationSum / rounds;
  return { mutationsPerSec, rawTxnPerSec };
}
