// @ts-nocheck
import { parseArgs } from "node:util";
import { isDrainkitError, type Logger } from "@drainkit/core";
import { IDEMPOTENT_METHODS } from "../proxy/retryPolicy.ts";
import { startRoute, type RouteOptions, type RunningRoute } from "./startRoute.ts";

export const ROUTE_HELP = `drainkit route: a front door for one role, fed by a drainkit control plane

Usage: drainkit route --control-plane <url> --role <role> [options]
       (also installed as drainkit-route)

Sends each HTTP request to a member of <role> that takes new traffic
(active or cordoned); a member leaves rotation the moment the control plane
says it drains. Idempotent requests refused by a draining host (503 with
drainkit-draining: true) or failing to connect are retried on another member.

Control plane:
  --control-plane <url>       drainkit serve's URL (env DRAINKIT_URL)
  --token <token>             bearer token with mesh.read (env DRAINKIT_TOKEN)
  --ca <file>                 trust this CA (PEM) for the control plane's TLS
  --cert <file> --key <file>  client certificate for mutual TLS
  --insecure                  accept any TLS certificate (tests only)
  --pool <pool>               only members of this pool
  --router-id <id>            register on each peer as this router and acknowledge each
                              drain once the peer is out of rotation, so it stops waiting
                              out its deregistration delay (needs a mesh.agent token whose
                              id is <id>: drainkit token add <id> --scope mesh.agent)

Serving:
  --role <role>               role whose members get the traffic (required)
  --listen <host:port>        where to serve HTTP (default 127.0.0.1:8080; "none" with --haproxy-socket)
  --grpc-listen <host:port>   also serve gRPC (HTTP/2 cleartext, any service, passed through)
  --grpc-address-label <l>    label holding a member's gRPC host:port (example service: grpc)
  --admin-listen <host:port>  /metrics (Prometheus) and /healthz of the front door
  --strategy <name>           round-robin (default) or least-in-flight
  --upstream-tls              upstreams speak HTTPS (uses --ca/--cert/--key/--insecure too)

HAProxy (keep a real HAProxy's backend in step, through its Runtime API):
  --haproxy-socket <path>     admin socket (stats socket <path> level admin)
  --haproxy-backend <name>    the backend drainkit owns: declare it with no servers
  --haproxy-server-args <s>   appended to "add server", e.g. "check inter 1s"

Retries:
  --retry-attempts <n>        attempts per request, the first included (default 3; 1 = none)
  --retry-methods <list>      methods that may be retried (default ${IDEMPOTENT_METHODS.join(",")})
  --retry-budget <ratio>      retries in flight at most this share of requests in flight (default 0.2)
  --retry-min <n>             retries always allowed in flight (default 3)

Outlier ejection (passive):
  --eject-after <n>           consecutive connection failures or 5xx that eject a member (default 5; 0 = off)
  --ejection-ms <ms>          first ejection length, growing with each ejection (default 30000)
  --max-ejected-percent <p>   at most this share of members out at once (default 50)

Health checks (active, off unless --health-path):
  --health-path <path>        GET this path on every member, e.g. /readyz; 2xx is healthy
  --health-interval-ms <ms>   between rounds (default 5000)
  --health-timeout-ms <ms>    per probe (default 1000)
  --unhealthy-threshold <n>   failures in a row that take a member out (default 2)
  --healthy-threshold <n>     successes in a row that bring it back (default 2)

  -h, --help                  this text

Prints one JSON line {"event":"listening","url":...} on stdout once it serves;
SIGTERM or SIGINT stop it after the requests in flight.

Example:
  DRAINKIT_TOKEN=dk_... drainkit route --control-plane http://127.0.0.1:7400 \\
    --role edge --pool example --listen 127.0.0.1:8080 --health-path /readyz
`;

/** A command-line mistake: exit code 2 with this message. */
export class RouteUsageError extends Error {}

function count(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new RouteUsageError(`${flag} must be a whole number ≥ ${min} (got "${value}")`);
  return Number(value);
}

function ratio(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) throw new RouteUsageError(`${flag} must be a number ≥ 0 (got "${value}")`);
  return n;
}

/**
 * Parses `drainkit route` arguments into {@link RouteOptions}; throws
 * {@link RouteUsageError} naming the flag at fault. `env` supplies
 * DRAINKIT_URL and DRAINKIT_TOKEN.
 */
export function parseRouteArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): RouteOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        "control-plane": { type: "string" },
        token: { type: "string" },
        ca: { type: "string" },
        cert: { type: "string" },
        key: { type: "string" },
        insecure: { type: "boolean" },
        pool: { type: "string" },
        "router-id": { type: "string" },
        role: { type: "string" },
        listen: { type: "string" },
        "admin-listen": { type: "string" },
        "grpc-listen": { type: "string" },
        "grpc-address-label": { type: "string" },
        strategy: { type: "string" },
        "upstream-tls": { type: "boolean" },
        "retry-attempts": { type: "string" },
        "retry-methods": { type: "string" },
        "retry-budget": { type: "string" },
        "retry-min": { type: "string" },
        "eject-after": { type: "string" },
        "ejection-ms": { type: "string" },
        "max-ejected-percent": { type: "string" },
        "health-path": { type: "string" },
        "haproxy-socket": { type: "string" },
        "haproxy-backend": { type: "string" },
        "haproxy-server-args": { type: "string" },
        "health-interval-ms": { type: "string" },
        "health-timeout-ms": { type: "string" },
        "unhealthy-threshold": { type: "string" },
        "healthy-threshold": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    throw new RouteUsageError(e instanceof Error ? e.message : String(e));
  }
  if (values.help === true) return "help";
  const fromEnv = (name: string): string | undefined => (env[name] === "" ? undefined : env[name]);
  const controlPlane = values["control-plane"] ?? fromEnv("DRAINKIT_URL");
  if (controlPlane === undefined) throw new RouteUsageError("--control-plane <url> is required (or set DRAINKIT_URL), e.g. --control-plane http://127.0.0.1:7400");
  try {
    new URL(controlPlane);
  } catch {
    throw new RouteUsageError(`--control-plane must be a URL such as http://127.0.0.1:7400 (got "${controlPlane}")`);
  }
  const token = values.token ?? fromEnv("DRAINKIT_TOKEN");
  if (token === undefined) throw new RouteUsageError("a token with mesh.read is required: --token <token> or DRAINKIT_TOKEN (mint one with: drainkit token add router --scope mesh.read)");
  if (values.role === undefined) throw new RouteUsageError("--role <role> is required: the role whose members get the traffic, e.g. --role edge");
  const strategy = values.strategy ?? "round-robin";
  if (strategy !== "round-robin" && strategy !== "least-in-flight") throw new RouteUsageError(`--strategy must be round-robin or least-in-flight (got "${strategy}")`);
  if ((values.cert === undefined) !== (values.key === undefined)) throw new RouteUsageError("--cert and --key go together");
  const tls = values.ca !== undefined || values.cert !== undefined || values.insecure === true
    ? { ...(values.ca === undefined ? {} : { caFile: values.ca }), ...(values.cert === undefined ? {} : { certFile: values.cert, keyFile: values.key! }), ...(values.insecure === true ? { insecure: true } : {}) }
    : undefined;
  const attempts = count(values["retry-attempts"], "--retry-attempts", 3, 1);
  const ejectAfter = count(values["eject-after"], "--eject-after", 5);
  const percent = ratio(values["max-ejected-percent"], "--max-ejected-percent", 50);
  if (percent > 100) throw new RouteUsageError(`--max-ejected-percent must be at most 100 (got "${values["max-ejected-percent"]}")`);
  const healthFlags = ["health-interval-ms", "health-timeout-ms", "unhealthy-threshold", "healthy-threshold"] as const;
  if (values["health-path"] === undefined) {
    const stray = healthFlags.find((f) => values[f] !== undefined);
    if (stray !== undefined) throw new RouteUsageError(`--${stray} needs --health-path <path> (e.g. --health-path /readyz)`);
  } else if (!values["health-path"].startsWith("/")) throw new RouteUsageError(`--health-path must start with / (got "${values["health-path"]}")`);
  if ((values["haproxy-socket"] === undefined) !== (values["haproxy-backend"] === undefined)) throw new RouteUsageError("--haproxy-socket and --haproxy-backend go together");
  if (values["haproxy-server-args"] !== undefined && values["haproxy-socket"] === undefined) throw new RouteUsageError("--haproxy-server-args needs --haproxy-socket and --haproxy-backend");
  if (values["grpc-address-label"] !== undefined && values["grpc-listen"] === undefined) throw new RouteUsageError("--grpc-address-label needs --grpc-listen <host:port>");
  if (values.listen === "none" && values["haproxy-socket"] === undefined) throw new RouteUsageError("--listen none serves nothing: give --haproxy-socket and --haproxy-backend, or an address to listen on");
  return {
    controlPlane,
    token,
    ...(values["haproxy-socket"] === undefined
      ? {}
      : { haproxy: { socket: values["haproxy-socket"], backend: values["haproxy-backend"]!, ...(values["haproxy-server-args"] === undefined ? {} : { serverArgs: values["haproxy-server-args"] }) } }),
    role: values.role,
    listen: values.listen ?? "127.0.0.1:8080",
    strategy,
    ...(values.pool === undefined ? {} : { pool: values.pool }),
    ...(values["router-id"] === undefined ? {} : { routerId: values["router-id"] }),
    ...(values["admin-listen"] === undefined ? {} : { adminListen: values["admin-listen"] }),
    ...(values["grpc-listen"] === undefined ? {} : { grpcListen: values["grpc-listen"] }),
    ...(values["grpc-address-label"] === undefined ? {} : { grpcAddressLabel: values["grpc-address-label"] }),
    ...(tls === undefined ? {} : { tls }),
    ...(values["upstream-tls"] === true ? { upstreamTls: tls ?? {} } : {}),
    retry:
      attempts === 1
        ? false
        : {
            maxAttempts: attempts,
            budgetRatio: ratio(values["retry-budget"], "--retry-budget", 0.2),
            minRetryConcurrency: count(values["retry-min"], "--retry-min", 3),
            ...(values["retry-methods"] === undefined ? {} : { methods: values["retry-methods"].split(",").map((m) => m.trim().toUpperCase()).filter((m) => m !== "") }),
          },
    outliers: ejectAfter === 0 ? false : { consecutiveFailures: ejectAfter, baseEjectionMs: count(values["ejection-ms"], "--ejection-ms", 30_000), maxEjectedPercent: percent },
    ...(values["health-path"] === undefined
      ? {}
      : {
          healthCheck: {
            path: values["health-path"],
            intervalMs: count(values["health-interval-ms"], "--health-interval-ms", 5_000, 1),
            timeoutMs: count(values["health-timeout-ms"], "--health-timeout-ms", 1_000, 1),
            unhealthyThreshold: count(values["unhealthy-threshold"], "--unhealthy-threshold", 2, 1),
            healthyThreshold: count(values["healthy-threshold"], "--healthy-threshold", 2, 1),
          },
        }),
  };
}

/** Where `runRoute` writes; the process's streams by default. */
export interface RouteIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Resolves when the process is told to stop (SIGTERM / SIGINT by default). */
  readonly stopped?: Promise<string>;
}

const stderrLogger = (write: (text: string) => void): Logger => {
  const log = (level: string) => (fields: Record<string, unknown>, msg?: string) => write(`${JSON.stringify({ level, ...fields, msg, time: new Date().toISOString() })}\n`);
  return { debug: () => {}, info: log("info"), warn: log("warn"), error: log("error") };
};

/**
 * `drainkit route` / `drainkit-route`: parses `argv`, serves until SIGTERM or
 * SIGINT, then lets requests in flight finish. Resolves with the exit code:
 * 0 after a clean stop, 1 when it could not start, 2 for a usage error.
 *
 * @example
 * process.exitCode = await runRoute(process.argv.slice(2));
 */
export async function runRoute(argv: readonly string[], io?: RouteIo): Promise<number> {
  const out = io?.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = io?.stderr ?? ((t: string) => void process.stderr.write(t));
  let options: RouteOptions | "help";
  try {
    options = parseRouteArgs(argv, process.env);
  } catch (e) {
    if (!(e instanceof RouteUsageError)) throw e;
    err(`drainkit route: ${e.message}\nSee drainkit route --help.\n`);
    return 2;
  }
  if (options === "help") {
    out(ROUTE_HELP);
    return 0;
  }
  const logger = stderrLogger(err);
  let route: RunningRoute;
  try {
    route = await startRoute({
      ...options,
      logger,
      onEvent: (e) => {
        if (e.type === "route-member-added" || e.type === "route-member-removed" || e.type === "haproxy-server-set" || e.type === "haproxy-server-deleted" || e.type === "router-acked") logger.info({ ...e }, e.type);
      },
    });
  } catch (e) {
    const code = isDrainkitError(e) ? ` (${e.code})` : "";
    err(`drainkit route: could not start${code}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  out(`${JSON.stringify({ event: "listening", url: route.url ?? null, grpc: route.grpcAddress ?? null, haproxy: options.haproxy?.backend ?? null, admin: route.adminUrl ?? null, role: options.role, pool: options.pool ?? null, members: route.router.members(options.role).map((m) => m.id) })}\n`);
  const stopped =
    io?.stopped ??
    new Promise<string>((resolve) => {
      process.once("SIGTERM", () => resolve("SIGTERM"));
      process.once("SIGINT", () => resolve("SIGINT"));
    });
  const signal = await stopped;
  logger.info({ signal }, "stopping after the requests in flight");
  await route.close();
  out(`${JSON.stringify({ event: "stopped", signal, stats: route.proxy.stats() })}\n`);
  return 0;
}
