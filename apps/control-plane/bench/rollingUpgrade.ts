// A rolling upgrade of N hosts, end to end: one `drainkit serve` replica in
// a process of its own (./benchServer.ts) on 127.0.0.1, N real DrainAgents
// in this process (each its own @drainkit/client over REST + SSE), and a
// rollout started through the real API (`POST /control/upgrade/drain`, what
// `drainctl rollout start` sends) and driven by the replica's leader. Each
// host's gate has some in-flight work that ends a moment after the gate
// closes; once drained, the host "upgrades": after a short delay its agent
// stops and starts again reporting the new version (what a restarted
// process does), and the leader resumes it once it reports that version.
//
// Prints, per wave: start (first drain seen by an agent of the wave), end
// (last node of the wave recorded healthy), wall time, the wave's drain
// deadline (the rollout's drainTimeoutMs) and the drains that missed it;
// then the whole rollout's wall time, the server's RSS before and after and
// the agents' status-report p50/p99 during the rollout. Asserts nothing
// about time.
//
//   DRAINKIT_BENCH_ROLLING=1000                  hosts (default 100)
//   DRAINKIT_BENCH_ROLLING_STORES=sqlite,etcd    stores (default sqlite; etcd is a 3-member cluster)
//   DRAINKIT_BENCH_ROLLING_PARALLEL=100          maxParallel, nodes per wave (default a tenth of the hosts)
//   DRAINKIT_BENCH_ROLLING_DEADLINE_MS=30000     each drain's deadline, drainTimeoutMs (default 30 s)
//   DRAINKIT_BENCH_ROLLING_WORK_MS=200           in-flight work a host finishes after its gate closes (default 200 ms)
//   DRAINKIT_BENCH_ROLLING_UPGRADE_MS=500        the upgrade: time between drained and the agent restarting on the new version (default 500 ms)
//   DRAINKIT_BENCH_ROLLING_HEARTBEAT_MS=5000     the agents' heartbeat (default 5 s, the agent's default)
//   DRAINKIT_BENCH_ROLLING_MIN_HEALTHY_MS=0      minHealthyMs of the rollout (default 0: healthy at the first heartbeat after resume)
//   DRAINKIT_BENCH_ROLLING_FAILURES=0            failureThreshold of the rollout (default 0: it pauses at the first failed node)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { figure, quantile } from "@drainkit/bench";
import { createControlPlaneClient } from "@drainkit/client";
import { NodeDrainCoordinator, systemClock, type DrainParticipant } from "@drainkit/core";
import { DrainAgent, type AgentEvent } from "@drainkit/agent";
import type { Rollout } from "@drainkit/registry";
import { startEtcd } from "@drainkit/store-etcd/testing";
import { etcdSizeMb, spawnServer, sqliteSizeMb } from "./spawnServer.ts";

const TOKEN = "bench-admin-token-0123456789abcdef";
const HOSTS = Number(process.env["DRAINKIT_BENCH_ROLLING"] ?? 100);
const STORES = (process.env["DRAINKIT_BENCH_ROLLING_STORES"] ?? "sqlite").split(",");
const PARALLEL = Number(process.env["DRAINKIT_BENCH_ROLLING_PARALLEL"] ?? Math.max(1, Math.round(HOSTS / 10)));
const DEADLINE_MS = Number(process.env["DRAINKIT_BENCH_ROLLING_DEADLINE_MS"] ?? 30_000);
const WORK_MS = Number(process.env["DRAINKIT_BENCH_ROLLING_WORK_MS"] ?? 200);
const UPGRADE_MS = Number(process.env["DRAINKIT_BENCH_ROLLING_UPGRADE_MS"] ?? 500);
const HEARTBEAT_MS = Number(process.env["DRAINKIT_BENCH_ROLLING_HEARTBEAT_MS"] ?? 5_000);
const MIN_HEALTHY_MS = Number(process.env["DRAINKIT_BENCH_ROLLING_MIN_HEALTHY_MS"] ?? 0);
/** failureThreshold of the rollout: past it the leader pauses it (default 0, the product's default). */
const FAILURES = Number(process.env["DRAINKIT_BENCH_ROLLING_FAILURES"] ?? 0);
/** The whole rollout may take this long before the bench gives up on it. */
const GIVE_UP_MS = Number(process.env["DRAINKIT_BENCH_ROLLING_GIVE_UP_MS"] ?? 1_800_000);
const FROM = "1.0.0";
const TO = "2.0.0";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (n: number): number => Math.round(n * 10) / 10;

/** What one host saw, epoch ms. */
interface HostTimes {
  drainAt?: number;
  drainedAt?: number;
  drainFailed?: string;
  restartedAt?: number;
  resumedAt?: number;
}

/** One call of the rollout API (the client has no rollout verbs; `drainctl rollout` sends the same requests). */
async function api<T>(url: string, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const r = await fetch(`${url}${path}`, {
    method,
    signal: AbortSignal.timeout(30_000),
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** A gate with `workMs` of in-flight work left when it closes (requests finishing). */
function gate(workMs: number): DrainParticipant {
  let inFlight = 0;
  const idle = new Set<() => void>();
  return {
    name: "http",
    drain: () => {
      inFlight = 1;
      setTimeout(() => {
        inFlight = 0;
        for (const l of [...idle]) l();
      }, workMs);
    },
    inFlight: () => inFlight,
    onIdle: (l) => {
      idle.add(l);
      return () => idle.delete(l);
    },
    resume: () => {},
  };
}

async function run(label: string, store: string, size: () => Promise<number>, dir: string): Promise<void> {
  const server = await spawnServer({ store, token: TOKEN, dir });
  // The agents' REST calls and SSE streams on one pool without a connection limit (each stream holds a socket, as
  // each host's own client would); status reports are timed here, as the agents make them.
  const pool = new Agent({ keepAliveTimeout: 30_000 });
  const statusMs: number[] = [];
  let timing = false;
  let statusErrors = 0;
  let firstStatusError: string | undefined;
  const timed = (async (input: string | URL, init?: RequestInit) => {
    const isStatus = init?.method === "PUT" && String(input).endsWith("/status");
    const t = performance.now();
    try {
      const r = await undiciFetch(input, { ...(init as object), dispatcher: pool });
      if (isStatus && timing) {
        if (r.ok) statusMs.push(performance.now() - t);
        else {
          statusErrors++;
          firstStatusError ??= `HTTP ${r.status}`;
        }
      }
      return r;
    } catch (e) {
      if (isStatus && timing) {
        statusErrors++;
        firstStatusError ??= e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      throw e;
    }
  }) as unknown as typeof fetch;
  const clock = systemClock();
  const times = new Map<string, HostTimes>();
  const agents: DrainAgent[] = [];
  const restarts: Promise<void>[] = [];
  let restartErrors = 0;
  let firstRestartError: string | undefined;
  try {
    const ids = Array.from({ length: HOSTS }, (_, i) => `host-${String(i).padStart(5, "0")}`);
    for (const [i, id] of ids.entries()) {
      let version = FROM;
      const t: HostTimes = {};
      times.set(id, t);
      const client = createControlPlaneClient({ url: server.url, token: TOKEN, fetch: timed });
      const agent: DrainAgent = new DrainAgent({
        controlPlane: client,
        peer: { id, address: `10.2.${i >> 8}.${i & 255}:8080`, pools: [`pool-${i % 10}`], roles: ["edge"], labels: () => ({ version }) },
        coordinator: new NodeDrainCoordinator({ clock, participants: [gate(WORK_MS)], roles: ["edge"], node: id }),
        clock,
        heartbeatMs: HEARTBEAT_MS,
        events: {
          emit: (e: AgentEvent) => {
            if (e.type === "agent-drain") t.drainAt ??= e.at;
            else if (e.type === "agent-resume" && t.restartedAt !== undefined) t.resumedAt ??= e.at;
            else if (e.type === "agent-drain-result") {
              if (e.status === "failed") t.drainFailed = e.failure ?? "failed";
              else if (t.drainedAt === undefined) {
                t.drainedAt = e.at;
                // The upgrade: the host's tooling installs the new version and restarts the process; its agent registers again with it.
                restarts.push(
                  sleep(UPGRADE_MS)
                    .then(() => agent.stop())
                    .then(() => {
                      version = TO;
                      return agent.start();
                    })
                    .then(() => {
                      t.restartedAt = Date.now();
                    })
                    .catch((err: unknown) => {
                      restartErrors++;
                      firstRestartError ??= err instanceof Error ? err.message : String(err);
                    }),
                );
              }
            }
          },
        },
      });
      agents.push(agent);
    }
    // Registration, 50 at a time (a fleet's hosts do not all boot in the same millisecond either).
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = next++; i < agents.length; i = next++) await agents[i]!.start();
      }),
    );
    const rssStart = await server.rssMb();
    const heapStart = server.memory()?.heapUsedMb;
    const dbStart = await size();
    timing = true;
    const started = Date.now();
    const first = await api<Rollout>(server.url, "POST", "/control/upgrade/drain", {
      version: TO,
      reason: "bench rolling upgrade",
      maxParallel: PARALLEL,
      drainTimeoutMs: DEADLINE_MS,
      minHealthyMs: MIN_HEALTHY_MS,
      failureThreshold: FAILURES,
    });
    let rollout = first;
    // Followed as `drainctl rollout status` would, but polled (once a second) rather than per change, to keep the bench's own load small.
    let polls = 0;
    let pollErrors = 0;
    let firstPollError: string | undefined;
    while (!["completed", "incomplete", "aborted", "paused"].includes(rollout.state) && Date.now() - started < GIVE_UP_MS) {
      await sleep(1_000);
      // A replica too busy to answer within 30 s is noted, not fatal: the bench keeps following until it gives up.
      rollout = await api<Rollout>(server.url, "GET", `/control/upgrade?id=${encodeURIComponent(first.id)}`).catch((e: unknown) => {
        pollErrors++;
        firstPollError ??= e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        return rollout;
      });
      if (++polls % 30 === 0 && process.env["DRAINKIT_BENCH_VERBOSE"] === "1") {
        process.stderr.write(`${label} rolling ${HOSTS}: ${rollout.state} ${JSON.stringify(rollout.progress)} rss ${round(await server.rssMb())} MB\n`);
      }
    }
    const ended = Date.now();
    timing = false;
    await Promise.all(restarts);
    const waves = new Map<number, string[]>();
    for (const [id, n] of Object.entries(rollout.nodes)) {
      const w = n.wave ?? -1;
      waves.set(w, [...(waves.get(w) ?? []), id]);
    }
    const perWave = [...waves.entries()]
      .sort(([a], [b]) => a - b)
      .map(([wave, nodes]) => {
        const ts = nodes.map((n) => times.get(n)!);
        const start = Math.min(...ts.map((t) => t.drainAt ?? Number.POSITIVE_INFINITY));
        const end = Math.max(...nodes.map((n) => (rollout.nodes[n]!.step === "healthy" ? rollout.nodes[n]!.at : Number.NaN)));
        const drains = ts.map((t) => (t.drainAt !== undefined && t.drainedAt !== undefined ? t.drainedAt - t.drainAt : Number.NaN));
        // A drain that failed, or ended (or had not ended when the bench stopped) past its deadline; nodes never drained are not counted.
        const missed = ts.filter((t) => t.drainAt !== undefined && (t.drainFailed !== undefined || (t.drainedAt ?? ended) > t.drainAt + DEADLINE_MS)).length;
        const drained = ts.filter((t) => t.drainedAt !== undefined).length;
        const notHealthy = nodes.filter((n) => rollout.nodes[n]!.step !== "healthy").length;
        return {
          wave,
          nodes: nodes.length,
          startMs: start - started,
          endMs: end - started,
          wallMs: end - start,
          drainDeadlineMs: DEADLINE_MS,
          ratioToDeadline: Math.round(((end - start) / DEADLINE_MS) * 1000) / 1000,
          drainP50Ms: quantile(drains.filter(Number.isFinite), 0.5),
          drainMaxMs: Math.max(...drains.filter(Number.isFinite)),
          drained,
          missedDeadline: missed,
          notHealthy,
        };
      });
    const worstWave = Math.max(...perWave.map((w) => w.wallMs));
    figure(`control-plane.rolling-upgrade.${label}.${HOSTS}`, (ended - started) / 1000, "s", {
      hosts: HOSTS,
      state: rollout.state,
      ...(rollout.stateReason === undefined ? {} : { stateReason: rollout.stateReason }),
      waves: perWave.length,
      maxParallel: PARALLEL,
      drainDeadlineMs: DEADLINE_MS,
      worstWaveMs: Math.round(worstWave),
      worstWaveVsDeadline: Math.round((worstWave / DEADLINE_MS) * 1000) / 1000,
      missedDeadline: perWave.reduce((s, w) => s + w.missedDeadline, 0),
      notHealthy: perWave.reduce((s, w) => s + w.notHealthy, 0),
      perWave: perWave.map((w) => ({ ...w, startMs: Math.round(w.startMs), endMs: Math.round(w.endMs), wallMs: Math.round(w.wallMs) })),
      baseline: (perWave.length * (WORK_MS + UPGRADE_MS)) / 1000,
      baselineName: "the hosts' own time: waves × (in-flight work + upgrade)",
      statusReports: statusMs.length,
      statusP50Ms: round(quantile(statusMs, 0.5)),
      statusP99Ms: round(quantile(statusMs, 0.99)),
      statusErrors,
      restartErrors,
      pollErrors,
      ...(firstPollError === undefined ? {} : { firstPollError }),
      ...(firstStatusError === undefined ? {} : { firstStatusError }),
      failures: Object.entries(rollout.nodes)
        .filter(([, n]) => n.step === "failed")
        .slice(0, 3)
        .map(([id, n]) => `${id}: ${n.reason ?? "?"}`),
      ...(firstRestartError === undefined ? {} : { firstRestartError }),
      rssMb: { start: round(rssStart), end: round(await server.rssMb()) },
      heapUsedMb: { start: heapStart, end: server.memory()?.heapUsedMb },
      dbMb: { start: round(dbStart), end: round(await size()) },
      workMs: WORK_MS,
      upgradeMs: UPGRADE_MS,
      heartbeatMs: HEARTBEAT_MS,
      minHealthyMs: MIN_HEALTHY_MS,
      failureThreshold: FAILURES,
    });
  } finally {
    await Promise.all(agents.map((a) => a.stop().catch(() => {})));
    await pool.close();
    await server.stop();
  }
}

for (const storeKind of STORES) {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-rolling-"));
  try {
    if (storeKind === "sqlite") {
      const path = join(dir, "drainkit.db");
      await run("sqlite", `sqlite:${path}`, () => sqliteSizeMb(path), dir);
    } else if (storeKind === "etcd") {
      const etcd = await startEtcd({ members: 3 }).catch((e: unknown) => {
        process.stderr.write(`etcd unavailable, skipping the etcd rolling upgrade: ${e instanceof Error ? e.message : String(e)}\n`);
        return undefined;
      });
      if (etcd === undefined) continue;
      try {
        await run("etcd3", `etcd://${etcd.endpoints.map((u) => u.replace(/^https?:\/\//, "")).join(",")}/bench`, () => etcdSizeMb(etcd.endpoints[0]!), dir);
      } finally {
        await etcd.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
