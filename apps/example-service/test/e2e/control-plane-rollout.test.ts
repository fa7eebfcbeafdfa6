import { afterAll, expect, it } from "vitest";
import autocannon, { type Result } from "autocannon";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { systemClock } from "@drainkit/core";
import { startRouter, type Router } from "@drainkit/routing";
import { request } from "undici";
import type { JobEvent as ReplicaJobEvent } from "../../src/service.ts";
import { eventually, startBalancer, startControlPlane, startReplica, type ControlPlane, type Replica } from "./harness.ts";

type JobEvent = ReplicaJobEvent & { readonly replica?: string };

// The same rolling upgrade, but run by the control plane's own rollout
// controller (`POST /control/upgrade/drain` with `awaitVersion`): it cordons,
// drains, waits for the new version, resumes and checks health; the test only
// plays the deployer, restarting each replica once the control plane drained it.
const IDS = ["svc-1", "svc-2", "svc-3"];

let cp: ControlPlane | undefined;
let ops: ControlPlaneClient | undefined;
let router: Router | undefined;
const replicas = new Map<string, Replica>();

afterAll(async () => {
  router?.close();
  await Promise.all([...replicas.values()].map((r) => r.stop()));
  await ops?.close();
  await cp?.dispose();
});

interface RolloutBody {
  readonly id: string;
  readonly state: string;
  readonly progress: { total: number; done: number; failed: number };
  readonly nodes: Record<string, { step: string; epoch?: number }>;
}

it("the control plane's rollout upgrades every replica through its agent, under load, without an error", async () => {
  cp = await startControlPlane(IDS);
  ops = createControlPlaneClient({ url: cp.url, token: cp.adminToken });
  // Background jobs are the replicas' workloads: the control plane moves them off each replica it drains.
  const JOBS: Record<string, string[]> = { "svc-1": ["job-1", "job-2"], "svc-2": ["job-3"], "svc-3": [] };
  for (const id of IDS) replicas.set(id, await startReplica({ id, version: "1.0.0", controlPlane: cp, latencyMs: 30, jobs: JOBS[id]! }));
  const history: JobEvent[] = [];
  const jobsOf = async (r: Replica): Promise<{ jobs: { id: string }[]; history: JobEvent[] }> => (await (await request(`${r.admin}/jobs`)).body.json()) as never;
  router = await startRouter({ source: ops, clock: systemClock() });
  await eventually(() => router!.members("edge").length === IDS.length, "three routable members");
  const balancer = await startBalancer(router, "edge", () => "rollout");
  let load: Result | undefined;
  let stopLoad = (): void => {};
  const loadDone = new Promise<void>((resolve) => {
    const instance = autocannon({ url: `${balancer.url}/slow`, connections: 8, duration: 3_600, timeout: 30 }, (_error, result) => {
      load = result;
      resolve();
    });
    stopLoad = () => instance.stop();
  });
  await eventually(() => balancer.stats.served >= 20, "load flowing");

  // The deployer: a replica the control plane drained is restarted on the target version.
  const restarting = new Set<string>();
  const deployer = new AbortController();
  const deploying = (async () => {
    while (!deployer.signal.aborted) {
      for (const p of (await ops!.listPeers({ pool: "example" })).items) {
        if (p.phase !== "drained" || p.labels["version"] === "2.0.0" || restarting.has(p.id)) continue;
        restarting.add(p.id);
        const old = replicas.get(p.id)!;
        const before = await jobsOf(old);
        // The control plane moved every job away before it called the replica drained.
        expect(before.jobs).toEqual([]);
        history.push(...before.history.map((e) => ({ ...e, replica: p.id })));
        expect(await old.stop()).toBe(0);
        replicas.set(p.id, await startReplica({ id: p.id, version: "2.0.0", controlPlane: cp!, latencyMs: 30 }));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();

  const auth = { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" };
  const started = await request(`${cp.url}/control/upgrade/drain`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ version: "2.0.0", pool: "example", maxParallel: 1, awaitVersion: true, drainTimeoutMs: 15_000, healthTimeoutMs: 60_000, minHealthyMs: 1_000, reason: "release 2.0.0", ticket: "CHG-11" }),
  });
  expect(started.statusCode).toBe(202);
  const { id } = (await started.body.json()) as RolloutBody;
  const done = await eventually(async () => {
    const r = (await (await request(`${cp!.url}/control/upgrade?id=${id}`, { headers: auth })).body.json()) as RolloutBody;
    return r.state !== "running" ? r : undefined;
  }, "the rollout to finish", 90_000);

  deployer.abort();
  await deploying;
  stopLoad();
  await loadDone;
  await balancer.close();

  expect(done).toMatchObject({ state: "completed", progress: { total: 3, done: 3, failed: 0 } });
  for (const node of IDS) expect(done.nodes[node]).toMatchObject({ step: "healthy" });
  const peers = (await ops.listPeers({ pool: "example" })).items;
  expect(peers.map((p) => [p.id, p.labels["version"], p.phase])).toEqual(IDS.map((n) => [n, "2.0.0", "active"]));
  expect(balancer.stats.socketErrors).toEqual([]);
  expect(balancer.proxy.stats().failed).toBe(0); // no 502 and no response cut off
  expect(balancer.stats.otherStatus).toEqual([]);
  expect(balancer.stats.exhausted).toBe(0);
  // Every job runs on exactly one replica at the end, and each move started the job on its destination before stopping it on its source.
  const now = await Promise.all([...replicas.values()].map(async (r) => ({ id: r.id, ...(await jobsOf(r)) })));
  for (const r of now) history.push(...r.history.map((e) => ({ ...e, replica: r.id })));
  for (const job of ["job-1", "job-2", "job-3"]) expect(now.filter((r) => r.jobs.some((j) => j.id === job)).map((r) => r.id)).toHaveLength(1);
  const moves = new Map<string, JobEvent[]>();
  for (const e of history) if (e.move !== undefined) moves.set(e.move, [...(moves.get(e.move) ?? []), e]);
  expect(moves.size).toBeGreaterThanOrEqual(3);
  for (const [move, events] of moves) {
    const start = events.find((e) => e.action === "start");
    const stop = events.find((e) => e.action === "stop");
    expect({ move, start: start !== undefined, stop: stop !== undefined }).toEqual({ move, start: true, stop: true });
    expect(start!.at).toBeLessThanOrEqual(stop!.at);
    expect(start!.replica).not.toBe(stop!.replica);
  }
  expect({ errors: load!.errors, timeouts: load!.timeouts, non2xx: load!.non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
}, 150_000);
