import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEtcd, type EtcdCluster } from "@drainkit/store-etcd/testing";
import type { PeerBody } from "./agents.ts";
import { api, registerLive, serve, type Served } from "./serve.ts";

// Issue #23: kill -9 the etcd leader member during a rollout and restart it a
// few seconds later. Before the fix no replica was ever elected again: the
// replica that gave up locally kept its old lease alive, whose key stayed at
// the head of the election. Here it happens 20 times; after each restart a
// replica must lead within lease TTL + 2 s, read from the replicas' own logs.

const ADMIN = "e2e-admin-token-0123456789abcdef";
const ROUNDS = 20;
const TTL_MS = 2000;
const DOWN_MS = 4500;
const POLL_MS = 100;
const NODES = Array.from({ length: 20 }, (_, i) => `web-${i + 1}`);

let etcd: EtcdCluster;
let dir: string;
const replicas: Served[] = [];
const stopAgents = new AbortController();

beforeAll(async () => {
  etcd = await startEtcd({ members: 3 });
  dir = await mkdtemp(join(tmpdir(), "drainkit-leader-kill-"));
}, 120_000);

afterAll(async () => {
  stopAgents.abort();
  for (const r of replicas) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) {
      r.proc.kill("SIGKILL");
      await r.exited;
    }
  }
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Whether a replica runs its controllers now, from the last term line it logged. */
function leadingNow(r: Served): boolean {
  for (let i = r.logs.length - 1; i >= 0; i--) {
    const msg = String(r.logs[i]!["msg"] ?? "");
    if (msg === "elected leader; starting fleet controllers") return true;
    if (msg.startsWith("leadership lost") || msg.startsWith("fleet controllers failed")) return false;
  }
  return false;
}

/**
 * Slow hosts: each reports its drain done only after it has drained for a
 * while, so the rollout is still running through every kill; it "upgrades"
 * once drained and heartbeats after each change. Any replica will do.
 */
function slowAgents(urls: readonly string[], holdMs: number): void {
  const drainingSince = new Map<string, number>();
  void (async () => {
    let turn = 0;
    while (!stopAgents.signal.aborted) {
      const url = urls[turn++ % urls.length]!;
      for (const id of NODES) {
        try {
          const p = (await api(url, ADMIN, "GET", `/control/peers/${id}`)).body as unknown as PeerBody;
          if (p.phase === "draining" && p.spec.drain) {
            const since = drainingSince.get(`${id}@${p.spec.drain.epoch}`) ?? performance.now();
            drainingSince.set(`${id}@${p.spec.drain.epoch}`, since);
            if (performance.now() - since < holdMs) continue;
            const epoch = p.spec.drain.epoch;
            await api(url, ADMIN, "PUT", `/control/peers/${id}/status`, { roles: { edge: { phase: "drained", epoch } }, epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
          } else if (p.phase === "drained" && p.metadata["version"] !== "2.0.0") {
            await api(url, ADMIN, "PUT", `/control/peers/${id}`, { address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "2.0.0" } });
          } else if (p.status === undefined || p.status.heartbeatAt < p.updatedAt) {
            const roles = Object.fromEntries(Object.entries(p.phases).map(([r, ph]) => [r, { phase: ph === "cordoned" ? "active" : ph, epoch: p.epoch }]));
            await api(url, ADMIN, "PUT", `/control/peers/${id}/status`, { roles, epoch: p.epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
          }
        } catch {
          // etcd is electing or a member is down: the next round retries.
        }
      }
      await sleep(200).catch(() => {});
    }
  })();
}

describe("a 3-member etcd whose leader member is killed and restarted during a rollout", () => {
  it(`elects a control-plane leader within lease TTL + 2 s after each of ${ROUNDS} restarts; the rollout never drains a node twice`, async () => {
    const hosts = etcd.endpoints.map((e) => e.replace(/^https?:\/\//, "")).join(",");
    const store = `etcd://${hosts}/e2e-leader-kill-${process.pid}`;
    for (const id of ["k1", "k2", "k3"]) {
      replicas.push(await serve(["--store", store, "--replica-id", id, "--leader-ttl", `${TTL_MS / 1000}s`, "--token-file", join(dir, `${id}.json`)], { DRAINKIT_ADMIN_TOKEN: ADMIN }));
    }
    const url = replicas[0]!.url;
    for (const id of NODES) {
      expect((await registerLive(url, ADMIN, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "1.0.0" } })).status).toBe(200);
    }
    slowAgents(replicas.map((r) => r.url), 3000);
    const started = await api(url, ADMIN, "POST", "/control/upgrade/drain", { version: "2.0.0", pool: "web", maxParallel: 1, reason: "release 2.0.0" });
    expect(started.status).toBe(202);

    const anyLeader = (): boolean => replicas.some(leadingNow);
    const budget = (TTL_MS + 2000) / POLL_MS;
    const history: { round: number; member: number; leaderBeforeHeal: boolean; pollsAfterHeal: number; within: boolean; rollout: string }[] = [];
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        for (let i = 0; i < 200 && !anyLeader(); i++) await sleep(POLL_MS);
        const member = await etcd.leaderMember();
        await etcd.stopMember(member, { kill: true });
        await sleep(DOWN_MS);
        const leaderBeforeHeal = anyLeader();
        await etcd.restartMember(member);
        let polls = 0;
        while (!anyLeader() && polls < budget) {
          await sleep(POLL_MS);
          polls++;
        }
        const rollout = await api(url, ADMIN, "GET", "/control/upgrade").then((r) => `${String(r.body["state"])} ${JSON.stringify(r.body["progress"])}`, () => "unreadable");
        history.push({ round, member, leaderBeforeHeal, pollsAfterHeal: polls, within: anyLeader(), rollout });
        // A wedged election stays wedged: no point in more rounds.
        if (!anyLeader()) break;
      }
    } finally {
      const ok = history.filter((h) => h.within).length;
      console.log(`etcd leader-member kills during a rollout: ${ok}/${ROUNDS} elected a control-plane leader within ${TTL_MS} + 2000 ms (${budget} polls of ${POLL_MS} ms) after the restart`);
      for (const h of history) console.log(`  ${JSON.stringify(h)}`);
    }
    expect(history.filter((h) => h.within)).toHaveLength(ROUNDS);

    // Exactly one replica leads, and /readyz of every replica says who.
    const ready = await Promise.all(replicas.map(async (r) => (await fetch(`${r.url}/readyz`)).json() as Promise<{ role?: string; leader?: string }>));
    expect(ready.filter((b) => b.role === "leader")).toHaveLength(1);
    const leader = replicas.find(leadingNow)!;
    expect(new Set(ready.map((b) => b.leader))).toEqual(new Set([`k${replicas.indexOf(leader) + 1}`]));

    // The rollout goes on to the end, never failing or draining a node twice.
    type RolloutBody = { state: string; progress: { done: number; failed: number } };
    let rollout = (await api(url, ADMIN, "GET", "/control/upgrade")).body as unknown as RolloutBody;
    for (let i = 0; i < 1200 && rollout.state === "running"; i++) {
      await sleep(250);
      rollout = (await api(url, ADMIN, "GET", "/control/upgrade")).body as unknown as RolloutBody;
    }
    expect(rollout).toMatchObject({ state: "completed", progress: { done: NODES.length, failed: 0 } });
    for (const id of NODES) {
      const p = (await api(url, ADMIN, "GET", `/control/peers/${id}`)).body as unknown as PeerBody;
      expect([id, p.phase, p.epoch]).toEqual([id, "active", 1]);
    }
  }, 600_000);
});
