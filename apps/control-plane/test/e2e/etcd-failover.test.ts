import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEtcd, type EtcdCluster } from "@drainkit/store-etcd/testing";
import { setTimeout as sleep } from "node:timers/promises";
import { fakeAgents, type PeerBody } from "./agents.ts";
import { api, serve, type Served, registerLive } from "./serve.ts";

const ADMIN = "e2e-admin-token-0123456789abcdef";
let etcd: EtcdCluster;
let dir: string;
const replicas: Served[] = [];
const agents: AbortController[] = [];

beforeAll(async () => {
  etcd = await startEtcd({ members: 3 });
  dir = await mkdtemp(join(tmpdir(), "drainkit-etcd-e2e-"));
}, 120_000);

afterAll(async () => {
  for (const a of agents) a.abort();
  for (const r of replicas) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) {
      r.proc.kill("SIGKILL");
      await r.exited;
    }
  }
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
});

const elected = (l: Record<string, unknown>): boolean => l["msg"] === "elected leader; starting fleet controllers";

describe("drainkit serve on a 3-member etcd cluster", () => {
  it("any replica takes mutations; when the leader is killed mid-drain another one takes over that drain with the same epoch, one audit entry per real change", async () => {
    const hosts = etcd.endpoints.map((e) => e.replace(/^https?:\/\//, "")).join(",");
    const store = `etcd://${hosts}/e2e-${process.pid}`;
    for (const id of ["r1", "r2", "r3"]) {
      replicas.push(await serve(["--store", store, "--replica-id", id, "--leader-ttl", "2s", "--token-file", join(dir, `${id}.json`)], { DRAINKIT_ADMIN_TOKEN: ADMIN }));
    }
    const leader = await Promise.race(replicas.map((r) => r.waitForLog(elected).then(() => r)));
    const followers = replicas.filter((r) => r !== leader);
    const [f1, f2] = [followers[0]!, followers[1]!];

    for (const id of ["node-1", "node-2", "node-3"]) {
      expect((await registerLive(f1.url, ADMIN, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"] })).status).toBe(200);
    }
    const drain = await api(f2.url, ADMIN, "POST", "/control/peers/node-1:drain", { reason: "kernel", deadlineMs: 600_000 });
    expect(drain.status).toBe(202);
    expect(drain.body).toMatchObject({ status: "draining", epoch: 1 });
    for (const r of replicas) expect((await fetch(`${r.url}/readyz`)).status).toBe(200);

    leader.proc.kill("SIGKILL");
    await leader.exited;

    const next = await Promise.race(followers.map((r) => r.waitForLog(elected).then(() => r)));
    const rebuilt = await next.waitForLog((l) => l["msg"] === "drain deadlines rebuilt from the persisted drain records");
    expect(rebuilt["drains"]).toBe(1);

    // The host's agent finishes its work and reports to whichever replica it reaches.
    const other = followers.find((r) => r !== next)!;
    const report = await api(other.url, ADMIN, "PUT", "/control/peers/node-1/status", { roles: { edge: { phase: "drained", epoch: 1 } }, epoch: 1, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
    expect(report.status).toBe(200);

    const finished = await next.waitForLog((l) => l["msg"] === "drain finished" && l["peer"] === "node-1");
    expect(finished).toMatchObject({ epoch: 1, phase: "drained" });
    const status = await api(next.url, ADMIN, "GET", "/control/peers/node-1/drain");
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: "drained", epoch: 1, remaining: { inFlight: 0, owners: 0, children: 0 } });

    const audit = await api(other.url, ADMIN, "GET", "/control/audit?target=peer%2Fnode-1");
    expect((audit.body["items"] as { action: string; outcome: string }[]).map((e) => `${e.action}:${e.outcome}`)).toEqual(["registerPeer:ok", "drain:ok"]);
  }, 180_000);

  it("a leader killed mid-rollout hands it on: the next leader finishes it without draining any node twice", async () => {
    const hosts = etcd.endpoints.map((e) => e.replace(/^https?:\/\//, "")).join(",");
    const store = `etcd://${hosts}/e2e-rollout-${process.pid}`;
    const mine: Served[] = [];
    for (const id of ["q1", "q2", "q3"]) {
      mine.push(await serve(["--store", store, "--replica-id", id, "--leader-ttl", "2s", "--token-file", join(dir, `${id}.json`)], { DRAINKIT_ADMIN_TOKEN: ADMIN }));
    }
    replicas.push(...mine);
    const leader = await Promise.race(mine.map((r) => r.waitForLog(elected).then(() => r)));
    const followers = mine.filter((r) => r !== leader);
    const f1 = followers[0]!;
    const ids = ["web-1", "web-2", "web-3"];
    for (const id of ids) await registerLive(f1.url, ADMIN, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "1.0.0" } });
    agents.push(fakeAgents(f1.url, ADMIN, ids));

    const started = await api(f1.url, ADMIN, "POST", "/control/upgrade/drain", { version: "2.0.0", pool: "web", reason: "release 2.0.0" });
    expect(started.status).toBe(202);
    const read = async (): Promise<{ state: string; progress: { done: number; failed: number }; nodes: Record<string, { step: string }> }> =>
      (await api(f1.url, ADMIN, "GET", "/control/upgrade")).body as never;
    while ((await read()).progress.done < 1) await sleep(100);

    leader.proc.kill("SIGKILL");
    await leader.exited;
    const next = await Promise.race(followers.map((r) => r.waitForLog(elected).then(() => r)));
    await next.waitForLog((l) => l["msg"] === "continuing rollout where the last leader left it");

    let done = await read();
    while (done.state === "running") {
      await sleep(100);
      done = await read();
    }
    expect(done).toMatchObject({ state: "completed", progress: { done: 3, failed: 0 } });
    for (const id of ids) {
      const p = (await api(f1.url, ADMIN, "GET", `/control/peers/${id}`)).body as unknown as PeerBody;
      expect([p.phase, p.epoch]).toEqual(["active", 1]);
    }
  }, 180_000);

  it("a leader killed while workload moves are in flight: the next leader adopts them, none is planned twice, nothing is lost", async () => {
    const hosts = etcd.endpoints.map((e) => e.replace(/^https?:\/\//, "")).join(",");
    const store = `etcd://${hosts}/e2e-moves-${process.pid}`;
    const mine: Served[] = [];
    for (const id of ["m1", "m2", "m3"]) {
      mine.push(await serve(["--store", store, "--replica-id", id, "--leader-ttl", "2s", "--token-file", join(dir, `${id}.json`)], { DRAINKIT_ADMIN_TOKEN: ADMIN }));
    }
    replicas.push(...mine);
    const leader = await Promise.race(mine.map((r) => r.waitForLog(elected).then(() => r)));
    const followers = mine.filter((r) => r !== leader);
    const f1 = followers[0]!;

    // Three hosts; node-1 holds three shards with one replica each. The hosts do nothing until `acting`.
    const held = new Map<string, Map<string, { id: string; owner?: string }>>([["node-1", new Map()], ["node-2", new Map()], ["node-3", new Map()]]);
    for (let i = 0; i < 3; i++) {
      held.get("node-1")!.set(`s${i}`, { id: `s${i}` });
      held.get("node-1")!.set(`s${i}.r`, { id: `s${i}.r`, owner: `s${i}` });
    }
    let draining = false;
    const report = async (id: string): Promise<void> => {
      const on = id === "node-1" && draining;
      const phase = on ? (held.get(id)!.size === 0 ? "drained" : "draining") : "active";
      const r = await api(f1.url, ADMIN, "PUT", `/control/peers/${id}/status`, { roles: { storage: { phase, epoch: on ? 1 : 0 } }, epoch: on ? 1 : 0, placement: [...held.get(id)!.values()] });
      expect(r.status).toBe(200);
    };
    for (const id of held.keys()) {
      expect((await registerLive(f1.url, ADMIN, id, { address: `${id}:80`, pools: ["db"], roles: ["storage"] })).status).toBe(200);
      await report(id);
    }
    expect((await api(f1.url, ADMIN, "POST", "/control/peers/node-1:drain", { reason: "disk", deadlineMs: 600_000 })).status).toBe(202);
    draining = true;

    type Move = { id: string; workload: string; owner?: string; from: string; to: string; state: string };
    const moves = async (q = ""): Promise<Move[]> => ((await api(f1.url, ADMIN, "GET", `/control/moves${q}`)).body["items"] as Move[]);
    // The leader plans the owners' moves (batch of 10: all three owners) and persists them before it dies.
    while ((await moves("?state=starting")).length < 3) await sleep(100);
    const planned = await moves();
    leader.proc.kill("SIGKILL");
    await leader.exited;
    const next = await Promise.race(followers.map((r) => r.waitForLog(elected).then(() => r)));
    const rebuilt = await next.waitForLog((l) => l["msg"] === "drain scheduler rebuilt from the registry");
    expect(rebuilt["adopted"]).toBe(3);

    // Now the hosts act, make before break, through a surviving replica.
    const stop = new AbortController();
    const hostLoop = (async () => {
      while (!stop.signal.aborted) {
        for (const m of await moves("?active=true").catch(() => [] as Move[])) {
          if (m.state === "starting") {
            held.get(m.to)!.set(m.workload, m.owner === undefined ? { id: m.workload } : { id: m.workload, owner: m.owner });
            await report(m.to);
            await api(f1.url, ADMIN, "POST", `/control/moves/${m.id}:report`, { state: "serving" });
          } else if (m.state === "serving") {
            held.get(m.from)!.delete(m.workload);
            await report(m.from);
            await api(f1.url, ADMIN, "POST", `/control/moves/${m.id}:report`, { state: "done" });
          }
        }
        await sleep(50).catch(() => {});
      }
    })();
    try {
      for (;;) {
        const st = await api(f1.url, ADMIN, "GET", "/control/peers/node-1/drain");
        if (st.body["status"] === "drained") break;
        await sleep(100);
      }
    } finally {
      stop.abort();
      await hostLoop;
    }

    const all = await moves();
    // The three adopted moves kept their ids; only the three replicas were planned after; nothing twice.
    expect(all.filter((m) => planned.some((p) => p.id === m.id))).toHaveLength(3);
    expect(all).toHaveLength(6);
    expect(new Set(all.map((m) => m.workload)).size).toBe(6);
    expect(all.every((m) => m.state === "done")).toBe(true);
    expect(held.get("node-1")!.size).toBe(0);
    for (const w of ["s0", "s0.r", "s1", "s1.r", "s2", "s2.r"]) expect([...held.values()].filter((h) => h.has(w))).toHaveLength(1);
    for (const i of [0, 1, 2]) expect([...held].find(([, h]) => h.has(`s${i}.r`))![0]).toBe([...held].find(([, h]) => h.has(`s${i}`))![0]);
    const audit = await api(f1.url, ADMIN, "GET", "/control/audit?action=planMove&limit=100");
    expect((audit.body["items"] as { outcome: string }[]).filter((e) => e.outcome === "ok")).toHaveLength(6);
  }, 180_000);
});
