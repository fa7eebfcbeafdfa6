import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { addToken } from "@drainkit/http";
import type { Scope } from "@drainkit/registry";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** How {@link startControlPlaneForTest} starts `drainkit serve`. */
export interface ControlPlaneForTestOptions {
  /** `--store`; default `sqlite:<dir>/drainkit.db`. */
  readonly store?: string;
  /**
   * Directory for the default store and the agents' token file; default a
   * fresh temporary one (created only when needed), removed by `dispose()`.
   */
  readonly dir?: string;
  /** Loopback port; default a free one. `restart()` always comes back on the port of the first start. */
  readonly port?: number;
  /** Also serve gRPC on a free loopback port (`--grpc 127.0.0.1:0`). */
  readonly grpc?: boolean;
  /** Peer ids to mint `mesh.agent` tokens for (written to `<dir>/tokens.json`, passed as `--token-file`). */
  readonly agents?: readonly string[];
  /** More tokens by id with their scopes (e.g. `{ router: ["mesh.read"] }`), written to the same token file. */
  readonly tokens?: Readonly<Record<string, readonly Scope[]>>;
  /** `DRAINKIT_ADMIN_TOKEN`; default none, so the first start prints a fresh one (see `adminToken`). */
  readonly adminToken?: string;
  /** `--log-level`; default `warn`. */
  readonly logLevel?: string;
  /** More `drainkit serve` flags. */
  readonly args?: readonly string[];
  /**
   * Register the replica as a peer of its own fleet, as `drainkit serve` does
   * by default. Default false (`--no-self-peer`): the fleet a test builds
   * holds only the peers it registers.
   */
  readonly selfPeer?: boolean;
  /** Environment on top of this process's; `undefined` removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A `drainkit serve` child process started by {@link startControlPlaneForTest}. */
export interface ControlPlaneForTest {
  readonly url: string;
  /** `host:port` of the gRPC API, when started with `grpc: true`. */
  readonly grpc: string | undefined;
  /** Holds the default store and the token file (undefined when neither is used and no `dir` was given). */
  readonly dir: string | undefined;
  /** The SQLite file, when the store is the default one. */
  readonly dbPath: string | undefined;
  /** The admin token: the one given (option or `DRAINKIT_ADMIN_TOKEN`), or the one the first start printed. */
  readonly adminToken: string | undefined;
  /** The admin token the first start printed (a fresh store and no `DRAINKIT_ADMIN_TOKEN`). */
  readonly createdAdminToken: string | undefined;
  /** `mesh.agent` tokens by peer id. */
  readonly agentTokens: Readonly<Record<string, string>>;
  /** The tokens of the `tokens` option, by id. */
  readonly tokens: Readonly<Record<string, string>>;
  /** The current child process. */
  readonly proc: ChildProcess;
  /** Resolves when the current child process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Its stdout lines, every start included. */
  readonly stdout: readonly string[];
  /** Its stderr lines parsed as pino JSON (`{ raw }` when not JSON), every start included. */
  readonly logs: readonly Record<string, unknown>[];
  /** Resolves with the first log line `match` accepts (lines already seen included). */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** SIGTERM (it drains itself) and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and waits for the exit: a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same store, tokens and port; `env` is added to its environment from now on (a new `DRAINKIT_VERSION_LABEL`, say). */
  restart(env?: Readonly<Record<string, string>>): Promise<void>;
  /** Stops it, and removes the directory when it created it. */
  dispose(): Promise<void>;
}

/**
 * The one way tests start a real control plane: `drainkit serve` as a child
 * process (spawned with `process.execPath`, so on the Node that runs the
 * tests) on a loopback port, resolved once it printed its banner.
 *
 * @example
 * const cp = await startControlPlaneForTest({ adminToken: "dk_test_admin_0123456789", agents: ["web-1"] });
 * await fetch(`${cp.url}/control/peers`, { headers: { authorization: `Bearer ${cp.adminToken}` } });
 * await cp.dispose();
 */
export async function startControlPlaneForTest(options: ControlPlaneForTestOptions = {}): Promise<ControlPlaneForTest> {
  const withTokenFile = options.agents !== undefined || options.tokens !== undefined;
  const ownDir = options.dir === undefined && (options.store === undefined || withTokenFile);
  const dir = ownDir ? await mkdtemp(join(tmpdir(), "drainkit-test-")) : options.dir;
  const dbPath = options.store === undefined ? join(dir!, "drainkit.db") : undefined;
  const agentTokens: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let tokenArgs: string[] = [];
  if (withTokenFile && dir !== undefined) {
    const tokenFile = join(dir, "tokens.json");
    for (const id of options.agents ?? []) agentTokens[id] = await addToken(tokenFile, id, ["mesh.agent"]);
    for (const [id, scopes] of Object.entries(options.tokens ?? {})) tokens[id] = await addToken(tokenFile, id, scopes);
    tokenArgs = ["--token-file", tokenFile];
  }
  const env: Record<string, string | undefined> = { ...process.env, ...(options.adminToken === undefined ? {} : { DRAINKIT_ADMIN_TOKEN: options.adminToken }), ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];

  const stdout: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let port = options.port ?? 0;
  let current: { proc: ChildProcess; exited: ControlPlaneForTest["exited"] } | undefined;
  let url = "";
  let grpc: string | undefined;
  const givenAdminToken = options.adminToken ?? env["DRAINKIT_ADMIN_TOKEN"];
  let createdAdminToken: string | undefined;

  const launch = async (): Promise<void> => {
    const args = [MAIN, "serve", "--store", options.store ?? `sqlite:${dbPath}`, "--listen", `127.0.0.1:${port}`, ...tokenArgs];
    if (options.grpc === true) args.push("--grpc", "127.0.0.1:0");
    if (options.selfPeer !== true) args.push("--no-self-peer");
    args.push(...(options.args ?? []), "--log-level", options.logLevel ?? "warn");
    const proc = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
    current = { proc, exited };
    let errTail = "";
    proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      errTail += chunk;
      for (let i = errTail.indexOf("\n"); i !== -1; i = errTail.indexOf("\n")) {
        const line = errTail.slice(0, i);
        errTail = errTail.slice(i + 1);
        const parsed = parseLog(line);
        logs.push(parsed);
        for (const w of [...waiters]) {
          if (w.match(parsed)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(parsed);
          }
        }
      }
    });
    const from = stdout.length;
    const banner = await new Promise<string>((resolve, reject) => {
      let outTail = "";
      proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        outTail += chunk;
        for (let i = outTail.indexOf("\n"); i !== -1; i = outTail.indexOf("\n")) {
          stdout.push(outTail.slice(0, i));
          outTail = outTail.slice(i + 1);
        }
        // The banner is one write that always ends with the admin token lines.
        const mine = stdout.slice(from);
        if (mine.some((l) => l.startsWith("  admin token"))) resolve(mine.join("\n"));
      });
      void exited.then(({ code, signal }) =>
        reject(new Error(`drainkit serve exited (${code ?? signal}) before its banner:\n${stdout.slice(from).join("\n")}\n${logs.map((l) => JSON.stringify(l)).join("\n")}`)),
      );
    });
    url = /listening on (\S+)/.exec(banner)![1]!;
    port = Number(new URL(url).port);
    grpc = /gRPC \(drainkit\.control\.v1\): (\S+)/.exec(banner)?.[1];
    createdAdminToken ??= /admin token \(shown once[^\n]*\n\s+(dk_\S+)/.exec(banner)?.[1];
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (current === undefined || current.proc.exitCode !== null || current.proc.signalCode !== null) return;
    current.proc.kill(sig);
    await current.exited;
  };
  await launch();
  return {
    get url() {
      return url;
    },
    get grpc() {
      return grpc;
    },
    dir,
    dbPath,
    get adminToken() {
      return givenAdminToken ?? createdAdminToken;
    },
    get createdAdminToken() {
      return createdAdminToken;
    },
    agentTokens,
    tokens,
    get proc() {
      return current!.proc;
    },
    get exited() {
      return current!.exited;
    },
    stdout,
    logs,
    waitForLog(match) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
    restart: async (more) => {
      await signal("SIGTERM");
      Object.assign(env, more);
      await launch();
    },
    dispose: async () => {
      await signal("SIGTERM");
      if (ownDir) await rm(dir!, { recursive: true, force: true });
    },
  };
}

function parseLog(line: string): Record<string, unknown> {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // Not a pino line (a stack trace, a warning from Node): kept as is.
  }
  return { raw: line };
}
