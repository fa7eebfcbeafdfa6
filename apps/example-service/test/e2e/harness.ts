import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { startControlPlaneForTest } from "@drainkit/control-plane/testing";
import type { Router } from "@drainkit/routing";
import { Agent, request } from "undici";

const SERVICE = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

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
  dispose(): Promise<void>;
}

export async function startControlPlane(agents: readonly string[]): Promise<ControlPlane> {
  const cp = await startControlPlaneForTest({ agents, adminToken: `dk_admin_${process.pid}_${Date.now()}` });
  return { url: cp.url, adminToken: cp.adminToken!, agentTokens: cp.agentTokens, dispose: () => cp.dispose() };
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
}

export async function startReplica(options: { id: string; version: string; controlPlane: ControlPlane; latencyMs?: number; jobs?: readonly string[] }): Promise<Replica> {
  const jobs = options.jobs === undefined || options.jobs.length === 0 ? [] : ["--jobs", options.jobs.join(",")];
  const c = child([SERVICE, "--id", options.id, "--version", options.version, "--control-plane", options.controlPlane.url, "--latency-ms", String(options.latencyMs ?? 50), "--heartbeat-ms", "500", ...jobs], {
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
      if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
      return c.exited;
    },
  };
}

/** What the balancer saw. */
export interface BalancerStats {
  /** Requests answered 2xx to the client. */
  served: number;
  /** 503s from a replica: whether they carried Retry-After, and where the request went next. */
  readonly refused: { member: string; retryAfter: string | undefined; retriedOn: string | undefined; retryStatus: number | undefined }[];
  /** Connection-level failures talking to a replica (refused, reset, closed before the response). */
  readonly socketErrors: { member: string; error: string }[];
  /** Responses that started but did not finish (body cut off mid-flight). */
  readonly cutOff: { member: string; error: string }[];
  /** Non-2xx answers other than a 503 that was retried. */
  readonly otherStatus: { member: string; status: number }[];
  /** Answered to the client with no member left to try. */
  exhausted: number;
  /** Requests whose client hung up before the answer was through (the load generator stopping). */
  clientGone: number;
  /** Latency of each served request (ms) and the phase of the rollout when it started. */
  readonly latencies: { ms: number; phase: string }[];
}

/**
 * A client-side balancer in front of the replicas: each request goes to a
 * member of the role that the router says takes new traffic (it follows the
 * registry's routable set over the control plane's event stream). A 503 from
 * a replica (its gate closed before the router heard of the drain) is retried
 * on another member. Every upstream request uses its own connection
 * (`reset`), so a draining replica closing idle keep-alive sockets cannot
 * race a new request onto one: any socket error counted here is real.
 */
export async function startBalancer(router: Router, role: string, phase: () => string): Promise<{ url: string; stats: BalancerStats; close(): Promise<void> }> {
  const dispatcher = new Agent({ pipelining: 0 });
  const balancer = router.balancer(role, { strategy: "round-robin" });
  const stats: BalancerStats = { served: 0, refused: [], socketErrors: [], cutOff: [], otherStatus: [], exhausted: 0, clientGone: 0, latencies: [] };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const startedIn = phase();
    const tried = new Set<string>();
    let lastRefusal: BalancerStats["refused"][number] | undefined;
    for (let attempt = 0; attempt < 6; attempt++) {
      let member = balancer.tryPick();
      for (let k = 0; member !== undefined && tried.has(member.id) && k < 8; k++) member = balancer.tryPick();
      if (member === undefined || tried.has(member.id)) break;
      tried.add(member.id);
      if (lastRefusal !== undefined) lastRefusal.retriedOn = member.id;
      let upstream;
      try {
        upstream = await request(`http://${member.address}${req.url ?? "/"}`, { method: "GET", dispatcher, reset: true });
      } catch (e) {
        stats.socketErrors.push({ member: member.id, error: e instanceof Error ? e.message : String(e) });
        res.writeHead(502).end();
        return;
      }
      if (lastRefusal !== undefined) lastRefusal.retryStatus = upstream.statusCode;
      if (upstream.statusCode === 503) {
        const retryAfter = upstream.headers["retry-after"];
        lastRefusal = { member: member.id, retryAfter: typeof retryAfter === "string" ? retryAfter : undefined, retriedOn: undefined, retryStatus: undefined };
        stats.refused.push(lastRefusal);
        await upstream.body.dump();
        continue;
      }
      if (upstream.statusCode < 200 || upstream.statusCode >= 300) stats.otherStatus.push({ member: member.id, status: upstream.statusCode });
      res.writeHead(upstream.statusCode, { "content-type": String(upstream.headers["content-type"] ?? "application/octet-stream"), "x-member": member.id });
      let upstreamFailed: Error | undefined;
      upstream.body.once("error", (e: Error) => (upstreamFailed = e));
      try {
        await pipeline(upstream.body, res);
        if (upstream.statusCode >= 200 && upstream.statusCode < 300) {
          stats.served++;
          stats.latencies.push({ ms: performance.now() - started, phase: startedIn });
        }
      } catch (e) {
        // The load generator hanging up at the end is not the replica cutting a response short.
        if (upstreamFailed !== undefined || !req.destroyed) stats.cutOff.push({ member: member.id, error: (upstreamFailed ?? e) instanceof Error ? String((upstreamFailed ?? (e as Error)).message) : String(e) });
        else stats.clientGone++;
      }
      return;
    }
    stats.exhausted++;
    res.writeHead(503, { "retry-after": "1" }).end();
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stats,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.close();
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
