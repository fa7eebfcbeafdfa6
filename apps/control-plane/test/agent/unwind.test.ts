import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCountingParticipant, NodeDrainCoordinator, systemClock } from "@drainkit/core";
import { createRegistry, type PlacedWorkload, type Principal, type WorkloadMove } from "@drainkit/registry";
import { makeSqliteStore } from "@drainkit/store-sqlite";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { DrainAgent, WorkloadSet, type AgentEvent } from "@drainkit/agent";
import { startControlPlaneForTest, type ControlPlaneForTest } from "../../src/testing/index.ts";
import { eventually } from "./controlPlane.ts";

// A cancelled drain unwinds its moves in flight, end to end: a real
// `drainkit serve` on SQLite (its leader plans and cancels the moves), real
// agents over HTTP, and hosts whose workloads are entries in a table the test
// inspects. Workloads named `slow-*` start on their destination only when
// the start is aborted (the destination never reports serving); `fast-*` ones
// start at once. Then the leader crashes between a resume and the cancel.

const settled = (what: string, check: () => unknown, timeoutMs = 30_000): Promise<true> =>
  eventually(async () => {
    await check();
    return true as const;
  }, what, timeoutMs);

const PEERS = ["db-1", "db-2", "db-3"];
let cp: ControlPlaneForTest;
let ops: ControlPlaneClient;

/** What serves each workload right now, across every host. */
const serving = new Map<string, Set<string>>();
/** Workloads that at some instant were served by no host. */
const gaps: string[] = [];
/** Starts of slow workloads still running, and the ones that were aborted, by `<host>/<workload>`. */
const slowStarts = new Set<string>();
const aborted: string[] = [];

interface Host {
  readonly id: string;
  readonly set: WorkloadSet;
  readonly agent: DrainAgent;
  readonly events: AgentEvent[];
}

const add = (w: string, host: string): void => void (serving.get(w) ?? serving.set(w, new Set()).get(w)!).add(host);

function host(id: string, initial: readonly PlacedWorkload[]): Host {
  const clock = systemClock();
  for (const w of initial) add(w.id, id);
  const set = new WorkloadSet(
    {
      async start(w, _move, signal) {
        if (w.id.startsWith("slow-")) {
          // A copy that never gets to serve: the start waits until it is aborted.
          slowStarts.add(`${id}/${w.id}`);
          await new Promise<void>((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }));
        }
        add(w.id, id);
      },
      async stop(w) {
        slowStarts.delete(`${id}/${w.id}`);
        if (w.id.startsWith("slow-") && !serving.get(w.id)?.has(id)) aborted.push(`${id}/${w.id}`);
        serving.get(w.id)?.delete(id);
        if ((serving.get(w.id)?.size ?? 0) === 0) gaps.push(w.id);
      },
    },
    initial,
  );
  const coordinator = new NodeDrainCoordinator({ clock, participants: [createCountingParticipant("http"), set], roles: ["storage"], node: id });
  const events: AgentEvent[] = [];
  const agent = new DrainAgent({
    controlPlane: { url: cp.url, token: cp.agentTokens[id]! },
    peer: { id, address: `127.0.0.1:${9100 + PEERS.indexOf(id)}`, pools: ["db"], roles: ["storage"] },
    coordinator,
    clock,
    workloads: set,
    heartbeatMs: 300,
    pollMs: 100,
    retry: { initialMs: 50, maxMs: 500 },
    events: { emit: (e) => events.push(e) },
  });
  return { id, set, agent, events };
}

interface Entry {
  readonly seq: number;
  readonly action: string;
  readonly actor: string;
  readonly target: string;
  readonly outcome: string;
  readonly reason?: string;
}

async function audit(): Promise<Entry[]> {
  const res = await fetch(`${cp.url}/control/audit?limit=1000`, { headers: { authorization: `Bearer ${cp.adminToken!}` } });
  return ((await res.json()) as { items: Entry[] }).items;
}

const movesOf = async (workload: string): Promise<WorkloadMove[]> => ((await ops.listMoves({ peer: "db-1" })) as WorkloadMove[]).filter((m) => m.workload === workload);

describe("a cancelled drain unwinds its moves, through drainkit serve and real agents", () => {
  const hosts: Host[] = [];
  const placed: PlacedWorkload[] = [{ id: "fast-1" }, { id: "slow-1" }, { id: "slow-2" }];

  beforeAll(async () => {
    cp = await startControlPlaneForTest({ agents: PEERS, adminToken: `dk_admin_${process.pid}_unwind`, args: ["--drain-timeout", "2s"] });
    ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken! });
    hosts.push(host("db-1", placed), host("db-2", []), host("db-3", []));
    await Promise.all(hosts.map((h) => h.agent.start()));
    await settled("db-1's placement", async () => expect((await ops.getPlacement("db-1")).items).toHaveLength(3));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.agent.stop()));
    await ops?.close();
    await cp?.dispose();
  });

  it("resume mid-drain: the moves not yet serving end cancelled and their copies stop; the committed move stays; all audited", async () => {
    await ops.drain("db-1", { reason: "replace disk", deadlineMs: 120_000 });
    // fast-1 moved (serving, then done); both slow moves are in flight, their destinations starting a copy.
    await settled("fast-1 moved and both slow copies starting", async () => {
      expect((await movesOf("fast-1")).map((m) => m.state)).toEqual(["done"]);
      for (const w of ["slow-1", "slow-2"]) expect((await movesOf(w)).map((m) => m.state)).toEqual(["starting"]);
      expect(slowStarts.size).toBe(2);
    });
    const fastHome = [...serving.get("fast-1")!][0]!;
    expect(fastHome).not.toBe("db-1");

    await ops.resume("db-1", { reason: "drill: cancel the drain" });

    await settled("both slow moves cancelled and their copies stopped", async () => {
      for (const w of ["slow-1", "slow-2"]) {
        const [m] = await movesOf(w);
        expect(m).toMatchObject({ state: "cancelled", from: "db-1", drain: { target: "db-1", epoch: 1 } });
        expect(m!.reason).toMatch(/drain of db-1 \(epoch 1\) was cancelled/);
      }
      expect(slowStarts.size).toBe(0);
    });
    // The workloads stay on their source; the committed move is not undone (make before break).
    expect(hosts[0]!.set.list().map((w) => w.id).sort()).toEqual(["slow-1", "slow-2"]);
    for (const w of ["slow-1", "slow-2"]) expect([...serving.get(w)!]).toEqual(["db-1"]);
    expect([...serving.get("fast-1")!]).toEqual([fastHome]);
    expect(hosts.find((h) => h.id === fastHome)!.set.has("fast-1")).toBe(true);
    expect(gaps).toEqual([]);
    // The destinations aborted their starts and cleaned up what they had accepted.
    expect(aborted.map((a) => a.split("/")[1]).sort()).toEqual(["slow-1", "slow-2"]);
    const cleaned = hosts.flatMap((h) => h.events.filter((e) => e.type === "agent-move" && e.action === "cleaned-up").map((e) => (e.type === "agent-move" ? e.workload : "")));
    expect(cleaned.sort()).toEqual(["slow-1", "slow-2"]);
    await settled("db-1 active again", async () => expect((await ops.getPeer("db-1")).phase).toBe("active"));

    // The audit: the cancel (resume), then each move's cancellation by the leader, with its reason.
    const entries = await audit();
    const resume = entries.find((e) => e.action === "resume" && e.target === "peer/db-1" && e.outcome === "ok")!;
    expect(resume).toMatchObject({ actor: "admin", reason: "drill: cancel the drain" });
    const cancels = entries.filter((e) => e.action === "cancelMove" && e.outcome === "ok");
    const slowMoves = [...(await movesOf("slow-1")), ...(await movesOf("slow-2"))];
    expect(cancels.map((e) => e.target).sort()).toEqual(slowMoves.map((m) => `move/${m.id}`).sort());
    for (const c of cancels) {
      expect(c.actor).toBe("control-plane");
      expect(c.seq).toBeGreaterThan(resume.seq);
      expect(c.reason).toMatch(/was cancelled before/);
    }
    // A destination's late report cannot resurrect a cancelled move.
    const late = await fetch(`${cp.url}/control/moves/${slowMoves[0]!.id}:report`, {
      method: "POST",
      headers: { authorization: `Bearer ${cp.agentTokens[slowMoves[0]!.to]!}`, "content-type": "application/json" },
      body: JSON.stringify({ state: "serving" }),
    });
    expect(late.status).toBe(409);
  });

  it("the leader crashes between a resume and the cancel: the new leader cancels the adopted moves, and never brings back a cancelled one", async () => {
    const before = new Set(((await ops.listMoves({ peer: "db-1" })) as WorkloadMove[]).map((m) => m.id));
    await ops.drain("db-1", { reason: "replace disk, again", deadlineMs: 120_000 });
    await settled("both slow copies starting again", async () => {
      const fresh = ((await ops.listMoves({ peer: "db-1" })) as WorkloadMove[]).filter((m) => !before.has(m.id));
      expect(fresh.map((m) => `${m.workload}:${m.state}`).sort()).toEqual(["slow-1:starting", "slow-2:starting"]);
      expect(slowStarts.size).toBe(2);
    });

    // The leader goes down; the resume is recorded while no leader runs (the store is all that is left).
    await cp.stop();
    const store = makeSqliteStore({ path: join(cp.dir!, "drainkit.db") });
    const oncall: Principal = { id: "oncall", scopes: ["mesh.operate"] };
    try {
      await createRegistry({ store, clock: systemClock() }).resume(oncall, "db-1", {}, { reason: "drill: cancel while the leader is down" });
    } finally {
      await store.close();
    }
    await cp.restart();

    await settled("the new leader cancelled the adopted moves and the copies stopped", async () => {
      const fresh = ((await ops.listMoves({ peer: "db-1" })) as WorkloadMove[]).filter((m) => !before.has(m.id));
      expect(fresh.map((m) => `${m.workload}:${m.state}`).sort()).toEqual(["slow-1:cancelled", "slow-2:cancelled"]);
      expect(slowStarts.size).toBe(0);
    }, 60_000);
    // Every slow move ever planned is cancelled: none was adopted again, none served.
    for (const w of ["slow-1", "slow-2"]) {
      expect((await movesOf(w)).map((m) => m.state)).toEqual(["cancelled", "cancelled"]);
      expect([...serving.get(w)!]).toEqual(["db-1"]);
    }
    expect(hosts[0]!.set.list().map((w) => w.id).sort()).toEqual(["slow-1", "slow-2"]);
    expect(gaps).toEqual([]);
    const entries = await audit();
    const resume = entries.find((e) => e.action === "resume" && e.actor === "oncall")!;
    expect(resume.outcome).toBe("ok");
    const cancels = entries.filter((e) => e.action === "cancelMove" && e.outcome === "ok" && e.seq > resume.seq);
    expect(cancels).toHaveLength(2);
    expect(cancels.every((e) => e.actor === "control-plane")).toBe(true);
  });
});
