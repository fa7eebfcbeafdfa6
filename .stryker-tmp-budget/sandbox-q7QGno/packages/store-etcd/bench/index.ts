// @ts-nocheck
// Mutations per second through the registry (each writes the peer and its
// audit entry in one etcd txn) on the etcd store, at concurrency 1 and 64,
// each beside a raw etcd txn (the same compare-and-put, through an etcd3
// client to the same cluster) measured in the same run. Starts its own
// single-member etcd through the test harness.
import { figure, median, rate as rateOf } from "@drainkit/bench";
import { systemClock } from "@drainkit/core";
import { createRegistry } from "@drainkit/registry";
import { makePeer, principals } from "@drainkit/registry/testing";
import { Etcd3 } from "etcd3";
import { makeEtcdStore } from "../src/index.ts";
import { startEtcd } from "../src/testing/index.ts";

const ms = Number(process.env.DRAINKIT_BENCH_MS ?? 500);

const rate = (fn: (n: number) => Promise<unknown>, concurrency: number): Promise<{ opsPerSec: number; failures: number }> =>
  rateOf(fn, { ms, concurrency });

const etcd = await startEtcd({ members: 1 });
const raw = new Etcd3({ hosts: etcd.endpoints });
try {
  // Warm the connection and etcd's write path, so the first baseline is not a cold start.
  for (let i = 0; i < 200; i++) await raw.put(`/bench/warm/${i}`).value("x");

  // The machine is shared, so the three rates are measured in interleaved
  // rounds and each figure takes the median: a ratio compares like with like.
  const rounds = 3;
  for (const concurrency of [1, 64]) {
    const store = makeEtcdStore({ hosts: etcd.endpoints, prefix: `/bench/store-c${concurrency}/` });
    const registry = createRegistry({ store, clock: systemClock() });
    const samples = { raw: [] as number[], txn: [] as number[], mutations: [] as number[] };
    let failures = 0;
    for (let round = 0; round < rounds; round++) {
      const tag = `c${concurrency}-r${round}`;
      samples.raw.push(
        (
          await rate(async (n) => {
            const key = Buffer.from(`/bench/raw-${tag}/${n}`);
            await raw.kv.txn({
              compare: [{ key, target: "Create", result: "Equal", create_revision: 0 }],
              success: [{ request_put: { key, value: Buffer.from(JSON.stringify({ n, address: `10.0.0.${n % 250}:8080` })) } }],
            });
          }, concurrency)
        ).opsPerSec,
      );
      samples.txn.push(
        (await rate((n) => store.txn({ compare: [{ key: `peers/${tag}-${n}`, version: 0 }], ops: [{ type: "put", key: `peers/${tag}-${n}`, value: { n } }] }), concurrency)).opsPerSec,
      );
      const mutations = await rate((n) => {
        const id = `bench-${tag}-${n}`;
        return registry.registerPeer(principals.agent(id), makePeer({ id }));
      }, concurrency);
      samples.mutations.push(mutations.opsPerSec);
      failures += mutations.failures;
    }
    const baseline = median(samples.raw);
    figure(`store-etcd.txn.c${concurrency}`, median(samples.txn), "txn/s", { baseline, baselineName: "raw etcd3 txn" });
    figure(`store-etcd.mutations-with-audit.c${concurrency}`, median(samples.mutations), "mutations/s", { baseline, baselineName: "raw etcd3 txn", failures });
    await store.close();
  }
} finally {
  raw.close();
  await etcd.stop();
}
