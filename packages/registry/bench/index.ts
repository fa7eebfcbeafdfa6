// Audited registry mutations per second on the memory store, each beside the
// raw store transaction rate measured in the same run. Prints figures only.
import { figure } from "@drainkit/bench";
import { createMemoryStore } from "../src/index.ts";
import { measureThroughput } from "../src/testing/index.ts";

for (const concurrency of [1, 64]) {
  const t = await measureThroughput(createMemoryStore(), { concurrency, ms: 1_000 });
  figure(`registry.memory.mutations_with_audit.c${concurrency}`, t.mutationsPerSec, "ops/s", {
    baseline: t.rawTxnPerSec,
    baselineName: "memory store raw txn",
    store: "memory",
    concurrency,
  });
}
