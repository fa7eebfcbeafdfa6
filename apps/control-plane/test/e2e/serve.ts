import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

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

/** Spawns `drainkit serve` with `process.execPath` (Node 24 strips the types) and waits for its banner. */
export async function serve(args: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  const proc = spawn(process.execPath, [MAIN, "serve", "--listen", "127.0.0.1:0", "--log-level", "info", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let errTail = "";
  let outTail = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    errTail += chunk;
    let i: number;
    while ((i = errTail.indexOf("\n")) !== -1) {
      const line = errTail.slice(0, i);
      errTail = errTail.slice(i + 1);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        parsed = { raw: line };
      }
      logs.push(parsed);
      for (const w of [...waiters]) {
        if (w.match(parsed)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    }
  });
  const banner = new Promise<string>((resolve, reject) => {
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      outTail += chunk;
      let i: number;
      while ((i = outTail.indexOf("\n")) !== -1) {
        stdout.push(outTail.slice(0, i));
        outTail = outTail.slice(i + 1);
      }
      if (stdout.some((l) => l.startsWith("  admin token"))) resolve(stdout.join("\n"));
    });
    void exited.then(({ code }) => reject(new Error(`drainkit serve exited with ${code} before its banner:\n${logs.map((l) => JSON.stringify(l)).join("\n")}`)));
  });
  const text = await banner;
  const url = /listening on (\S+)/.exec(text)![1]!;
  const token = /admin token \(shown once[^\n]*\n\s+(dk_\S+)/.exec(text)?.[1];
  return {
    proc,
    url,
    ...(token ? { adminToken: token } : {}),
    stdout,
    logs,
    exited,
    waitForLog(match) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
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
