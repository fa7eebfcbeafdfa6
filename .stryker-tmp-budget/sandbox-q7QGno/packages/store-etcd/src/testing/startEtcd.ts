// @ts-nocheck
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { randomUUID } from "node:crypto";

/** Settings of {@link startEtcd}. */
export interface StartEtcdOptions {
  /** Cluster size. Default 1. */
  readonly members?: 1 | 3;
  /** Parent directory for the members' data dirs (a fresh temporary dir inside it is removed on stop). Default: the OS temp dir. */
  readonly dataDir?: string;
  /** etcd executable for the process runtime. Default: `$ETCD_BIN`, then `etcd` on the PATH, then /usr/bin/etcd. */
  readonly binary?: string;
  /**
   * `container` (testcontainers), `process` (a local etcd) or `auto`
   * (default: a container when a container runtime answers, else a process).
   * `$DRAINKIT_ETCD_RUNTIME` overrides `auto`.
   */
  readonly runtime?: "auto" | "container" | "process";
  /** Container image for the container runtime. Default `quay.io/coreos/etcd:v3.4.23`. */
  readonly image?: string;
  /** How long to wait for the cluster to report healthy. Default 30000. */
  readonly startTimeoutMs?: number;
}

/** A running etcd cluster for tests; see {@link startEtcd}. */
export interface EtcdCluster {
  /** Client URLs of every member (`http://127.0.0.1:<port>`), in member order. Give a client all of them. */
  readonly endpoints: string[];
  /** How the members run. */
  readonly runtime: "container" | "process";
  /**
   * Stops member `i`: gracefully (SIGTERM, then SIGKILL after 5 s), or as a
   * crash with `{ kill: true }` (SIGKILL: a leader gets no chance to hand
   * over). Its data dir stays for {@link restartMember}.
   */
  stopMember(i: number, options?: { kill?: boolean }): Promise<void>;
  /** Starts a stopped member `i` again on its data dir and waits until it is healthy. */
  restartMember(i: number): Promise<void>;
  /**
   * Index of the member that leads the raft group now, waiting out an
   * election in progress (up to `timeoutMs`, default 10000): the member a
   * fault test kills to force an election.
   */
  leaderMember(timeoutMs?: number): Promise<number>;
  /** Stops every member and removes the data dirs. Idempotent. */
  stop(): Promise<void>;
}

/** Asks each member whether it leads the raft group; see {@link EtcdCluster.leaderMember}. */
async function findLeaderMember(endpoints: readonly string[], timeoutMs = 10_000): Promise<number> {
  const { Etcd3 } = await import("etcd3");
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (let i = 0; i < endpoints.length; i++) {
      const client = new Etcd3({ hosts: endpoints[i]!, dialTimeout: 500 });
      try {
        const status = await client.maintenance.status({ deadline: Date.now() + 1000 });
        if (status.leader === status.header.member_id) return i;
      } catch {
        // a member that does not answer does not lead
      } finally {
        client.close();
      }
    }
    if (performance.now() > deadline) throw new Error(`no etcd member of ${endpoints.join(", ")} reported itself as raft leader within ${timeoutMs} ms`);
    await delay(50);
  }
}

const defaultImage = "quay.io/coreos/etcd:v3.4.23";

interface ProcessMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly args: string[];
  child: ChildProcess | undefined;
  /** etcd's own pid (the child is a small watchdog shell around it). */
  pid: number | undefined;
  stderr: string;
}

// Whatever happens to this process (a crashed test worker included), no etcd
// may outlive it: every member runs under a shell that kills it when our end
// of its stdin closes, and a normal exit also kills and cleans up here.
const live = new Set<{ kill(): void }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const c of live) c.kill();
  });
}

function findEtcd(explicit: string | undefined): string {
  const candidates = (
    explicit !== undefined
      ? [explicit]
      : [
          process.env.ETCD_BIN,
          ...(process.env.PATH ?? "").split(delimiter).filter((d) => d !== "").map((d) => join(d, "etcd")),
          "/usr/bin/etcd",
          "/usr/local/bin/etcd",
        ]
  ).filter((c): c is string => c !== undefined && c !== "");
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `No etcd executable found (looked at ${candidates.join(", ")}). Install it with "apt-get install -y etcd-server" ` +
      "(.ci/run does this on a clean machine), set ETCD_BIN, or run a container runtime for testcontainers.",
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: unknown };
    return body.health === "true" || body.health === true;
  } catch {
    return false;
  }
}

async function waitHealthy(urls: readonly string[], timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const problem = failed();
    if (problem !== undefined) throw new Error(problem);
    const states = await Promise.all(urls.map(healthy));
    if (states.every(Boolean)) return;
    if (performance.now() > deadline) throw new Error(`etcd at ${urls.join(", ")} did not become healthy within ${timeoutMs} ms`);
    await delay(50);
  }
}

// `$1…` is etcd and its arguments. fd 3 keeps our end of stdin: when it reaches
// EOF (we closed it, or this process died) the watchdog kills etcd, and when
// this process is gone it also removes the cluster's data dir.
const watchdog = `exec 3<&0
owner=$PPID
# The owner is gone once this shell was re-parented (a dead but unreaped owner
# still answers kill -0). Files close just before re-parenting: look a few times.
owner_gone() {
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if [ -r /proc/$$/stat ]; then
      read -r _ _ _ ppid _ < /proc/$$/stat
      [ "$ppid" != "$owner" ] && return 0
    else
      kill -0 "$owner" 2>/dev/null || return 0
    fi
    sleep 0.05
  done
  return 1
}
"$@" </dev/null &
pid=$!
echo "$pid"
( cat <&3 >/dev/null
  kill -9 "$pid" 2>/dev/null
  if owner_gone; then
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -rf "$DRAINKIT_ETCD_ROOT"
  fi ) &
wait "$pid"`;

function launch(member: ProcessMember, binary: string, root: string): void {
  const child = spawn("/bin/sh", ["-c", watchdog, "etcd-watchdog", binary, ...member.args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, DRAINKIT_ETCD_ROOT: root },
  });
  // A forgotten stop() must not keep the test process alive: when it exits,
  // the watchdog cleans up.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
  member.child = child;
  member.pid = undefined;
  member.stderr = "";
  child.stdout?.once("data", (d: Buffer) => {
    const pid = Number.parseInt(d.toString(), 10);
    if (Number.isFinite(pid)) member.pid = pid;
  });
  child.stderr?.on("data", (d: Buffer) => {
    member.stderr = (member.stderr + d.toString()).slice(-4000);
  });
  child.on("exit", () => {
    if (member.child === child) member.child = undefined;
  });
}

async function terminate(member: ProcessMember, first: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const child = member.child;
  if (child === undefined) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const signal = (sig: NodeJS.Signals): void => {
    if (member.pid === undefined) return;
    try {
      process.kill(member.pid, sig);
    } catch {
      // already gone
    }
  };
  // Without etcd's pid, closing stdin makes the watchdog kill it.
  if (member.pid === undefined) child.stdin?.end();
  else signal(first);
  const timer = setTimeout(() => {
    signal("SIGKILL");
    child.stdin?.end();
  }, 5000);
  await exited;
  clearTimeout(timer);
  child.stdin?.end();
  member.child = undefined;
}

async function startProcessCluster(options: StartEtcdOptions, size: number): Promise<EtcdCluster> {
  const binary = findEtcd(options.binary);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const parent = options.dataDir ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  const root = mkdtempSync(join(parent, "drainkit-etcd-"));
  const token = `drainkit-${randomUUID()}`;
  const ports = await Promise.all(Array.from({ length: size * 2 }, freePort));
  const names = Array.from({ length: size }, (_, i) => `m${i}`);
  const peerUrl = (i: number): string => `http://127.0.0.1:${ports[2 * i + 1]}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(",");
  const members: ProcessMember[] = names.map((name, i) => {
    const clientUrl = `http://127.0.0.1:${ports[2 * i]}`;
    return {
      name,
      clientUrl,
      child: undefined,
      pid: undefined,
      stderr: "",
      args: [
        `--name=${name}`,
        `--data-dir=${join(root, name)}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl(i)}`,
        `--initial-advertise-peer-urls=${peerUrl(i)}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=new`,
        `--initial-cluster-token=${token}`,
        "--logger=zap",
        "--log-outputs=stderr",
        "--log-level=error",
        // etcd's defaults: shorter ones elect faster after a stop, but cause
        // spurious elections on a busy test machine.
        "--heartbeat-interval=100",
        "--election-timeout=1000",
      ],
    };
  });
  let stopped = false;
  const cleanup = {
    kill: () => {
      for (const m of members) {
        if (m.pid !== undefined) {
          try {
            process.kill(m.pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        m.child?.kill("SIGKILL");
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  live.add(cleanup);
  installExitHook();

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // The data is thrown away, so there is nothing to shut down gracefully
    // (and members stopping together would wait on each other's leadership transfer).
    await Promise.all(members.map((m) => terminate(m, "SIGKILL")));
    live.delete(cleanup);
    rmSync(root, { recursive: true, force: true });
  };

  const deadMember = (subset: readonly ProcessMember[]) => (): string | undefined => {
    const dead = subset.find((m) => m.child === undefined);
    return dead === undefined ? undefined : `etcd member ${dead.name} (${binary}) exited while starting:\n${dead.stderr}`;
  };

  try {
    for (const m of members) launch(m, binary, root);
    await waitHealthy(members.map((m) => m.clientUrl), timeoutMs, deadMember(members));
  } catch (error) {
    await stop();
    throw error;
  }

  const member = (i: number): ProcessMember => {
    const m = members[i];
    if (m === undefined) throw new RangeError(`No member ${i}: the cluster has ${members.length}`);
    return m;
  };

  return {
    endpoints: members.map((m) => m.clientUrl),
    runtime: "process",
    stopMember: async (i, how) => terminate(member(i), how?.kill === true ? "SIGKILL" : "SIGTERM"),
    restartMember: async (i) => {
      const m = member(i);
      if (m.child !== undefined) return;
      launch(m, binary, root);
      await waitHealthy([m.clientUrl], timeoutMs, deadMember([m]));
    },
    // A stopped member refuses the connection at once, so asking all of them costs nothing.
    leaderMember: (timeout) => findLeaderMember(members.map((m) => m.clientUrl), timeout),
    stop,
  };
}

async function containerRuntimeAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainerCluster(options: StartEtcdOptions, size: number): Promise<EtcdCluster> {
  const { GenericContainer, Network, getContainerRuntimeClient } = await import("testcontainers");
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const network = await new Network().start();
  const token = `drainkit-${randomUUID()}`;
  const names = Array.from({ length: size }, (_, i) => `m${i}-${token.slice(-8)}`);
  const initialCluster = names.map((n) => `${n}=http://${n}:2380`).join(",");
  const containers = await Promise.all(
    names.map((name) =>
      new GenericContainer(options.image ?? defaultImage)
        .withNetwork(network)
        .withNetworkAliases(name)
        .withExposedPorts(2379)
        .withStartupTimeout(timeoutMs)
        .withCommand([
          "etcd",
          `--name=${name}`,
          "--data-dir=/etcd-data",
          "--listen-client-urls=http://0.0.0.0:2379",
          `--advertise-client-urls=http://${name}:2379`,
          "--listen-peer-urls=http://0.0.0.0:2380",
          `--initial-advertise-peer-urls=http://${name}:2380`,
          `--initial-cluster=${initialCluster}`,
          "--initial-cluster-state=new",
          `--initial-cluster-token=${token}`,
          "--heartbeat-interval=100",
          "--election-timeout=1000",
        ])
        .start(),
    ),
  );
  const endpoints: string[] = [];
  const refresh = (): void => {
    endpoints.splice(0, endpoints.length, ...containers.map((c) => `http://${c.getHost()}:${c.getMappedPort(2379)}`));
  };
  refresh();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(containers.map((c) => c.stop({ timeout: 5_000 }).catch(() => undefined)));
    await network.stop().catch(() => undefined);
  };
  try {
    await waitHealthy(endpoints, timeoutMs, () => undefined);
  } catch (error) {
    await stop();
    throw error;
  }
  const container = (i: number) => {
    const c = containers[i];
    if (c === undefined) throw new RangeError(`No member ${i}: the cluster has ${containers.length}`);
    return c;
  };
  const down = new Set<number>();
  return {
    endpoints,
    runtime: "container",
    stopMember: async (i, how) => {
      // Stop (not remove) the container, so its data stays for restartMember;
      // a zero timeout is docker's SIGKILL.
      const runtime = await getContainerRuntimeClient();
      await runtime.container.stop(runtime.container.getById(container(i).getId()), { timeout: how?.kill === true ? 0 : 5 });
      down.add(i);
    },
    restartMember: async (i) => {
      if (!down.has(i)) return;
      await container(i).restart();
      down.delete(i);
      // Docker may map new host ports on restart.
      refresh();
      await waitHealthy([endpoints[i]!], timeoutMs, () => undefined);
    },
    leaderMember: (timeout) => findLeaderMember(endpoints, timeout),
    stop,
  };
}

/**
 * Starts a throw-away etcd cluster for tests: in containers (testcontainers)
 * when a container runtime answers, otherwise as local `etcd` processes on
 * free 127.0.0.1 ports with a temporary data dir. Every call gets its own
 * ports, dirs and cluster token, so parallel test files never collide.
 * Resolves once every member reports healthy; members are killed and their
 * dirs removed on {@link EtcdCluster.stop} and, failing that, when this
 * process exits (even when it is killed: each member watches its parent).
 * Fails with a message naming the fix when no etcd can be found.
 *
 * @example
 * import { startEtcd } from "@drainkit/store-etcd/testing";
 * import { makeEtcdStore } from "@drainkit/store-etcd";
 * const etcd = await startEtcd({ members: 3 });
 * const store = makeEtcdStore({ hosts: etcd.endpoints, prefix: "/test/" });
 * await etcd.stopMember(0);            // the store keeps working on a quorum of 2
 * await store.close();
 * await etcd.stop();
 */
export async function startEtcd(options: StartEtcdOptions = {}): Promise<EtcdCluster> {
  const size = options.members ?? 1;
  if (size !== 1 && size !== 3) throw new RangeError(`members must be 1 or 3, not ${String(size)}`);
  const forced = process.env.DRAINKIT_ETCD_RUNTIME;
  const runtime = options.runtime ?? (forced === "process" || forced === "container" ? forced : "auto");
  if (runtime === "container") {
    try {
      return await startContainerCluster(options, size);
    } catch (error) {
      throw new Error(
        `startEtcd: containers were asked for (runtime "container" or DRAINKIT_ETCD_RUNTIME) but failed: ${error instanceof Error ? error.message : String(error)}. ` +
          "Start Docker or Podman, or use runtime \"process\" with a local etcd.",
        { cause: error },
      );
    }
  }
  if (runtime === "auto" && (await containerRuntimeAnswers())) {
    try {
      return await startContainerCluster(options, size);
    } catch (error) {
      // A runtime that answers but cannot run the image (offline, no pull
      // rights) should not fail the tests when a local etcd exists.
      try {
        findEtcd(options.binary);
      } catch {
        throw error;
      }
      process.stderr.write(`startEtcd: containers failed (${error instanceof Error ? error.message : String(error)}); using a local etcd process\n`);
    }
  }
  // Ports picked by freePort() can be taken by someone else before etcd binds
  // them; a fresh set of ports fixes that.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startProcessCluster(options, size);
    } catch (error) {
      lastError = error;
      if (!(error instanceof Error) || !/address already in use/i.test(error.message)) throw error;
    }
  }
  throw lastError;
}
