// Storage figures: N simulated peers report their status at the agent's
// default heartbeat (5 s) against a real SQLite file (and, with --etcd, a
// real etcd), through the registry the control plane runs, with the leader's
// store compaction and idempotency sweep running. The file's size and row
// counts are sampled as it runs; the growth over the second half of the run
// is extrapolated to MB per 1,000 peers per day. Prints figures; asserts
// nothing about time.
//
//   node apps/control-plane/bench/storage.ts [--peers 1000] [--seconds 540] [--heartbeat-ms 5000] [--stores sqlite,etcd]
import { mkdtemp, rm, stat } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { silentLogger, systemClock, type Clock } from "@drainkit/core";
import { figure } from "@drainkit/bench";
import { createRegistry, type Principal, type Registry, type RegistryStore } from "@drainkit/registry";
import { makeEtcdStore } from "@drainkit/store-etcd";
import { startEtcd } from "@drainkit/store-etcd/testing";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { startIdempotencySweep } from "../src/controllers/idempotencySweep.ts";
import { startStoreCompaction, type CompactableStore } from "../src/controllers/storeCompaction.ts";

const { values } = parseArgs({
  options: {
    peers: { type: "string", default: "1000" },
    seconds: { type: "string", default: "540" },
    "heartbeat-ms": { type: "string", default: "5000" },
    stores: { type: "string", default: "sqlite,etcd" },
  },
});
const PEERS = Number(values.peers);
const SECONDS = Number(values.seconds);
const HEARTBEAT_MS = Number(values["heartbeat-ms"]);
const STORES = new Set(values.stores.split(","));
const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };
const clock: Clock = systemClock();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Sample {
  readonly at: number;
  readonly bytes: number;
  readonly reports: number;
  readonly rows?: Record<string, number>;
}

/** Registers the peers, then reports for each every heartbeat (spread evenly) until `seconds` are up, sampling `size` every 10 s. */
async function run(label: string, registry: Registry, store: RegistryStore & CompactableStore, size: () => Promise<Sample["bytes"]>, rows?: () => Record<string, number>): Promise<void> {
  for (let i = 0; i < PEERS; i++) {
    await registry.registerPeer(OPS, { id: `peer-${i}`, address: `10.0.${i >> 8}.${i & 255}:8080`, pools: [`pool-${i % 10}`], roles: ["edge"], labels: { zone: `z${i % 3}` } });
  }
  const compaction = startStoreCompaction({ store, clock, logger: silentLogger });
  const sweep = startIdempotencySweep({ registry, clock, principal: LEADER, logger: silentLogger });
  const samples: Sample[] = [];
  let reports = 0;
  let failures = 0;
  const start = performance.now();
  const tickMs = 100;
  let next = 0;
  let nextSample = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (performance.now() - start < SECONDS * 1000) {
    // Exactly one report per peer per heartbeat on average, however late a tick runs.
    const due = Math.floor(((performance.now() - start) * PEERS) / HEARTBEAT_MS);
    for (; next < due; ) {
      const id = `peer-${next++ % PEERS}`;
      const agent: Principal = { id, scopes: ["mesh.agent"] };
      const p = registry
        .reportStatus(agent, id, { roles: {}, epoch: 0, inFlight: { http: next % 7 }, workloads: { owners: 2, children: 3 } })
        .then(() => reports++, () => failures++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    const elapsed = performance.now() - start;
    if (elapsed >= nextSample) {
      samples.push({ at: elapsed / 1000, bytes: await size(), reports, ...(rows ? { rows: rows() } : {}) });
      process.stderr.write(`${label} ${Math.round(elapsed / 1000)}s: ${(samples.at(-1)!.bytes / 1e6).toFixed(2)} MB, ${reports} reports (${failures} failed)${rows ? ` ${JSON.stringify(samples.at(-1)!.rows)}` : ""}\n`);
      nextSample += 10_000;
    }
    await sleep(Math.max(0, tickMs - ((performance.now() - start) % tickMs)));
  }
  await Promise.allSettled([...inFlight]);
  compaction.stop();
  sweep.stop();
  const last = samples.at(-1)!;
  const mid = samples[Math.floor(samples.length / 2)]!;
  // Compaction makes the size a sawtooth: compare the peaks of the last two 2-minute spans of the run.
  const peak = (xs: Sample[]): number => Math.max(...xs.map((x) => x.bytes));
  // Two windows of two compaction rounds each at the end of the run, once the history is full.
  const span = (from: number, to: number): Sample[] => samples.filter((x) => x.at >= from && x.at < to);
  const [third, fourth] = [span(SECONDS - 240, SECONDS - 120), span(SECONDS - 120, SECONDS + 1)];
  const slope = third.length > 0 && fourth.length > 0 ? (peak(fourth) - peak(third)) / 120 : (last.bytes - mid.bytes) / Math.max(1, last.at - mid.at);
  const scale = 1000 / PEERS;
  const rate = (last.reports - mid.reports) / Math.max(1, last.at - mid.at);
  figure(`control-plane.storage.${label}.size`, (last.bytes / 1e6) * scale, "MB per 1000 peers", { peers: PEERS, heartbeatMs: HEARTBEAT_MS, seconds: SECONDS, reportsPerSec: Math.round(rate), failures, ...(last.rows ? { rows: last.rows } : {}) });
  figure(`control-plane.storage.${label}.growth`, ((slope * 86_400) / 1e6) * scale, "MB per 1000 peers per day", { peakBefore: third.length > 0 ? peak(third) : mid.bytes, peakLast: fourth.length > 0 ? peak(fourth) : last.bytes, spans: "the last two 120 s spans" });
}

const dir = await mkdtemp(join(tmpdir(), "drainkit-storage-"));
try {
  const path = join(dir, "drainkit.db");
  if (STORES.has("sqlite")) {
  const store = makeSqliteStore({ path });
  const registry = createRegistry({ store, clock });
  const fileSize = async (): Promise<number> => {
    let total = 0;
    for (const f of [path, `${path}-wal`]) total += await stat(f).then((s) => s.size, () => 0);
    return total;
  };
  const reader = new DatabaseSync(path, { readOnly: true });
  const rows = (): Record<string, number> => {
    const count = (sql: string): number => Number((reader.prepare(sql).get() as { n: number }).n);
    return {
      kv: count("SELECT count(*) AS n FROM kv"),
      changes: count("SELECT count(*) AS n FROM changes"),
      audit: count("SELECT count(*) AS n FROM kv WHERE key LIKE 'audit/%'"),
      idem: count("SELECT count(*) AS n FROM kv WHERE key LIKE 'idem/%'"),
    };
  };
  await run("sqlite", registry, store, fileSize, rows);
  reader.close();
  await store.close();
  }

  if (STORES.has("etcd")) {
    const etcd = await startEtcd();
    try {
      const etcdStore = makeEtcdStore({ hosts: etcd.endpoints, prefix: "/storage/" });
      // etcd reports its backend in use (history included, free pages not) in the member's status, over its JSON gateway.
      const dbSize = async (): Promise<number> => {
        const res = await fetch(`${etcd.endpoints[0]}/v3/maintenance/status`, { method: "POST", body: "{}" });
        return Number(((await res.json()) as { dbSizeInUse?: string }).dbSizeInUse ?? 0);
      };
      await run("etcd", createRegistry({ store: etcdStore, clock }), etcdStore, dbSize);
      await etcdStore.close();
    } finally {
      await etcd.stop();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
