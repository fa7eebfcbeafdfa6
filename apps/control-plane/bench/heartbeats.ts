// Heartbeats at fleet scale: N simulated agents, each a real
// @drainkit/client, report their status once per interval (spread evenly) to
// one replica in its own process on 127.0.0.1, for a bounded time. Prints
// reports/s, p50/p99 status latency, errors, the server's RSS and the
// database size after warm-up and at the end. Asserts nothing about time.
//
//   DRAINKIT_BENCH_HEARTBEATS="10000@5000,2000@1000"  agents@interval-ms, one run each (default 500@1000)
//   DRAINKIT_BENCH_HEARTBEAT_SECONDS=60                length of each run (default 8)
//   DRAINKIT_BENCH_HEARTBEAT_STORES=sqlite,etcd        stores (default sqlite; etcd is a 3-member cluster)
//   DRAINKIT_BENCH_HEARTBEAT_CONNECTIONS=256           sockets the simulated agents share (default 256)
//   DRAINKIT_BENCH_HEARTBEAT_SAMPLE_S=30               RSS / DB size / heap sampled this often (printed in the figure)
//   DRAINKIT_BENCH_VERBOSE=1                           print each sample on stderr as it is taken
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Agent, fetch as undiciFetch } from "undici";
import { figure, quantile } from "@drainkit/bench";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { startEtcd } from "@drainkit/store-etcd/testing";
import { etcdSizeMb, spawnServer, sqliteSizeMb } from "./spawnServer.ts";

const TOKEN = "bench-admin-token-0123456789abcdef";
const SECONDS = Number(process.env["DRAINKIT_BENCH_HEARTBEAT_SECONDS"] ?? 8);
const CONNECTIONS = Number(process.env["DRAINKIT_BENCH_HEARTBEAT_CONNECTIONS"] ?? 256);
const CONFIGS = (process.env["DRAINKIT_BENCH_HEARTBEATS"] ?? "500@1000").split(",").map((c) => {
  const [agents, interval] = c.split("@").map(Number);
  return { agents: agents!, intervalMs: interval! };
});
const STORES = (process.env["DRAINKIT_BENCH_HEARTBEAT_STORES"] ?? "sqlite").split(",");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a quiet host reports every heartbeat: alive, active, nothing in flight. */
const REPORT = { epoch: 0, roles: { edge: { phase: "active" as const, epoch: 0 } }, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } };

async function run(storeLabel: string, store: string, size: () => Promise<number>, agents: number, intervalMs: number, dir: string): Promise<void> {
  // History is kept for a window of a quarter of the run (5 min in production), so the run reaches its plateau.
  const compactionMs = Math.max(5_000, Math.floor((SECONDS * 1000) / 4));
  const server = await spawnServer({ store, token: TOKEN, dir, compactionMs });
  const pool = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 10_000 });
  const shared = ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: pool })) as unknown as typeof fetch;
  try {
    const clients: ControlPlaneClient[] = Array.from({ length: agents }, () => createControlPlaneClient({ url: server.url, token: TOKEN, fetch: shared }));
    // Registration, 64 at a time.
    let nextId = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = nextId++; i < agents; i = nextId++) {
          await clients[i]!.registerPeer({ id: `hb-${i}`, address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:8080`, pools: [`pool-${i % 20}`], roles: ["edge"] });
        }
      }),
    );
    const latencies: number[] = [];
    let reports = 0;
    let errors = 0;
    let skipped = 0;
    const inFlight = new Uint8Array(agents);
    let firstError: string | undefined;
    const report = (i: number): void => {
      // Like the agent's StatusReporter: one report at a time per host; a heartbeat due during one is folded into it.
      if (inFlight[i] === 1) {
        skipped++;
        return;
      }
      inFlight[i] = 1;
      const t = performance.now();
      clients[i]!.reportStatus(`hb-${i}`, REPORT).then(
        () => {
          latencies.push(performance.now() - t);
          reports++;
          inFlight[i] = 0;
        },
        (e: unknown) => {
          errors++;
          firstError ??= e instanceof Error ? e.message : String(e);
          inFlight[i] = 0;
        },
      );
    };
    // The disk's own figure in the same run: one raw node:sqlite commit (WAL, synchronous=FULL) every 20 ms beside the load.
    const probe = new DatabaseSync(join(dir, "fsync-probe.db"));
    probe.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v TEXT)");
    const put = probe.prepare("INSERT OR REPLACE INTO t (k, v) VALUES (1, ?)");
    const commits: number[] = [];
    const fsyncTimer = setInterval(() => {
      const t = performance.now();
      put.run(String(t));
      commits.push(performance.now() - t);
    }, 20);
    const warmUpMs = Math.min(SECONDS * 250, 30_000);
    const start = performance.now();
    let due = 0;
    let warm: { rss: number; db: number; reports: number; at: number } | undefined;
    const rssStart = await server.rssMb();
    const dbStart = await size();
    // RSS, DB size and the V8 heap used every 30 s (DRAINKIT_BENCH_HEARTBEAT_SAMPLE_S), to tell a leak (steady growth) from warm-up (a plateau).
    const sampleMs = Number(process.env["DRAINKIT_BENCH_HEARTBEAT_SAMPLE_S"] ?? 30) * 1000;
    const samples: { s: number; rssMb: number; dbMb: number; heapUsedMb?: number }[] = [];
    let nextSample = sampleMs;
    // One ticker fires every agent whose slot has come: agent i reports at i/N of each interval.
    while (performance.now() - start < SECONDS * 1000) {
      const elapsed = performance.now() - start;
      const target = Math.floor((elapsed / intervalMs) * agents);
      for (; due < target; due++) report(due % agents);
      if (warm === undefined && elapsed >= warmUpMs) {
        latencies.length = 0;
        commits.length = 0;
        warm = { rss: await server.rssMb(), db: await size(), reports, at: performance.now() };
      }
      if (elapsed >= nextSample) {
        nextSample += sampleMs;
        const heap = server.memory()?.heapUsedMb;
        samples.push({ s: Math.round(elapsed / 1000), rssMb: round(await server.rssMb()), dbMb: round(await size()), ...(heap === undefined ? {} : { heapUsedMb: heap }) });
        if (process.env["DRAINKIT_BENCH_VERBOSE"] === "1") process.stderr.write(`${storeLabel} ${agents}@${intervalMs}: ${JSON.stringify(samples.at(-1))} reports ${reports} errors ${errors}\n`);
      }
      await sleep(5);
    }
    const end = performance.now();
    clearInterval(fsyncTimer);
    probe.close();
    const measured = reports - (warm?.reports ?? 0);
    // Let the last reports land before reading the end figures.
    for (let waited = 0; inFlight.some((f) => f === 1) && waited < 10_000; waited += 50) await sleep(50);
    figure(`control-plane.heartbeats.${storeLabel}.${agents}@${intervalMs}ms`, measured / ((end - (warm?.at ?? start)) / 1000), "reports/s", {
      baseline: (agents * 1000) / intervalMs,
      baselineName: "offered reports/s",
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      errors,
      rawCommitP50Ms: quantile(commits, 0.5),
      rawCommitP99Ms: quantile(commits, 0.99),
      skippedWhileInFlight: skipped,
      ...(firstError === undefined ? {} : { firstError }),
      seconds: SECONDS,
      warmUpSeconds: warmUpMs / 1000,
      rssMb: { start: round(rssStart), afterWarmUp: round(warm?.rss ?? Number.NaN), end: round(await server.rssMb()) },
      dbMb: { start: round(dbStart), afterWarmUp: round(warm?.db ?? Number.NaN), end: round(await size()) },
      samples,
      historyWindowSeconds: compactionMs / 1000,
      sharedSockets: CONNECTIONS,
    });
  } finally {
    await pool.close();
    await server.stop();
  }
}

const round = (n: number): number => Math.round(n * 10) / 10;

for (const storeKind of STORES) {
  for (const { agents, intervalMs } of CONFIGS) {
    const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-heartbeats-"));
    try {
      if (storeKind === "sqlite") {
        const path = join(dir, "drainkit.db");
        await run("sqlite", `sqlite:${path}`, () => sqliteSizeMb(path), agents, intervalMs, dir);
      } else if (storeKind === "etcd") {
        const etcd = await startEtcd({ members: 3 }).catch((e: unknown) => {
          process.stderr.write(`etcd unavailable, skipping the etcd heartbeats: ${e instanceof Error ? e.message : String(e)}\n`);
          return undefined;
        });
        if (etcd === undefined) continue;
        try {
          const url = `etcd://${etcd.endpoints.map((u) => u.replace(/^https?:\/\//, "")).join(",")}/bench`;
          await run("etcd3", url, () => etcdSizeMb(etcd.endpoints[0]!), agents, intervalMs, dir);
        } finally {
          await etcd.stop();
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
