// One control-plane replica in a process of its own, for the fleet benches
// (./heartbeats.ts, ./drainReaction.ts): its RSS and event loop are the
// server's alone, not the load generator's. Configured by environment:
// DRAINKIT_BENCH_STORE (a --store URL), DRAINKIT_BENCH_TOKEN (admin token),
// DRAINKIT_BENCH_DIR (token file), DRAINKIT_BENCH_GRPC=1 (serve gRPC too),
// DRAINKIT_BENCH_COMPACTION_MS (history window; the interval is a fifth of it).
// Prints one JSON line {url, grpc?} once it listens, then {memory} once a second; shuts down on SIGTERM.
import { join } from "node:path";
import { Writable } from "node:stream";
import { startControlPlane } from "../src/controlPlane.ts";

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined || v === "") throw new Error(`${name} is not set`);
  return v;
};
const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
const windowMs = Number(process.env["DRAINKIT_BENCH_COMPACTION_MS"] ?? 300_000);
const cp = await startControlPlane({
  store: env("DRAINKIT_BENCH_STORE"),
  listen: "127.0.0.1:0",
  ...(process.env["DRAINKIT_BENCH_GRPC"] === "1" ? { grpc: "127.0.0.1:0" } : {}),
  adminToken: env("DRAINKIT_BENCH_TOKEN"),
  tokenFile: join(env("DRAINKIT_BENCH_DIR"), "tokens.json"),
  logLevel: "warn",
  logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
  compaction: { windowMs, intervalMs: Math.max(1_000, Math.floor(windowMs / 5)) },
});
process.stdout.write(`${JSON.stringify({ url: cp.url, ...(cp.grpcAddress === undefined ? {} : { grpc: cp.grpcAddress }) })}\n`);
// Memory beside RSS, once a second (after the first line): the V8 heap used and total, buffers outside it.
setInterval(() => {
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ memory: { heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers) } })}\n`);
}, 1_000).unref();
process.once("SIGTERM", () => void cp.shutdown("bench done").then(() => process.exit(0)));
