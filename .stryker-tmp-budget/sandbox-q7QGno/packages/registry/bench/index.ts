// @ts-nocheck
// Audited registry mutations per second on the memory store, each beside the
// raw store transaction rate measured in the same run; and a target query on
// a 20k-entry audit log, from the target index against a scan of the whole
// log (the way every query worked before the index). Prints figures only.
import { figure } from "@drainkit/bench";
import { systemClock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type Registry, type RegistryStore } from "../src/index.ts";
import { measureThroughput, principals } from "../src/testing/index.ts";

for (const concurrency of [1, 64]) {
  const t = await measureThroughput(makeMemoryStore(), { concurrency, ms: 1_000 });
  figure(`registry.memory.mutations_with_audit.c${concurrency}`, t.mutationsPerSec, "ops/s", {
    baseline: t.rawTxnPerSec,
    baselineName: "memory store raw txn",
    store: "memory",
    concurrency,
  });
}

/** Target queries per second, each reading one target's whole history (100 entries of 20 000). */
async function queriesPerSec(registry: Registry, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    const page = await registry.queryAudit(principals.reader, { target: `peer/p-${n % 200}`, limit: 100 });
    if (page.items.length === 0) throw new Error("the bench log has no entries for the target");
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

const store: RegistryStore = makeMemoryStore();
const writer = createRegistry({ store, clock: systemClock() });
const ids = Array.from({ length: 200 }, (_, i) => `p-${i}`);
await Promise.all(ids.map((id) => writer.registerPeer(principals.operator, { id, address: `${id}:80`, pools: ["web"], roles: ["edge"] })));
for (let round = 0; round < 99; round++) {
  await Promise.all(ids.map((id) => (round % 2 === 0 ? writer.cordon(principals.operator, id, { reason: "bench" }) : writer.uncordon(principals.operator, id))));
}
const entries = (await writer.verifyAudit()).entries;
const indexed = await queriesPerSec(createRegistry({ store, clock: systemClock() }), 1_000);
// The same log without the index: the registry falls back to scanning it, as before.
const indexKeys = (await store.list("audit-by-target/")).items.map((i) => i.key);
await store.txn({ compare: [], ops: [...indexKeys, "audit-index"].map((key) => ({ type: "delete" as const, key })) });
const scanned = await queriesPerSec(createRegistry({ store, clock: systemClock() }), 1_000);
figure("registry.memory.audit_target_query", indexed, "queries/s", {
  baseline: scanned,
  baselineName: "same query scanning the whole log (no target index)",
  store: "memory",
  entries,
});
