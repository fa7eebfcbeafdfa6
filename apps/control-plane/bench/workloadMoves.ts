// Drains one peer holding N workloads (owners and their children) across a
// fleet of 10 peers: the leader's drain scheduler persisting every move through
// the registry (audited) and in-process hosts playing the agents, on the memory
// store and on SQLite (a temp file), beside core's DrainScheduler doing the
// same moves with no registry at all, measured in the same process. The ratio
// (and `slowdown`, its inverse, which stays readable when the ratio rounds to
// 0) is what persistence, audit and the agents' round trips cost. Each figure
// carries the store's counters per move (commits, bytes by key family, items
// listed) and, on SQLite, the disk's bound measured in the same run (raw
// commits/s × batch ÷ 3). Prints figures; asserts nothing about time.
//
//   tsx bench/workloadMoves.ts            (also run by `pnpm bench`: 1,000 and 10,000 workloads)
//   DRAINKIT_BENCH_MOVES=1000,10000,100000 tsx bench/workloadMoves.ts      (the fleet-scale side by side)
//   DRAINKIT_BENCH_MODES=memory,sqlite,sqlite.every-beat,beats ...       (per-move reports, every-beat hosts, heartbeat bytes)
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DrainScheduler, silentLogger, systemClock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type PlacedWorkload, type Principal, type RegistryStore } from "@drainkit/registry";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { figure } from "@drainkit/bench";
import { startWorkloadMoves } from "../src/controllers/workloadMoves.ts";
import { countingStore, type StoreCounters } from "./storeCounters.ts";
import { InProcessHosts, ownersAndChildren } from "./hosts.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };
const PEERS = Array.from({ length: 10 }, (_, i) => `peer-${i}`);
const TARGET = PEERS[0]!;
const CHILDREN_PER_OWNER = 4;
const BATCH = 10;
const SIZES = (process.env["DRAINKIT_BENCH_MOVES"] ?? "1000,10000").split(",").map(Number);
const STORES = new Set((process.env["DRAINKIT_BENCH_STORES"] ?? "memory,sqlite").split(","));

/** Owners with 4 children each, `n` workloads in all. */
const workloadsOf = (n: number, prefix = "w"): PlacedWorkload[] => ownersAndChildren(prefix, n / (CHILDREN_PER_OWNER + 1), CHILDREN_PER_OWNER);

/** The most workloads one placement report may carry (the registry's MAX_PLACEMENT): one peer cannot hold more. */
const MAX_PER_PEER = 10_000;

/**
 * Up to 10,000 workloads: one peer drained across 10. Past it (no peer can
 * hold more): n / 10,000 peers drained at once, each of 10,000, onto twice as
 * many destinations, so none passes 10,000 either.
 */
function fleetFor(n: number): { peers: string[]; targets: string[] } {
  if (n <= MAX_PER_PEER) return { peers: PEERS, targets: [TARGET] };
  const k = Math.ceil(n / MAX_PER_PEER);
  const targets = Array.from({ length: k }, (_, i) => `src-${i}`);
  return { peers: [...targets, ...Array.from({ length: 2 * k }, (_, i) => `dst-${i}`)], targets };
}

/** Core alone: plan and commit every move of the same drain, no persistence. */
function raw(n: number): number {
  const clock = systemClock();
  const start = performance.now();
  const s = new DrainScheduler({
    clock,
    fleet: {
      nodes: PEERS.map((id) => ({ id, pools: ["p"], phase: "active" as const })),
      workloads: workloadsOf(n).map((w) => ({ ...w, node: TARGET })),
    },
    batchSize: BATCH,
    maxDrainsPerScope: Number.MAX_SAFE_INTEGER,
    awaitIdleReport: false,
  });
  s.startDrain({ target: TARGET, epoch: 1, deadline: clock.now() + 3_600_000 });
  let moved = 0;
  for (let moves = s.tick(); moves.length > 0; moves = s.tick()) {
    for (const m of moves) s.moveCommitted(m);
    moved += moves.length;
  }
  if (moved !== n || s.status(TARGET)?.status !== "drained") throw new Error(`raw scheduler moved ${moved} of ${n}`);
  return performance.now() - start;
}

/** The leader's planner on `store`: from the drain request to every move done and the target empty. */
async function planned(raw: RegistryStore, n: number, batch: number, heartbeatMs?: number, everyBeat = false): Promise<{ ms: number; counters: StoreCounters }> {
  const { store, counters } = countingStore(raw);
  const clock = systemClock();
  const registry = createRegistry({ store, clock, pools: [{ name: "p", minAvailable: 1 }] });
  const { peers, targets } = fleetFor(n);
  for (const id of peers) await registry.registerPeer(OPS, { id, address: `${id}.bench:80`, pools: ["p"], roles: ["storage"] });
  const { revision } = await registry.listPeers(OPS, { limit: 1 });
  const hosts = new InProcessHosts(registry, peers, { fromRevision: revision, store, everyBeat, ...(heartbeatMs === undefined ? {} : { heartbeatMs }) });
  for (const [i, target] of targets.entries()) await hosts.place(target, workloadsOf(n / targets.length, targets.length === 1 ? "w" : `w${i}-`));
  // Every host reports once, so the capacity guard counts them as live and admits the drain.
  for (const id of peers) if (!targets.includes(id)) await hosts.report(id);
  const planner = await startWorkloadMoves({ registry, clock, principal: LEADER, logger: silentLogger, term: "bench", batchSize: batch });
  try {
    Object.assign(counters, { txns: 0, ops: 0, bytes: 0, txnMs: 0, gets: 0, lists: 0, listedItems: 0, readMs: 0 });
    counters.bytesByFamily.clear();
    const start = performance.now();
    for (const target of targets) await registry.drain(OPS, target, { reason: "bench", deadlineMs: 3_600_000 });
    const give = start + 30 * 60_000;
    while (hosts.finished.size < n || targets.some((t) => hosts.held.get(t)!.size > 0)) {
      if (performance.now() > give) throw new Error(`only ${hosts.finished.size} of ${n} moves done after 30 minutes`);
      await sleep(5);
    }
    return { ms: performance.now() - start, counters };
  } finally {
    planner.stop();
    hosts.close();
  }
}

/** The store's counters of one drain, per move: where the commits, the bytes and the reads go. */
const perMove = (c: StoreCounters, n: number): Record<string, unknown> => ({
  commits: c.txns,
  movesPerCommit: Math.round((n / Math.max(1, c.txns)) * 10) / 10,
  txnMs: Math.round(c.txnMs),
  readMs: Math.round(c.readMs),
  bytesPerMove: Math.round(c.bytes / n),
  byFamily: Object.fromEntries([...c.bytesByFamily].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Math.round(v / n)])),
  listedPerMove: Math.round((c.listedItems / n) * 10) / 10,
});

const dirBytes = async (dir: string): Promise<number> => {
  let bytes = 0;
  for (const f of await readdir(dir)) bytes += (await stat(join(dir, f))).size;
  return bytes;
};

/**
 * A host holding `n` workloads heartbeating its unchanged placement `beats`
 * times: what each beat adds to the SQLite file. The registry writes the list
 * only when it changed, so a beat costs the small peer status; `listKB` is
 * what a beat cost when the list rode in the peer document.
 */
async function steadyBeats(n: number, beats: number): Promise<{ bytesPerBeat: number; listKB: number }> {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-beats-"));
  const store = makeSqliteStore({ path: join(dir, "drainkit.db") });
  try {
    const registry = createRegistry({ store, clock: systemClock() });
    await registry.registerPeer(OPS, { id: TARGET, address: `${TARGET}.bench:80`, pools: ["p"], roles: ["storage"] });
    const me: Principal = { id: TARGET, scopes: ["mesh.agent"] };
    const placement = workloadsOf(n);
    await registry.reportStatus(me, TARGET, { roles: {}, epoch: 0, placement });
    const before = await dirBytes(dir);
    for (let i = 0; i < beats; i++) await registry.reportStatus(me, TARGET, { roles: {}, epoch: 0, placement });
    return { bytesPerBeat: Math.max(0, (await dirBytes(dir)) - before) / beats, listKB: Math.round(JSON.stringify(placement).length / 100) / 10 };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Raw node:sqlite commits per second on a file like the store's (WAL,
 * synchronous=FULL), each committing `rows` rows of 400 bytes: the disk's
 * bound, measured in the same run. A drain step waits for a commit, and a move
 * takes three in sequence (planned, serving, done), so `batch` moves in flight
 * cannot go faster than batch × commits/s ÷ 3.
 */
async function rawCommits(rows: number, ms = 1000): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-fsync-"));
  const db = new DatabaseSync(join(dir, "raw.db"));
  try {
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID");
    const put = db.prepare("INSERT OR REPLACE INTO t VALUES (?, ?)");
    const value = "x".repeat(400);
    let commits = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      db.exec("BEGIN IMMEDIATE");
      for (let i = 0; i < rows; i++) put.run(`k${(commits * rows + i) % 10_000}`, value);
      db.exec("COMMIT");
      commits++;
    }
    return (commits * 1000) / (performance.now() - start);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// How the hosts report placement: after every move (the worst case: the source's whole list is rewritten per move, so
// the cost grows with n), or as the agent does, a move's change riding on a 1 s heartbeat, or every host reporting its
// whole list every beat, changed or not. `batch` is the planner's moves in flight off the draining peer (`--move-batch`,
// 10 by default; b1000 is what the 2 s for 10,000 needs: each move waits for two commits before its slot frees).
const MODES = [
  { name: "memory", store: "memory", batch: BATCH, reports: "after every move" },
  { name: "memory.heartbeat", store: "memory", batch: BATCH, heartbeatMs: 1000, reports: "changed placements every 1000 ms" },
  { name: "sqlite", store: "sqlite", batch: BATCH, reports: "after every move" },
  { name: "sqlite.heartbeat", store: "sqlite", batch: BATCH, heartbeatMs: 1000, reports: "changed placements every 1000 ms" },
  { name: "sqlite.heartbeat.b100", store: "sqlite", batch: 100, heartbeatMs: 1000, reports: "changed placements every 1000 ms" },
  { name: "memory.heartbeat.b1000", store: "memory", batch: 1000, heartbeatMs: 1000, reports: "changed placements every 1000 ms" },
  { name: "sqlite.heartbeat.b1000", store: "sqlite", batch: 1000, heartbeatMs: 1000, reports: "changed placements every 1000 ms" },
  { name: "sqlite.every-beat", store: "sqlite", batch: BATCH, heartbeatMs: 1000, everyBeat: true, reports: "every host every 1000 ms" },
] as const;
/** The agent's way by default; the per-move reports (quadratic by design) behind DRAINKIT_BENCH_MODES. */
const ONLY = (process.env["DRAINKIT_BENCH_MODES"] ?? "memory.heartbeat,sqlite.heartbeat,sqlite.heartbeat.b100,sqlite.heartbeat.b1000").split(",");

const commitRate = await rawCommits(30);
figure("control-plane.workload-moves.raw-sqlite-commits", commitRate, "commits/s", { rows: 30, rowBytes: 400, synchronous: "FULL" });

for (const n of SIZES) {
  raw(n); // warm-up
  const baselineMs = Math.min(raw(n), raw(n));
  const baseline = (n * 1000) / baselineMs;
  figure(`control-plane.workload-moves.core.n${n}`, baseline, "moves/s", { drainMs: Math.round(baselineMs * 10) / 10, workloads: n, peers: PEERS.length });

  if (STORES.has("sqlite") && ONLY.includes("beats")) {
    const beats = await steadyBeats(n, 200);
    figure(`control-plane.placement-heartbeat.sqlite.n${n}`, Math.round(beats.bytesPerBeat), "bytes/beat", { workloads: n, beats: 200, listKB: beats.listKB });
  }
  for (const mode of MODES) {
    if (!ONLY.includes(mode.name) || !STORES.has(mode.store)) continue;
    const heartbeatMs = "heartbeatMs" in mode ? mode.heartbeatMs : undefined;
    const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-moves-"));
    const store = mode.store === "memory" ? makeMemoryStore() : makeSqliteStore({ path: join(dir, "drainkit.db") });
    try {
      const run = await planned(store, n, mode.batch, heartbeatMs, "everyBeat" in mode && mode.everyBeat);
      const bytes = mode.store === "sqlite" ? await dirBytes(dir) : undefined;
      // The write-ahead log's share of the file (checkpointed, not truncated, while the store is open).
      const walBytes = mode.store === "sqlite" ? await stat(join(dir, "drainkit.db-wal")).then((s) => s.size, () => 0) : undefined;
      figure(`control-plane.workload-moves.${mode.name}.n${n}`, (n * 1000) / run.ms, "moves/s", {
        baseline,
        drainMs: Math.round(run.ms),
        slowdown: Math.round(run.ms / baselineMs),
        workloads: n,
        peers: fleetFor(n).peers.length,
        drained: fleetFor(n).targets.length,
        batch: mode.batch,
        reports: mode.reports,
        ...(mode.store === "sqlite" ? { diskBoundMovesPerSec: Math.round((mode.batch * commitRate) / 3), fileMB: Math.round(bytes! / 1e5) / 10, walMB: Math.round(walBytes! / 1e5) / 10 } : {}),
        ...perMove(run.counters, n),
      });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
}
