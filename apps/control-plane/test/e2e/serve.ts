import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { startControlPlaneForTest } from "../../src/testing/index.ts";

/** A `drainkit serve` child process. */
export interface Served {
  readonly proc: ChildProcess;
  readonly url: string;
  /** Set when this start printed a freshly created admin token. */
  readonly adminToken?: string;
  readonly stdout: string[];
  /** Parsed pino lines from stderr. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the first log line `match` accepts (already seen lines included). */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `drainkit serve` with `args` (which name the `--store`) at log level info,
 * through the one test spawner, `startControlPlaneForTest`.
 */
export async function serve(args: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  const at = args.indexOf("--store");
  const store = at === -1 ? undefined : args[at + 1];
  const rest = at === -1 ? args : args.filter((_, i) => i !== at && i !== at + 1);
  const cp = await startControlPlaneForTest({ ...(store === undefined ? {} : { store }), args: rest, env, logLevel: "info" });
  return {
    proc: cp.proc,
    url: cp.url,
    ...(cp.createdAdminToken === undefined ? {} : { adminToken: cp.createdAdminToken }),
    stdout: cp.stdout as string[],
    logs: cp.logs as Record<string, unknown>[],
    exited: cp.exited,
    waitForLog: (match) => cp.waitForLog(match),
  };
}

/** JSON request with a bearer token; returns status, headers and parsed body. */
export async function api(url: string, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * A fresh temporary directory for each test, and every server started through
 * `start` (a SQLite store in that directory) or handed to `track` killed
 * (SIGKILL) after the test, the directory removed. Call at module level.
 */
export function serversPerTest(prefix: string): {
  /** This test's directory. */
  readonly dir: () => string;
  /** `drainkit serve` on `sqlite:<dir>/drainkit.db` with `args`, killed after the test. */
  start(args?: readonly string[], env?: Record<string, string>): Promise<Served>;
  /** Kills `s` after the test. */
  track(s: Served): Served;
} {
  let dir = "";
  const running: Served[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const s of running.splice(0)) {
      if (s.proc.exitCode === null && s.proc.signalCode === null) {
        s.proc.kill("SIGKILL");
        await s.exited;
      }
    }
    await rm(dir, { recursive: true, force: true });
  });
  const track = (s: Served): Served => {
    running.push(s);
    return s;
  };
  return {
    dir: () => dir,
    track,
    start: async (args = [], env = {}) => track(await serve(["--store", `sqlite:${join(dir, "drainkit.db")}`, ...args], env)),
  };
}

/**
 * Registers a peer the test plays the agent of, and reports its first heartbeat, in a
 * liveness window longer than the test: a peer that never reported, or whose agent went
 * silent, is unknown and never counts as available, and these tests report by hand.
 */
export async function registerLive(url: string, token: string, id: string, body: Record<string, unknown>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  await api(url, token, "PATCH", "/control/config", { values: { "heartbeat.staleAfterMs": 3_600_000 }, confirm: true });
  const registered = await api(url, token, "PUT", `/control/peers/${id}`, body);
  if (registered.status === 200) await api(url, token, "PUT", `/control/peers/${id}/status`, { roles: {}, epoch: 0 });
  return registered;
}
