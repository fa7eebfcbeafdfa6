#!/usr/bin/env node
// `example-service`: one replica of the example service, with its agent.
// Prints one JSON line `{"event":"listening",...}` on stdout once every
// component runs; SIGTERM / SIGINT drain it, then stop it.
import { readCommandLine } from "./commandLine.ts";
import { startExampleService } from "./service.ts";

const parsed = readCommandLine(process.argv.slice(2));
if ("exit" in parsed) {
  (parsed.exit === 0 ? process.stdout : process.stderr).write(parsed.text);
  process.exit(parsed.exit);
}
const { values } = parsed;

const env = process.env;
const id = values.id ?? env["EXAMPLE_ID"];
if (id === undefined) {
  process.stderr.write("example-service: --id is required (the peer id; the agent token's principal id)\n");
  process.exit(2);
}
const url = values["control-plane"] ?? env["DRAINKIT_URL"];
const token = env["DRAINKIT_TOKEN"];
if (url !== undefined && token === undefined) {
  process.stderr.write("example-service: set DRAINKIT_TOKEN to a mesh.agent token for this peer id (drainkit token add <id> --scope mesh.agent)\n");
  process.exit(2);
}
const list = (v: string): string[] => v.split(",").map((s) => s.trim()).filter((s) => s !== "");
const log = (fields: Record<string, unknown>, msg?: string): void => void process.stderr.write(`${JSON.stringify({ ...fields, msg, time: new Date().toISOString() })}\n`);

const svc = await startExampleService({
  id,
  version: values.version,
  host: values.host,
  httpPort: Number(values["http-port"]),
  grpcPort: Number(values["grpc-port"]),
  adminPort: Number(values["admin-port"]),
  latencyMs: Number(values["latency-ms"]),
  pools: list(values.pools),
  roles: list(values.roles),
  drainTimeoutMs: Number(values["drain-timeout-ms"]),
  deregistrationDelayMs: Number(values["deregistration-delay-ms"]),
  jobs: list(values.jobs),
  grpcOverallHealth: values["keep-overall-health"] !== true,
  ...(values["heartbeat-ms"] === undefined ? {} : { heartbeatMs: Number(values["heartbeat-ms"]) }),
  ...(url === undefined ? {} : { controlPlane: { url, token: token! } }),
  ...(env["EXAMPLE_ADMIN_TOKEN"] === undefined ? {} : { adminToken: env["EXAMPLE_ADMIN_TOKEN"] }),
  logger: { debug: () => {}, info: log, warn: log, error: log },
});
process.stdout.write(`${JSON.stringify({ event: "listening", id, version: svc.version, http: svc.httpUrl, grpc: svc.grpcAddress, admin: svc.adminUrl, pid: process.pid })}\n`);

let signals = 0;
const stop = (signal: string): void => {
  if (++signals > 1) process.exit(1); // a second signal means "now"
  log({ signal }, "draining, then stopping");
  svc.stop().then(
    () => {
      process.stdout.write(`${JSON.stringify({ event: "stopped", id, signal })}\n`);
      process.exit(0);
    },
    (e: unknown) => {
      log({ err: e instanceof Error ? e.message : String(e) }, "stop failed");
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
