// @ts-nocheck
// Unary Cordon round trips over gRPC at concurrency 64, beside a bare grpc-js
// echo service and the registry called in-process, all in the same run.
// Prints figures only; never asserts on time.
import * as grpc from "@grpc/grpc-js";
import { figure, opsPerSecondAsync, quantile } from "@drainkit/bench";
import { createEchoClient, echoServiceDefinition, startTestControlServer, testPrincipals } from "../src/testing/index.ts";

const concurrency = 64;
const ms = 2_000;

const api = await startTestControlServer();
const ops = api.client("mesh.operate");
for (let i = 0; i < concurrency; i++) await ops.registerPeer({ id: `web-${i}`, address: `web-${i}:80`, pools: ["web"], roles: ["edge"] });

const echoServer = new grpc.Server();
echoServer.addService(echoServiceDefinition(), {
  Say: (call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, cb: grpc.sendUnaryData<{ text: string }>) => cb(null, { text: call.request.text }),
});
const echoPort = await new Promise<number>((resolve, reject) => echoServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
const echo = createEchoClient(`127.0.0.1:${echoPort}`);

let next = 0;
const peer = (): string => `web-${next++ % concurrency}`;

// Warm both channels before measuring.
await Promise.all(Array.from({ length: concurrency }, () => Promise.all([echo.say("warm"), ops.cordon(peer(), { reason: "warm" })])));

const bare = await opsPerSecondAsync(() => echo.say("ping"), { ms, concurrency });
const cordon = await opsPerSecondAsync(() => ops.cordon(peer(), { reason: "bench" }), { ms, concurrency });
const direct = await opsPerSecondAsync(() => api.registry.cordon(testPrincipals["mesh.operate"], peer(), { reason: "bench" }), { ms, concurrency });

figure("grpc.echo.unary.c64", bare.opsPerSec, "ops/s", { concurrency, p99Ms: quantile(bare.latenciesMs, 0.99) });
figure("grpc.control.cordon.c64", cordon.opsPerSec, "ops/s", {
  baseline: bare.opsPerSec,
  baselineName: "bare grpc-js echo, same run",
  concurrency,
  p50Ms: quantile(cordon.latenciesMs, 0.5),
  p99Ms: quantile(cordon.latenciesMs, 0.99),
});
figure("grpc.control.cordon_vs_registry.c64", cordon.opsPerSec, "ops/s", {
  baseline: direct.opsPerSec,
  baselineName: "registry.cordon in-process (memory store), same run",
  concurrency,
});

echo.close();
echoServer.forceShutdown();
await api.close();
