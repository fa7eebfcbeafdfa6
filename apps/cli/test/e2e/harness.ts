import { spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlaneForTest } from "@drainkit/control-plane/testing";

const here = dirname(fileURLToPath(import.meta.url));
export const DRAINCTL = resolve(here, "../../bin/drainctl.js");

export const ADMIN_TOKEN = "dk_e2e_admin_token_0123456789abcdef";

/** A real `drainkit serve` on a temp SQLite file and a free loopback port. */
export interface Server {
  readonly url: string;
  /** `host:port` of the gRPC API, when started with `{ grpc: true }`. */
  readonly grpc?: string;
  readonly dir: string;
  readonly dbPath: string;
  stop(): Promise<void>;
}

/**
 * `grpc: true` also serves the gRPC API on a free loopback port (`drainkit serve --grpc 127.0.0.1:0`);
 * `args` are extra `drainkit serve` flags (e.g. `--cluster east:active`).
 */
export async function startServer(options: { readonly grpc?: boolean; readonly args?: readonly string[]; readonly selfPeer?: boolean } = {}): Promise<Server> {
  const cp = await startControlPlaneForTest({
    ...(options.grpc === true ? { grpc: true } : {}),
    ...(options.selfPeer === true ? { selfPeer: true } : {}),
    ...(options.args === undefined ? {} : { args: options.args }),
    adminToken: ADMIN_TOKEN,
    env: { DRAINKIT_GRPC: undefined },
  });
  return {
    url: cp.url,
    ...(cp.grpc === undefined ? {} : { grpc: cp.grpc }),
    dir: cp.dir!,
    dbPath: cp.dbPath!,
    stop: () => cp.dispose(),
  };
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with each stderr chunk and the child, to act when the CLI reaches a point (no sleeps). */
  readonly onStderr?: (all: string, child: ChildProcess) => void;
  readonly onStdout?: (all: string, child: ChildProcess) => void;
}

/** Runs drainctl as a user would: a separate process, with server, token and an empty XDG config dir in the environment. */
export function drainctl(server: Server | undefined, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    XDG_CONFIG_HOME: join(server?.dir ?? tmpdir(), "xdg"),
    DRAINCTL_CONFIG: undefined,
    DRAINCTL_CONTEXT: undefined,
    DRAINKIT_GRPC: undefined,
    // Whole lines unless a test asks for a width: the runner's own terminal must not decide what the CLI prints.
    COLUMNS: undefined,
    ...(server ? { DRAINCTL_SERVER: server.url, DRAINCTL_TOKEN: ADMIN_TOKEN } : { DRAINCTL_SERVER: undefined, DRAINCTL_TOKEN: undefined }),
    ...options.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [DRAINCTL, ...args], { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    options.onStdout?.(stdout, child);
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    options.onStderr?.(stderr, child);
  });
  return new Promise((ok) => child.once("close", (code) => ok({ code, stdout, stderr })));
}

/** Plays a host's agent: registers peers and reports their observed status over the real API. */
export class FakeAgent {
  readonly #server: Server;

  constructor(server: Server) {
    this.#server = server;
  }

  async #call(method: string, path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.#server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const json = await res.json();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** Registers the peer and reports its first heartbeat, as an agent does on start (a peer that never reported is unknown). */
  async register(id: string, roles: readonly string[] = ["edge"], labels: Record<string, string> = {}, pools: readonly string[] = ["web"]): Promise<unknown> {
    const registered = await this.#call("PUT", `/control/peers/${id}`, { address: `10.0.0.${id.length}:8080`, pools, roles, labels });
    await this.heartbeat(id);
    return registered;
  }

  /** One status report with nothing in flight, for the peer's current epoch. */
  async heartbeat(id: string): Promise<unknown> {
    const peer = (await this.get(`/control/peers/${id}`)) as { epoch?: number };
    return this.#call("PUT", `/control/peers/${id}/status`, { roles: {}, epoch: peer.epoch ?? 0 });
  }

  report(id: string, epoch: number, phase: "draining" | "drained" | "failed", inFlight: number, workloads = { owners: 0, children: 0 }, reason?: string): Promise<unknown> {
    return this.#call("PUT", `/control/peers/${id}/status`, {
      roles: { edge: { phase, epoch } },
      inFlight: { http: inFlight },
      workloads,
      epoch,
      ...(reason ? { reason } : {}),
    });
  }

  async get(path: string): Promise<unknown> {
    const res = await fetch(`${this.#server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return res.json();
  }
}

/** Parses drainctl `-o json` output. */
export function json<T = Record<string, unknown>>(run: Run): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** One step of a terminal conversation: once the screen shows `when`, type `send`. */
export interface PtyStep {
  readonly when: RegExp;
  readonly send: string;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r/g;

/**
 * Runs drainctl on a real pseudo-terminal (util-linux `script`), so stdin and
 * stderr are TTYs exactly as for a person at a shell, and answers prompts as
 * they appear. The terminal is sized first: a 0-column pty would wrap every character.
 */
export function drainctlOnPty(server: Server, args: readonly string[], steps: readonly PtyStep[], cols = 120): Promise<Run> {
  const command = `stty cols ${cols} rows 40; exec ${[process.execPath, DRAINCTL, ...args].map(shellQuote).join(" ")}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    env: { ...process.env, COLUMNS: undefined, TERM: "xterm-256color", XDG_CONFIG_HOME: join(server.dir, "xdg"), DRAINCTL_SERVER: server.url, DRAINCTL_TOKEN: ADMIN_TOKEN },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  let next = 0;
  let consumed = 0;
  const advance = (): void => {
    const step = steps[next];
    if (step === undefined) return;
    const fresh = screen.slice(consumed);
    const m = step.when.exec(fresh);
    if (m === null) return;
    consumed += m.index + m[0].length;
    next++;
    // Each key is its own write, as a person types: the prompt reads keypresses, not lines.
    for (const ch of step.send) child.stdin.write(ch);
    advance();
  };
  child.stdout.on("data", (d: Buffer) => {
    screen += d.toString().replace(ANSI, "");
    advance();
  });
  // A prompt that never shows up would hang the suite; end the conversation and show the screen instead.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((ok) =>
    child.once("close", (code) => {
      clearTimeout(guard);
      ok({ code, stdout: screen, stderr: next < steps.length ? `gave up waiting for ${String(steps[next]!.when)}` : "" });
    }),
  );
}
