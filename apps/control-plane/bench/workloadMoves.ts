// Drains one peer holding N workloads (owners and their children) across a
// fleet of 10 peers: the leader's drain scheduler persisting every move through
// the registry (audited) and in-process hosts playing the agents, on the memory
// store and on SQLite (a temp file), beside core's DrainScheduler doing the
// same moves with no registry at all, measured in the same process. The ratio
// (and `slowdown`, its inverse, which stays readable when the ratio rounds to
// 0) is what persistence, audit and the agents' round trips cost. On SQLite it
// also measures what one heartbeat of an unchanged N-workload placement adds to
// the file (the registry stores a placement only when it changed). Prints
// figures; asserts nothing about time.
//
//   tsx bench/workloadMoves.ts            (also run by `pnpm bench`)
//   DRAINKIT_BENCH_MOVES=1000 DRAINKIT_BENCH_STORES=memory tsx bench/workloadMoves.ts   (one size, one store)
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DrainScheduler, silentLogger, systemClock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type PlacedWorkload, type Principal, type RegistryStore } from "@drainkit/registry";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { figure } from "@drainkit/bench";
import { startWorkloadMoves } from "../src/controllers/workloadMoves.ts";
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
const workloadsOf = (n: number): PlacedWorkload[] => ownersAndChildren("w", n / (CHILDREN_PER_OWNER + 1), CHILDREN_PER_OWNER);

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
async function planned(store: RegistryStore, n: number, heartbeatMs?: number, everyBeat = false): Promise<{ ms: number }> {
  const clock = systemClock();
  const registry = createRegistry({ store, clock, pools: [{ name: "p", minAvailable: 1 }] });
  for (const id of PEERS) await registry.registerPeer(OPS, { id, address: `${id}.bench:80`, pools: ["p"], roles: ["storage"] });
  const { revision } = await registry.listPeers(OPS, { limit: 1 });
  const hosts = new InProcessHosts(registry, PEERS, { fromRevision: revision, store, everyBeat, ...(heartbeatMs === undefined ? {} : { heartbeatMs }) });
  await hosts.place(TARGET, workloadsOf(n));
  const planner = await startWorkloadMoves({ registry, clock, principal: LEADER, logger: silentLogger, term: "bench", batchSize: BATCH });
  try {
    const start = performance.now();
    await registry.drain(OPS, TARGET, { reason: "bench", deadlineMs: 3_600_000 });
    const give = start + 30 * 60_000;
    while (hosts.finished.size < n || hosts.held.get(TARGET)!.size > 0) {
      if (performance.now() > give) throw new Error(`only ${hosts.finished.size} of ${n} moves done after 30 minutes`);
      await sleep(5);
    }
    return { ms: performance.now() - start };
  } finally {
    planner.stop();
    hosts.close();
  }
}

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

for (const n of SIZES) {
  raw(n); // warm-up
  const baselineMs = Math.min(raw(n), raw(n));
  const baseline = (n * 1000) / baselineMs;
  figure(`control-plane.workload-moves.core.n${n}`, baseline, "moves/s", { drainMs: Math.round(baselineMs * 10) / 10, workloads: n, peers: PEERS.length });

  if (STORES.has("memory")) {
    const memory = await planned(makeMemoryStore(), n);
    figure(`control-plane.workload-moves.memory.n${n}`, (n * 1000) / memory.ms, "moves/s", { baseline, drainMs: Math.round(memory.ms), slowdown: Math.round(memory.ms / baselineMs), workloads: n, peers: PEERS.length, batch: BATCH });
  }
  if (!STORES.has("sqlite")) continue;
  const beats = await steadyBeats(n, 200);
  figure(`control-plane.placement-heartbeat.sqlite.n${n}`, Math.round(beats.bytesPerBeat), "bytes/beat", { workloads: n, beats: 200, listKB: beats.listKB });
  // Hosts reporting their placement after every move (the worst case); as the agent does, a move's change riding on a 1 s
  // heartbeat; and every host reporting its whole placement on every beat, changed or not (the agent's heartbeat).
  const modes = [
    { name: "sqlite", reports: "after every move" },
    { name: "sqlite.heartbeat", heartbeatMs: 1000, reports: "changed placements every 1000 ms" },
    { name: "sqlite.every-beat", heartbeatMs: 1000, everyBeat: true, reports: "every host every 1000 ms" },
  ] as const;
  for (const mode of modes) {
    const heartbeatMs = "heartbeatMs" in mode ? mode.heartbeatMs : undefined;
    const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-moves-"));
    const store = makeSqliteStore({ path: join(dir, "drainkit.db") });
    try {
      const sqlite = await planned(store, n, heartbeatMs, "everyBeat" in mode && mode.everyBeat);
      // A placement is written (under placement/<peer>, kept in the change history too) only when it changed; reported per move, the file still grows with n².
      const bytes = await dirBytes(dir);
      figure(`control-plane.workload-moves.${mode.name}.n${n}`, (n * 1000) / sqlite.ms, "moves/s", {
        baseline,
        drainMs: Math.round(sqlite.ms),
        slowdown: Math.round(sqlite.ms / baselineMs),
        workloads: n,
        peers: PEERS.length,
        batch: BATCH,
        reports: mode.reports,
        fileMB: Math.round(bytes / 1e5) / 10,
      });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
}
