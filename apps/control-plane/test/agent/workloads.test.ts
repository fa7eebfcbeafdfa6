import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCountingParticipant, GateClosedError, NodeDrainCoordinator, systemClock } from "@drainkit/core";
import type { PlacedWorkload, WorkloadMove } from "@drainkit/registry";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { DrainAgent, WorkloadSet, type AgentEvent } from "@drainkit/agent";
import { eventually, startControlPlane, type ControlPlaneProcess } from "./controlPlane.ts";

/** Retries `check` (which throws until it holds) until it passes. */
const settled = (what: string, check: () => unknown, timeoutMs = 30_000): Promise<true> =>
  eventually(async () => {
    await check();
    return true as const;
  }, what, timeoutMs);

// Workload moves end to end: a real `drainkit serve` (its leader plans the
// moves), real agents over HTTP with mesh.agent tokens, and hosts whose
// workloads are entries in a shared "cluster" table the test inspects.
const PEERS = ["db-1", "db-2", "db-3"];
let cp: ControlPlaneProcess;
let ops: ControlPlaneClient;

beforeAll(async () => {
  cp = await startControlPlane({ agents: PEERS });
  ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken });
});
afterAll(async () => {
  await ops?.close();
  await cp?.dispose();
});

/** What serves each workload right now, across every host: the test's view of the real world. */
const serving = new Map<string, Set<string>>();
/** Every start and stop, in order. */
const log: { host: string; action: "start" | "stop"; workload: string; owner?: string }[] = [];
/** Workloads that at some instant were served by no host. */
const gaps: string[] = [];

interface Host {
  readonly id: string;
  readonly set: WorkloadSet;
  readonly agent: DrainAgent;
  readonly events: AgentEvent[];
}

function host(id: string, initial: readonly PlacedWorkload[], options: { failStarts?: boolean } = {}): Host {
  const clock = systemClock();
  for (const w of initial) (serving.get(w.id) ?? serving.set(w.id, new Set()).get(w.id)!).add(id);
  const set = new WorkloadSet(
    {
      async start(w) {
        if (options.failStarts) throw new Error("volume full");
        log.push({ host: id, action: "start", workload: w.id, ...(w.owner === undefined ? {} : { owner: w.owner }) });
        (serving.get(w.id) ?? serving.set(w.id, new Set()).get(w.id)!).add(id);
      },
      async stop(w) {
        log.push({ host: id, action: "stop", workload: w.id });
        serving.get(w.id)?.delete(id);
        if ((serving.get(w.id)?.size ?? 0) === 0) gaps.push(w.id);
      },
    },
    initial,
  );
  const http = createCountingParticipant("http");
  const coordinator = new NodeDrainCoordinator({ clock, participants: [http, set], roles: ["storage"], node: id });
  const events: AgentEvent[] = [];
  const agent = new DrainAgent({
    controlPlane: { url: cp.url, token: cp.agentTokens[id]! },
    peer: { id, address: `127.0.0.1:${9000 + PEERS.indexOf(id)}`, pools: ["db"], roles: ["storage"] },
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

async function admin(method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(cp.url + path, { method, headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

const shard = (n: number, replicas: number): PlacedWorkload[] => [{ id: `shard-${n}` }, ...Array.from({ length: replicas }, (_, r) => ({ id: `shard-${n}.r${r}`, owner: `shard-${n}` }))];

describe("workload moves through drainkit serve and real agents", () => {
  const hosts: Host[] = [];
  const placed = [...shard(1, 2), ...shard(2, 2), ...shard(3, 1)];
  beforeAll(async () => {
    hosts.push(host("db-1", placed), host("db-2", [{ id: "shard-9" }]), host("db-3", []));
    await Promise.all(hosts.map((h) => h.agent.start()));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.agent.stop()));
  });

  it("reports each host's workloads as its placement", async () => {
    await settled("db-1's placement", async () => {
      const peer = await ops.getPeer("db-1");
      const placement = await ops.getPlacement("db-1");
      expect(placement.items.map((w) => w.id).sort()).toEqual(placed.map((w) => w.id).sort());
      expect(peer.status?.placementVersion).toBe(placement.version);
      expect(peer.status?.workloads).toEqual({ owners: 3, children: 5 });
    });
  });

  it("a drain moves every workload away, owners first, start before stop, and completes once the host is empty", async () => {
    await ops.drain("db-1", { reason: "replace disk", deadlineMs: 60_000 });
    await settled("db-1 drained", async () => expect((await ops.drainStatus("db-1")).status).toBe("drained"), 60_000);

    const [db1, db2, db3] = hosts;
    expect(db1!.set.list()).toEqual([]);
    expect([...db2!.set.list(), ...db3!.set.list()].map((w) => w.id).sort()).toEqual([...placed.map((w) => w.id), "shard-9"].sort());
    // Nothing was ever served by nobody, and everything is served exactly once now.
    expect(gaps).toEqual([]);
    for (const w of [...placed, { id: "shard-9" }]) expect(serving.get(w.id)?.size).toBe(1);
    // Make before break: each workload started on its destination before its source stopped it.
    for (const w of placed) {
      const start = log.findIndex((e) => e.action === "start" && e.workload === w.id);
      const stop = log.findIndex((e) => e.action === "stop" && e.workload === w.id && e.host === "db-1");
      expect(start).toBeGreaterThanOrEqual(0);
      expect(stop).toBeGreaterThan(start);
    }
    // Owners before children: no replica started before every shard owner had moved.
    const lastOwnerStart = log.findLastIndex((e) => e.action === "start" && e.owner === undefined);
    const firstChildStart = log.findIndex((e) => e.action === "start" && e.owner !== undefined);
    expect(firstChildStart).toBeGreaterThan(lastOwnerStart);
    // Replicas follow their shard.
    const where = (id: string): string => [...serving.get(id)!][0]!;
    for (const w of placed.filter((x) => x.owner !== undefined)) expect(where(w.id)).toBe(where(w.owner!));

    // The moves are persisted and audited: planned by the leader, served by the destination's agent, done by the source's.
    const moves = (await ops.listMoves({ peer: "db-1" })) as readonly WorkloadMove[];
    expect(moves).toHaveLength(placed.length);
    expect(moves.every((m) => m.state === "done" && m.from === "db-1" && m.drain?.target === "db-1")).toBe(true);
    const audit = await fetch(`${cp.url}/control/audit?limit=500`, { headers: { authorization: `Bearer ${cp.adminToken}` } }).then((r) => r.json() as Promise<{ items: { action: string; actor: string; target: string; outcome: string }[] }>);
    const of = (action: string): { actor: string; target: string; outcome: string }[] => audit.items.filter((e) => e.action === action && e.outcome === "ok");
    expect(of("planMove").filter((e) => e.actor === "control-plane")).toHaveLength(placed.length);
    expect(new Set(of("reportMove").map((e) => e.actor))).toEqual(new Set(["db-1", ...new Set(moves.map((m) => m.to))]));
  });

  it("a drained host takes no workload, and takes them again once resumed", async () => {
    const db1 = hosts[0]!;
    expect(() => db1.set.accept({ id: "late" })).toThrow(GateClosedError);
    await ops.resume("db-1", { reason: "disk replaced" });
    await settled("db-1 active", async () => expect((await ops.getPeer("db-1")).phase).toBe("active"));
    await settled("db-1's gate open", () => expect(db1.set.open).toBe(true));
  });

  it("a destination that cannot start a workload fails the move, and the workload goes elsewhere", async () => {
    const broken = host("db-3", [], { failStarts: true });
    // db-3 is replaced by a host whose starts fail; db-2 drains, so its workloads must go to db-1 in the end.
    await hosts[2]!.agent.stop();
    const before = hosts[2]!.set.list();
    expect(before.length).toBeGreaterThan(0);
    await broken.agent.start();
    hosts[2] = broken;
    // The broken host reports an empty placement; the workloads it held before are gone from the fleet.
    // With db-1 cordoned, the broken db-3 is the only destination: its failed starts are recorded.
    await admin("POST", "/control/peers/db-1:cordon", { reason: "keep it out for a moment" });
    await ops.drain("db-2", { reason: "rebalance test", deadlineMs: 60_000 });
    await settled("a failed move onto db-3", async () => expect((await ops.listMoves({ peer: "db-3" })).some((m) => m.state === "failed")).toBe(true));
    await admin("POST", "/control/peers/db-1:uncordon", {});
    await settled("db-2 drained", async () => expect((await ops.drainStatus("db-2")).status).toBe("drained"), 60_000);
    expect(hosts[1]!.set.list()).toEqual([]);
    const moves = ((await ops.listMoves({ peer: "db-2" })) as readonly WorkloadMove[]).filter((m) => m.drain?.target === "db-2");
    const failed = moves.filter((m) => m.state === "failed");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((m) => m.to === "db-3" && /volume full/.test(m.reason ?? ""))).toBe(true);
    expect(moves.filter((m) => m.state === "done").every((m) => m.to === "db-1")).toBe(true);
    expect(broken.events.some((e) => e.type === "agent-move" && e.action === "failed")).toBe(true);
  });
});
