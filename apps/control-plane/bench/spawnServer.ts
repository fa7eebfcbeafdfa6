// Starts ./benchServer.ts in a child process and reads what the fleet benches
// print beside their figures: the server's RSS and its database's size.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export interface BenchServer {
  readonly url: string;
  readonly grpc?: string;
  readonly pid: number;
  /** Resident set size of the server process, MB (from /proc). */
  rssMb(): Promise<number>;
  /** The server's own last memory line (V8 heap used / total, external), MB; undefined before the first. */
  memory(): ServerMemory | undefined;
  stop(): Promise<void>;
}

export interface ServerMemory {
  readonly heapUsedMb: number;
  readonly heapTotalMb: number;
  readonly externalMb: number;
  readonly arrayBuffersMb: number;
}

const entry = fileURLToPath(new URL("./benchServer.ts", import.meta.url));

export async function spawnServer(env: { store: string; token: string; dir: string; grpc?: boolean; compactionMs?: number }): Promise<BenchServer> {
  // DRAINKIT_BENCH_SERVER_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const flags = (process.env["DRAINKIT_BENCH_SERVER_ARGS"] ?? "").split(" ").filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...flags, entry], {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      DRAINKIT_BENCH_STORE: env.store,
      DRAINKIT_BENCH_TOKEN: env.token,
      DRAINKIT_BENCH_DIR: env.dir,
      ...(env.grpc ? { DRAINKIT_BENCH_GRPC: "1" } : {}),
      ...(env.compactionMs === undefined ? {} : { DRAINKIT_BENCH_COMPACTION_MS: String(env.compactionMs) }),
    },
  });
  let memory: ServerMemory | undefined;
  const first = await new Promise<{ url: string; grpc?: string }>((resolve, reject) => {
    let buffered = "";
    let listening = false;
    child.stdout!.on("data", (d: Buffer) => {
      buffered += d.toString();
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = JSON.parse(buffered.slice(0, nl)) as { url: string; grpc?: string } | { memory: ServerMemory };
        buffered = buffered.slice(nl + 1);
        if ("memory" in line) memory = line.memory;
        else if (!listening) {
          listening = true;
          resolve(line);
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`bench server exited (code ${code}) before listening`)));
  });
  const pid = child.pid!;
  return {
    ...first,
    pid,
    rssMb: async () => {
      const kb = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1];
      return Number(kb) / 1024;
    },
    memory: () => memory,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}

/** Size of a SQLite database with its WAL, MB. */
export async function sqliteSizeMb(path: string): Promise<number> {
  let bytes = 0;
  for (const f of [path, `${path}-wal`]) bytes += await stat(f).then((s) => s.size, () => 0);
  return bytes / 1e6;
}

/** Size of an etcd member's database (its own `dbSize`), MB. */
export async function etcdSizeMb(endpoint: string): Promise<number> {
  const r = await fetch(`${endpoint}/v3/maintenance/status`, { method: "POST", body: "{}" });
  return Number(((await r.json()) as { dbSize?: string }).dbSize ?? 0) / 1e6;
}
