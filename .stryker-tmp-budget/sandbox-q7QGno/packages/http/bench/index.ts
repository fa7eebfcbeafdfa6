// @ts-nocheck
// The control API's own overhead: cordon / uncordon round trips through the
// plugin on the in-memory registry, at concurrency 1 and 64, beside Fastify's
// bare hello-world route measured in the same run. Store-backed figures are
// in apps/control-plane/bench.
import autocannon from "autocannon";
import Fastify from "fastify";
import { cordonRoundTrips, figure } from "@drainkit/bench";
import { startTestControlApi } from "../src/testing/index.ts";

const SECONDS = Number(process.env["DRAINKIT_BENCH_SECONDS"] ?? 3);
const PEERS = 128;

const hello = Fastify();
hello.get("/", async () => ({ hello: "world" }));
await hello.listen({ host: "127.0.0.1", port: 0 });
const helloUrl = `http://127.0.0.1:${(hello.server.address() as { port: number }).port}/`;

const api = await startTestControlApi();
const headers = { ...api.auth("mesh.operate"), "content-type": "application/json" };
for (let i = 0; i < PEERS; i++) {
  await fetch(`${api.url}/control/peers/bench-${i}`, { method: "PUT", headers, body: JSON.stringify({ address: `10.0.0.${i}:80`, pools: ["bench"], roles: ["edge"] }) });
}
for (const connections of [1, 64]) {
  const baseline = (await autocannon({ url: helloUrl, connections, duration: SECONDS })).requests.average;
  const r = await cordonRoundTrips({ url: api.url, auth: api.auth("mesh.operate"), connections, seconds: SECONDS, peers: PEERS });
  figure(`http.cordon-uncordon.memory.c${connections}`, r.requests.average, "req/s", { baseline, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, baselineRoute: "fastify hello-world" });
}
await api.close();
await hello.close();
