// @ts-nocheck
// Starts a real HAProxy on a loopback port for tests: its own temp dir,
// config and admin socket, one frontend and one empty backend the adapter
// fills. Test support only, so it may touch the process environment and
// real time.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { haproxyRuntimeApi, type HaproxyRuntimeApi } from "../haproxy/runtimeApi.ts";

/** Options of {@link startHaproxy}. */
export interface HaproxyOptions {
  /** Name of the empty backend. Default `drainkit`. */
  readonly backend?: string;
  /**
   * Lines added to the backend, after `balance roundrobin`. Default: retry a
   * connection failure, an empty response or a 503 on another server
   * (`retries 3`, `option redispatch 1`, `retry-on conn-failure empty-response 503`).
   */
  readonly backendLines?: readonly string[];
  /** How long to wait for the admin socket. Default 20 000 ms. */
  readonly startTimeoutMs?: number;
}

/** A running HAProxy. */
export interface Haproxy {
  /** `http://127.0.0.1:<port>` of its frontend. */
  readonly url: string;
  readonly backend: string;
  /** Path of its admin socket (`level admin`). */
  readonly socket: string;
  readonly api: HaproxyRuntimeApi;
  /** The config it runs, for failure messages and the README. */
  readonly config: string;
  output(): string;
  stop(): Promise<void>;
}

/** Where haproxy lives: on the PATH, or Debian's /usr/sbin. */
export function findHaproxy(): string | undefined {
  const dirs = [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const d of dirs) if (d !== "" && existsSync(join(d, "haproxy"))) return join(d, "haproxy");
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr !== null ? addr.port : 0));
    });
  });
}

/**
 * Starts `haproxy -db` (foreground) with a frontend on a free loopback port
 * and an empty backend. Needs Debian's `haproxy` (`apt-get install -y haproxy`).
 *
 * @example
 * const hp = await startHaproxy();
 * const sync = await startHaproxySync({ router, role: "edge", backend: hp.backend, api: hp.api, clock });
 * await fetch(hp.url);
 * await hp.stop();
 */
export async function startHaproxy(options: HaproxyOptions = {}): Promise<Haproxy> {
  const bin = findHaproxy();
  if (bin === undefined) throw new Error("haproxy not found: apt-get install -y haproxy");
  const backend = options.backend ?? "drainkit";
  const dir = await mkdtemp(join(tmpdir(), "drainkit-haproxy-"));
  const socket = join(dir, "admin.sock");
  const port = await freePort();
  const config = [
    "global",
    `  stats socket ${socket} mode 600 level admin`,
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-keep-alive 5s",
    "frontend front",
    `  bind 127.0.0.1:${port}`,
    `  default_backend ${backend}`,
    `backend ${backend}`,
    "  balance roundrobin",
    ...(options.backendLines ?? ["  retries 3", "  option redispatch 1", "  retry-on conn-failure empty-response 503"]),
    "",
  ].join("\n");
  const file = join(dir, "haproxy.cfg");
  await writeFile(file, config);
  const proc = spawn(bin, ["-f", file, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  proc.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const api = haproxyRuntimeApi(socket);
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`haproxy exited with ${proc.exitCode}:\n${output}`);
    }
    try {
      await api.servers(backend);
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`haproxy did not open its admin socket in time: ${e instanceof Error ? e.message : String(e)}\n${output}`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { url: `http://127.0.0.1:${port}`, backend, socket, api, config, output: () => output, stop };
}
