// Fan-out of the event feed: W concurrent SSE watchers on `/control/events`
// (in a child process, so the server's event loop serves only the feed) while
// the server goes through the peer changes of a P-peer rolling upgrade: waves
// of 50 peers cordoned, then uncordoned, over HTTP, each change audited (so every change
// is two events, the peer and its audit entry). Lag is measured per watcher
// and per revision, from the change committed (the server's own in-process
// watch sees it: one clock, `performance.timeOrigin + now()`, shared by both
// processes) to the watcher reading its `id:` line. Beside it, the same
// changes with 1 watcher: the baseline. Prints figures; asserts nothing about
// time.
//
//   DRAINKIT_BENCH_FANOUT=1 tsx bench/index.ts     (from `pnpm bench`)
//   DRAINKIT_BENCH_WATCHERS=1000 DRAINKIT_BENCH_PEERS=1000 tsx bench/eventFanout.ts
//   DRAINKIT_BENCH_WATCHER_PROCESSES=2     spread the watchers over 2 child processes (default 1)
import { fork, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { figure, quantile } from "@drainkit/bench";
import type { Principal } from "@drainkit/registry";
import { startControlPlane } from "../src/controlPlane.ts";

const TOKEN = "bench-admin-token-0123456789abcdef";
const WAVE = 50;
const now = (): number => performance.timeOrigin + performance.now();

/** Messages between the server (parent) and the watchers (child). */
type ToWatchers = { type: "open"; url: string; watchers: number; from: number } | { type: "end"; last: number; committed: [number, number][] };
type FromWatchers = { type: "ready" } | { type: "result"; lagsMs: number[]; missing: number; events: number; cpuMs: number };

/** The child: opens the watchers, records when each saw each revision, computes lags once told the commit times. */
async function watcherProcess(): Promise<void> {
  const send = (m: FromWatchers): void => void process.send!(m);
  const seen: Map<number, number>[] = [];
  let want = Number.POSITIVE_INFINITY;
  let events = 0;
  let done: (() => void) | undefined;
  const complete = (): boolean => seen.every((s) => s.has(want));
  process.on("message", (m: ToWatchers) => {
    if (m.type === "open") {
      let open = 0;
      for (let w = 0; w < m.watchers; w++) {
        const mine = new Map<number, number>();
        seen.push(mine);
        let rest = "";
        const req = request(`${m.url}/control/events?since=${m.from}`, { agent: false, headers: { authorization: `Bearer ${TOKEN}`, accept: "text/event-stream" } }, (res) => {
          res.setEncoding("utf8");
          if (++open === m.watchers) send({ type: "ready" });
          res.on("data", (chunk: string) => {
            const at = now();
            const lines = (rest + chunk).split("\n");
            rest = lines.pop()!;
            for (const line of lines) {
              if (!line.startsWith("id: ")) continue;
              events++;
              const id = Number(line.slice(4));
              if (!mine.has(id)) mine.set(id, at);
              if (id >= want && done !== undefined && complete()) done();
            }
          });
        });
        req.on("error", () => {});
        req.end();
      }
      return;
    }
    want = m.last;
    const committed = new Map(m.committed);
    void new Promise<void>((resolve) => {
      done = resolve;
      if (complete()) resolve();
      setTimeout(resolve, 60_000).unref();
    }).then(() => {
      const lagsMs: number[] = [];
      let missing = 0;
      for (const mine of seen) {
        for (const [revision, at] of committed) {
          const got = mine.get(revision);
          if (got === undefined) missing++;
          else lagsMs.push(got - at);
        }
      }
      const cpu = process.cpuUsage();
      send({ type: "result", lagsMs, missing, events, cpuMs: (cpu.user + cpu.system) / 1000 });
      setTimeout(() => process.exit(0), 100);
    });
  });
}

async function post(url: string, body: unknown): Promise<void> {
  const r = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
}

interface FanoutResult {
  p50: number;
  p99: number;
  max: number;
  missing: number;
  revisions: number;
  events: number;
  ms: number;
  /** CPU time of the server's process (and the HTTP callers in it) over the changes, and of the watchers' processes over their whole life, ms. */
  serverCpuMs: number;
  watchersCpuMs: number;
}

async function run(watchers: number, peers: number, processes: number): Promise<FanoutResult> {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-fanout-"));
  const silent = new Writable({ write: (_c, _e, cb) => cb() });
  const cp = await startControlPlane({ store: `sqlite:${join(dir, "drainkit.db")}`, listen: "127.0.0.1:0", adminToken: TOKEN, tokenFile: join(dir, "tokens.json"), logLevel: "warn", logDestination: silent });
  const ops: Principal = { id: "ops", scopes: ["mesh.operate"] };
  const ids = Array.from({ length: peers }, (_, i) => `up-${String(i).padStart(5, "0")}`);
  const children: ChildProcess[] = [];
  try {
    await Promise.all(ids.map((id, i) => cp.registry.registerPeer(ops, { id, address: `10.1.${i >> 8}.${i & 255}:80`, pools: ["fleet"], roles: ["edge"] })));
    const from = await cp.store.revision();
    const committed = new Map<number, number>();
    const reference = cp.registry.watchAll(from, (c) => {
      if (!committed.has(c.revision) && c.kind !== "placement") committed.set(c.revision, now());
    });
    // The watchers, spread over `processes` child processes (their parsing is not the server's cost).
    const replies: FromWatchers[] = [];
    let wake: (() => void) | undefined;
    for (let k = 0; k < Math.min(processes, watchers); k++) {
      const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, DRAINKIT_BENCH_FANOUT_CHILD: "1" }, execArgv: process.execArgv });
      child.on("message", (m: FromWatchers) => {
        replies.push(m);
        wake?.();
      });
      children.push(child);
    }
    const next = async (): Promise<FromWatchers> => {
      while (replies.length === 0) await new Promise<void>((r) => (wake = r));
      return replies.shift()!;
    };
    children.forEach((child, k) => {
      const share = Math.floor(watchers / children.length) + (k < watchers % children.length ? 1 : 0);
      child.send({ type: "open", url: cp.url, watchers: share, from } satisfies ToWatchers);
    });
    for (const _ of children) await next();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    for (let w = 0; w < ids.length; w += WAVE) {
      const wave = ids.slice(w, w + WAVE);
      // Over HTTP, as operators and controllers' agents drive a real upgrade (in-process calls on synchronous SQLite never
      // yield to the event loop, so no socket would be written until the loop ended).
      await Promise.all(wave.map((id) => post(`${cp.url}/control/peers/${id}:cordon`, { reason: "rolling upgrade" })));
      await Promise.all(wave.map((id) => post(`${cp.url}/control/peers/${id}:uncordon`, {})));
    }
    const ms = performance.now() - start;
    const last = await cp.store.revision();
    while (!committed.has(last)) await new Promise((r) => setTimeout(r, 5));
    reference.close();
    for (const child of children) child.send({ type: "end", last, committed: [...committed] } satisfies ToWatchers);
    const results: Extract<FromWatchers, { type: "result" }>[] = [];
    for (const _ of children) results.push((await next()) as Extract<FromWatchers, { type: "result" }>);
    const cpu = process.cpuUsage(cpuBefore);
    const lags = results.flatMap((r) => r.lagsMs).sort((a, b) => a - b);
    const sum = (f: (r: (typeof results)[number]) => number): number => results.reduce((s, r) => s + f(r), 0);
    return {
      p50: quantile(lags, 0.5),
      p99: quantile(lags, 0.99),
      max: lags[lags.length - 1] ?? 0,
      missing: sum((r) => r.missing),
      revisions: committed.size,
      events: sum((r) => r.events),
      ms,
      serverCpuMs: (cpu.user + cpu.system) / 1000,
      watchersCpuMs: sum((r) => r.cpuMs),
    };
  } finally {
    for (const child of children) child.kill();
    await cp.shutdown("bench done");
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.env["DRAINKIT_BENCH_FANOUT_CHILD"] === "1") {
  await watcherProcess();
} else {
  const watchers = Number(process.env["DRAINKIT_BENCH_WATCHERS"] ?? 1000);
  const peers = Number(process.env["DRAINKIT_BENCH_PEERS"] ?? 1000);
  const round = (x: number): number => Math.round(x * 10) / 10;
  const processes = Number(process.env["DRAINKIT_BENCH_WATCHER_PROCESSES"] ?? 1);
  const one = await run(1, peers, 1);
  figure("control-plane.event-fanout.sqlite.w1", one.p99, "ms p99", { p50Ms: round(one.p50), maxMs: round(one.max), peers, revisions: one.revisions, missing: one.missing, changesMs: Math.round(one.ms) });
  const many = await run(watchers, peers, processes);
  figure(`control-plane.event-fanout.sqlite.w${watchers}`, many.p99, "ms p99", {
    baseline: one.p99,
    p50Ms: round(many.p50),
    maxMs: round(many.max),
    baselineP50Ms: round(one.p50),
    watchers,
    peers,
    revisions: many.revisions,
    eventsReceived: many.events,
    missing: many.missing,
    changesMs: Math.round(many.ms),
    serverCpuMs: Math.round(many.serverCpuMs),
    watchersCpuMs: Math.round(many.watchersCpuMs),
    watcherProcesses: processes,
    target: "p99 <= 100 ms",
  });
}
