// Cordon / uncordon round trips over HTTP, on SQLite and on etcd, at
// concurrency 1 and 64, beside Fastify's bare hello-world route measured in
// the same run, and against the issue-19 targets: the same registry
// in-process on a SQLite store, raw store transactions, etcd. Then the
// workload-move drain bench (./workloadMoves.ts), heartbeats of a simulated
// fleet (./heartbeats.ts), drain reaction through a real agent
// (./drainReaction.ts) and a rolling upgrade of real agents
// (./rollingUpgrade.ts: 100 hosts; DRAINKIT_BENCH_ROLLING=1000 for the
// issue's figure), each short by default (see their env switches;
// DRAINKIT_BENCH_FLEET=0 skips the last three) and, with
// DRAINKIT_BENCH_FANOUT=1, the event feed's fan-out (./eventFanout.ts).
// Prints figures; asserts nothing about time.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Fastify from "fastify";
import { cordonRoundTrips, figure } from "@drainkit/bench";
import { measureThroughput } from "@drainkit/registry/testing";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { startEtcd } from "@drainkit/store-etcd/testing";
import { startControlPlane } from "../src/controlPlane.ts";

const TOKEN = "bench-admin-token-0123456789abcdef";
const SECONDS = Number(process.env["DRAINKIT_BENCH_SECONDS"] ?? 3);
const PEERS = 128;

async function hello(connections: number): Promise<number> {
  const app = Fastify();
  app.get("/", async () => ({ hello: "world" }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: SECONDS });
  await app.close();
  return r.requests.average;
}

/** Requests per second at 1 and 64 connections. */
async function roundTrips(store: string, label: string): Promise<Record<number, number>> {
  const rates: Record<number, number> = {};
  const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-"));
  const silent = new (await import("node:stream")).Writable({ write: (_c, _e, cb) => cb() });
  const cp = await startControlPlane({ store, listen: "127.0.0.1:0", adminToken: TOKEN, tokenFile: join(dir, "tokens.json"), logLevel: "warn", logDestination: silent });
  const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  for (let i = 0; i < PEERS; i++) {
    await fetch(`${cp.url}/control/peers/bench-${i}`, { method: "PUT", headers, body: JSON.stringify({ address: `10.0.0.${i}:80`, pools: ["bench"], roles: ["edge"] }) });
  }
  for (const connections of [1, 64]) {
    const baseline = await hello(connections);
    // Each connection cordons and uncordons its own peer: the write path, not contention on one key.
    const r = await cordonRoundTrips({ url: cp.url, auth: { authorization: `Bearer ${TOKEN}` }, connections, seconds: SECONDS, peers: PEERS });
    rates[connections] = r.requests.average;
    figure(`control-plane.cordon-uncordon.${label}.c${connections}`, r.requests.average, "req/s", {
      baseline,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
      baselineRoute: "fastify hello-world",
    });
  }
  await cp.shutdown("bench done");
  await rm(dir, { recursive: true, force: true });
  return rates;
}

const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-sqlite-"));
const sqlite = await roundTrips(`sqlite:${join(dir, "drainkit.db")}`, "sqlite");
// The same registry in-process on a SQLite store of the same disk (group commit at 64 callers), and raw store transactions at 1.
// The server's store commits on its write thread (the default); `writer: "main"` is node:sqlite on the caller's thread.
const inProcess = async (concurrency: number, writer?: "main"): Promise<{ mutationsPerSec: number; rawTxnPerSec: number }> => {
  const store = makeSqliteStore({ path: join(dir, `in-process-c${concurrency}${writer ?? ""}.db`), ...(writer === undefined ? {} : { writer }) });
  try {
    return await measureThroughput(store, { concurrency, ms: SECONDS * 1000 });
  } finally {
    await store.close();
  }
};
const c64 = await inProcess(64);
const c1 = await inProcess(1);
const c1Inline = await inProcess(1, "main");
await rm(dir, { recursive: true, force: true });
figure("control-plane.cordon-uncordon.sqlite.c64-vs-in-process", sqlite[64]!, "req/s", {
  baseline: c64.mutationsPerSec,
  baselineName: "the registry in-process on SQLite, 64 callers",
  target: "ratio >= 0.5",
});
figure("control-plane.cordon-uncordon.sqlite.c1-vs-raw", sqlite[1]!, "req/s", {
  baseline: c1.rawTxnPerSec,
  baselineName: "raw SQLite store transactions (node:sqlite, synchronous=FULL, on the write thread like the server's), 1 caller",
  target: "ratio >= 0.6",
});
figure("control-plane.cordon-uncordon.sqlite.c1-vs-raw-inline", sqlite[1]!, "req/s", {
  baseline: c1Inline.rawTxnPerSec,
  baselineName: "raw SQLite store transactions (node:sqlite, synchronous=FULL, on the caller's thread: writer \"main\"), 1 caller",
  target: "ratio >= 0.6",
});

let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
try {
  etcd = await startEtcd({ members: 1 });
} catch (e) {
  process.stderr.write(`etcd unavailable, skipping the etcd figures: ${e instanceof Error ? e.message : String(e)}\n`);
}
if (etcd) {
  try {
    const etcdRates = await roundTrips(`etcd://${etcd.endpoints.map((u) => u.replace(/^https?:\/\//, "")).join(",")}/bench`, "etcd");
    figure("control-plane.cordon-uncordon.sqlite-vs-etcd.c64", sqlite[64]!, "req/s", { baseline: etcdRates[64]!, baselineName: "the same route on single-member etcd, 64 connections", target: "ratio >= 1" });
  } finally {
    await etcd.stop();
  }
}

// Draining a peer of 1 000 and 10 000 workloads through the leader's drain scheduler (DRAINKIT_BENCH_MOVES=0 skips it).
if (process.env["DRAINKIT_BENCH_MOVES"] !== "0") await import("./workloadMoves.ts");

if (process.env["DRAINKIT_BENCH_FLEET"] !== "0") {
  await import("./heartbeats.ts");
  await import("./drainReaction.ts");
  await import("./rollingUpgrade.ts");
}

// 1,000 SSE watchers on /control/events through a 1,000-peer rolling upgrade: minutes on this machine, so behind a switch.
if (process.env["DRAINKIT_BENCH_FANOUT"] === "1") await import("./eventFanout.ts");
