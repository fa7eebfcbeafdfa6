import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { addToken } from "@drainkit/http";

const MAIN = join(dirname(fileURLToPath(import.meta.resolve("@drainkit/control-plane/package.json"))), "src", "main.ts");

/** A free loopback port (so a restarted control plane comes back at the same URL). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A real `drainkit serve` child process on SQLite in a temporary directory. */
export interface ControlPlaneProcess {
  readonly url: string;
  readonly adminToken: string;
  /** Tokens minted for agents, by peer id (scope mesh.agent). */
  readonly agentTokens: Readonly<Record<string, string>>;
  /** Stops the process (SIGTERM, it drains itself) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same store, tokens and port. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export async function startControlPlane(options: { agents?: readonly string[] } = {}): Promise<ControlPlaneProcess> {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-agent-"));
  const tokenFile = join(dir, "tokens.json");
  const adminToken = `dk_admin_${process.pid}_${Date.now()}`;
  const agentTokens: Record<string, string> = {};
  for (const id of options.agents ?? []) agentTokens[id] = await addToken(tokenFile, id, ["mesh.agent"]);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const logs: string[] = [];

  const launch = async (): Promise<void> => {
    const child = spawn(process.execPath, [MAIN, "serve", "--store", `sqlite:${join(dir, "drainkit.db")}`, "--token-file", tokenFile, "--listen", `127.0.0.1:${port}`, "--drain-timeout", "2s", "--log-level", "warn"], {
      env: { ...process.env, DRAINKIT_ADMIN_TOKEN: adminToken },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc = child;
    exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => logs.push(d));
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("listening on")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`drainkit serve exited with ${code}:\n${logs.join("")}`)));
    });
  };
  const stop = async (): Promise<void> => {
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    await exited;
  };
  await launch();
  return {
    url,
    adminToken,
    agentTokens,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves once `check` returns a value other than undefined/false, polling every 20 ms (never a fixed sleep). */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
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
    await new Promise((r) => setTimeout(r, 20));
  }
}
