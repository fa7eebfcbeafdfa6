// Cordon / uncordon round trips over HTTP, on SQLite and on etcd, at
// concurrency 1 and 64, beside Fastify's bare hello-world route measured in
// the same run; then the workload-move drain bench (./workloadMoves.ts) and,
// with DRAINKIT_BENCH_FANOUT=1, the event feed's fan-out (./eventFanout.ts).
// Prints figures; asserts nothing about time.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import Fastify from "fastify";
import { cordonRoundTrips, figure } from "@drainkit/bench";
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

async function roundTrips(store: string, label: string): Promise<void> {
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
}

const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-sqlite-"));
await roundTrips(`sqlite:${join(dir, "drainkit.db")}`, "sqlite");
await rm(dir, { recursive: true, force: true });

let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
try {
  etcd = await startEtcd({ members: 1 });
} catch (e) {
  process.stderr.write(`etcd unavailable, skipping the etcd figures: ${e instanceof Error ? e.message : String(e)}\n`);
}
if (etcd) {
  try {
    await roundTrips(`etcd://${etcd.endpoints.map((u) => u.replace(/^https?:\/\//, "")).join(",")}/bench`, "etcd");
  } finally {
    await etcd.stop();
  }
}

// Draining a peer of 1 000 and 10 000 workloads through the leader's drain scheduler.
await import("./workloadMoves.ts");

// 1,000 SSE watchers on /control/events through a 1,000-peer rolling upgrade: minutes on this machine, so behind a switch.
if (process.env["DRAINKIT_BENCH_FANOUT"] === "1") await import("./eventFanout.ts");
