import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlaneForTest } from "@drainkit/control-plane/testing";
import { createRoleProxy, type RoleProxy, type Router } from "@drainkit/routing";
import { request } from "undici";

const SERVICE = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const ROUTE = join(dirname(fileURLToPath(import.meta.resolve("@drainkit/routing/package.json"))), "src", "route", "main.ts");

interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly stderr: string[];
}

function child(args: readonly string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const stderr: string[] = [];
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => stderr.push(d));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, exited, stderr };
}

async function firstLine(c: Child, match: (line: string) => boolean, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    c.proc.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const line = out.split("\n").find(match);
      if (line !== undefined) resolve(line);
    });
    void c.exited.then((code) => reject(new Error(`${what} exited with ${code} before it was ready:\n${c.stderr.join("")}`)));
  });
}

/** `drainkit serve` on SQLite in a temporary directory, with a mesh.agent token per replica id. */
export interface ControlPlane {
  readonly url: string;
  readonly adminToken: string;
  readonly agentTokens: Readonly<Record<string, string>>;
  /** A mesh.read token, for routers. */
  readonly readToken: string;
  /** A mesh.agent token whose id is `front-door`: a router that acknowledges removals (`--router-id front-door`). */
  readonly routerToken: string;
  dispose(): Promise<void>;
}

export async function startControlPlane(agents: readonly string[]): Promise<ControlPlane> {
  const adminToken = `dk_admin_${process.pid}_${Date.now()}`;
  const cp = await startControlPlaneForTest({ adminToken, agents, tokens: { router: ["mesh.read"], "front-door": ["mesh.agent"] } });
  return {
    url: cp.url,
    adminToken,
    agentTokens: cp.agentTokens,
    readToken: cp.tokens["router"]!,
    routerToken: cp.tokens["front-door"]!,
    dispose: () => cp.dispose(),
  };
}

/** One `example-service` child process. */
export interface Replica {
  readonly id: string;
  readonly version: string;
  readonly http: string;
  readonly grpc: string;
  readonly admin: string;
  readonly pid: number;
  /** SIGTERM (it drains, then stops); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no drain, no goodbye. Resolves once the process is gone. */
  kill(): Promise<void>;
}

export async function startReplica(options: { id: string; version: string; controlPlane: ControlPlane; latencyMs?: number; jobs?: readonly string[]; deregistrationDelayMs?: number }): Promise<Replica> {
  const jobs = options.jobs === undefined || options.jobs.length === 0 ? [] : ["--jobs", options.jobs.join(",")];
  const delay = options.deregistrationDelayMs === undefined ? [] : ["--deregistration-delay-ms", String(options.deregistrationDelayMs)];
  const c = child([SERVICE, "--id", options.id, "--version", options.version, "--control-plane", options.controlPlane.url, "--latency-ms", String(options.latencyMs ?? 50), "--heartbeat-ms", "500", ...jobs, ...delay], {
    DRAINKIT_TOKEN: options.controlPlane.agentTokens[options.id]!,
  });
  const line = JSON.parse(await firstLine(c, (l) => l.includes('"listening"'), `replica ${options.id}`)) as { http: string; grpc: string; admin: string; pid: number };
  return {
    id: options.id,
    version: options.version,
    http: line.http,
    grpc: line.grpc,
    admin: line.admin,
    pid: line.pid,
    stop: async () => {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGTERM");
      return c.exited;
    },
    kill: async () => {
      if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill("SIGKILL");
      await c.exited;
    },
  };
}

/** A `drainkit-route` child process (the shipped front door). */
export interface FrontDoor {
  /** Where it serves HTTP. */
  readonly url: string;
  /** Where it serves gRPC (`host:port`), when started with `--grpc-listen`. */
  readonly grpc: string | undefined;
  /** Its `/metrics` and `/healthz`. */
  readonly admin: string;
  /** `/healthz`: members, members out of rotation, and the proxy's counts. */
  health(): Promise<{ members: number; outOfRotation: string[]; stats: { requests: number; retries: { draining: number; connect: number }; failed: number; noMember: number; ejections: number; budgetExhausted: number } }>;
  /** SIGTERM; resolves with the exit code and what it printed last. */
  stop(): Promise<{ code: number | null; last: string }>;
}

/** With `acks`, the front door registers on each replica as router `front-door` and acknowledges each drain. */
export async function startFrontDoor(controlPlane: ControlPlane, args: readonly string[], options: { readonly acks?: boolean } = {}): Promise<FrontDoor> {
  const acks = options.acks === true ? ["--router-id", "front-door"] : [];
  const c = child([ROUTE, "--control-plane", controlPlane.url, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", ...acks, ...args], { DRAINKIT_TOKEN: options.acks === true ? controlPlane.routerToken : controlPlane.readToken });
  let out = "";
  c.proc.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const line = JSON.parse(await firstLine(c, (l) => l.includes('"listening"'), "drainkit-route")) as { url: string | null; grpc: string | null; admin: string };
  return {
    url: line.url ?? "",
    grpc: line.grpc ?? undefined,
    admin: line.admin,
    health: async () => (await (await request(`${line.admin}/healthz`)).body.json()) as Awaited<ReturnType<FrontDoor["health"]>>,
    stop: async () => {
      if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
      const code = await c.exited;
      return { code, last: out.trim().split("\n").at(-1) ?? "" };
    },
  };
}

/** What the front door's clients saw. */
export interface BalancerStats {
  /** Requests answered 2xx to the client. */
  served: number;
  /** 502 `upstream-failed` answers: a replica failed at the socket and no retry was left. */
  readonly socketErrors: { member: string; error: string }[];
  /** Non-2xx answers a replica gave that reached the client. */
  readonly otherStatus: { member: string; status: number }[];
  /** 503 `no-routable-member` from the proxy itself. */
  exhausted: number;
  /** Latency of each served request (ms) and the phase of the rollout when it started. */
  readonly latencies: { ms: number; phase: string }[];
}

/**
 * The shipped front door in process: `createRoleProxy` with its defaults
 * (keep-alive upstream connections, retries of a drain's 503 and of
 * connection failures, outlier ejection) on the router, with a recorder of
 * what clients got. `proxy.stats()` has the retries and the responses cut
 * off mid-flight (`failed`).
 */
export async function startBalancer(router: Router, role: string, phase: () => string): Promise<{ url: string; stats: BalancerStats; proxy: RoleProxy; close(): Promise<void> }> {
  const proxy = createRoleProxy({ balancer: router.balancer(role, { strategy: "round-robin" }) });
  const stats: BalancerStats = { served: 0, socketErrors: [], otherStatus: [], exhausted: 0, latencies: [] };
  const server: Server = createServer((req, res) => {
    const started = performance.now();
    const startedIn = phase();
    res.once("finish", () => {
      const member = res.getHeader("x-drainkit-member");
      if (res.statusCode >= 200 && res.statusCode < 300) {
        stats.served++;
        stats.latencies.push({ ms: performance.now() - started, phase: startedIn });
      } else if (member === undefined && res.statusCode === 503) stats.exhausted++;
      else if (member === undefined && res.statusCode === 502) stats.socketErrors.push({ member: "", error: "502 upstream-failed" });
      else stats.otherStatus.push({ member: String(member ?? ""), status: res.statusCode });
    });
    proxy.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stats,
    proxy,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await proxy.close();
    },
  };
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Polls `check` every 25 ms until it returns something truthy (no fixed sleeps). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
