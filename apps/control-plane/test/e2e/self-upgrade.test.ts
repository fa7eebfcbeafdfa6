import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEtcd, type EtcdCluster } from "@drainkit/store-etcd/testing";
import { startControlPlaneForTest, type ControlPlaneForTest } from "../../src/testing/index.ts";
import type { PeerBody } from "./agents.ts";

// Issue #24: the control plane upgrades itself with its own kit. Three
// replicas on a 3-member etcd register themselves as peers (pool and role
// control-plane); a rolling upgrade of that pool drains them one at a time,
// the leader last (it hands over, then drains); the test restarts each
// process on the new version once its peer reports drained. Meanwhile
// agents of another pool heartbeat, one of them drains, and a client keeps
// writing, following Retry-After from one replica to the next.

const ADMIN = "e2e-admin-token-selfupgrade-0123456789";
const TTL_MS = 2000;
const POLL_MS = 100;
const WEB = ["web-1", "web-2", "web-3"];
const IDS = ["cp-1", "cp-2", "cp-3"];

let etcd: EtcdCluster;
let dir: string;
const replicas = new Map<string, ControlPlaneForTest>();
const stop = new AbortController();

beforeAll(async () => {
  etcd = await startEtcd({ members: 3 });
  dir = await mkdtemp(join(tmpdir(), "drainkit-self-upgrade-"));
}, 120_000);

afterAll(async () => {
  stop.abort();
  for (const r of replicas.values()) await r.kill().catch(() => {});
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Whether a replica's current process runs the fleet controllers, from the last term line it logged. */
function leadingNow(r: ControlPlaneForTest): boolean {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return false;
  for (let i = r.logs.length - 1; i >= 0; i--) {
    const msg = String(r.logs[i]!["msg"] ?? "");
    if (msg === "elected leader; starting fleet controllers") return true;
    if (msg.startsWith("leadership lost") || msg.startsWith("leadership handed over") || msg.startsWith("fleet controllers failed") || msg === "stopped") return false;
  }
  return false;
}

type Answer = { status: number; body: Record<string, unknown> };

/**
 * A client that follows the replicas' answers: a refused connection or a 503
 * with Retry-After sends it to the next replica; once every replica said so
 * it waits the Retry-After. Any other 5xx is recorded as a failure.
 */
async function call(method: string, path: string, body: unknown, bad: string[]): Promise<Answer> {
  for (let round = 0; round < 30; round++) {
    let retryAfter = 0;
    for (const r of replicas.values()) {
      let res: Response;
      try {
        res = await fetch(r.url + path, {
          method,
          headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(5000),
        });
      } catch {
        continue; // restarting: try the next replica
      }
      const text = await res.text();
      if (res.status === 503 && res.headers.get("retry-after") !== null) {
        retryAfter = Math.max(retryAfter, Number(res.headers.get("retry-after")));
        continue;
      }
      if (res.status >= 500) bad.push(`${method} ${path} -> ${res.status} ${text.slice(0, 200)}`);
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    }
    await sleep(Math.min(retryAfter, 2) * 1000 || 200);
  }
  throw new Error(`${method} ${path}: no replica answered in 30 rounds`);
}

describe("the control plane upgrades itself", () => {
  it("rolls three replicas on a 3-member etcd one at a time, the leader last, with a leader throughout, no 5xx and no lost write", async () => {
    const hosts = etcd.endpoints.map((e) => e.replace(/^https?:\/\//, "")).join(",");
    const store = `etcd://${hosts}/e2e-self-upgrade-${process.pid}`;
    for (const id of IDS) {
      replicas.set(
        id,
        await startControlPlaneForTest({
          store,
          selfPeer: true,
          grpc: true,
          adminToken: ADMIN,
          logLevel: "info",
          env: { DRAINKIT_VERSION_LABEL: "1.0.0" },
          args: ["--replica-id", id, "--leader-ttl", `${TTL_MS / 1000}s`, "--token-file", join(dir, `${id}.json`), "--drain-timeout", "20s"],
        }),
      );
    }
    const bad: string[] = [];

    // Every replica is a peer of pool control-plane, live, on 1.0.0.
    let peers: PeerBody[] = [];
    for (let i = 0; i < 100; i++) {
      peers = ((await call("GET", "/control/peers?role=control-plane", undefined, bad)).body["items"] ?? []) as PeerBody[];
      if (peers.length === 3 && peers.every((p) => p.status !== undefined)) break;
      await sleep(POLL_MS);
    }
    expect(peers.map((p) => [p.id, p.metadata["version"]]).sort()).toEqual(IDS.map((id) => [id, "1.0.0"]));

    // Another pool: agents played here heartbeat; web-1 drains, reporting done only after a while.
    for (const id of WEB) expect((await call("PUT", `/control/peers/${id}`, { address: `${id}:80`, pools: ["web"], roles: ["edge"] }, bad)).status).toBe(200);
    const drainAsked = performance.now();
    void (async () => {
      while (!stop.signal.aborted) {
        for (const id of WEB) {
          try {
            const p = (await call("GET", `/control/peers/${id}`, undefined, bad)).body as unknown as PeerBody;
            const draining = p.phase === "draining" && p.spec.drain !== undefined && performance.now() - drainAsked > 15_000;
            const epoch = draining ? p.spec.drain!.epoch : p.epoch;
            const roles = draining ? { edge: { phase: "drained", epoch } } : Object.fromEntries(Object.entries(p.phases).map(([r, ph]) => [r, { phase: ph === "cordoned" ? "active" : ph, epoch }]));
            await call("PUT", `/control/peers/${id}/status`, { roles, epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } }, bad);
          } catch {
            // every replica refused this round: the next one retries
          }
        }
        await sleep(1000).catch(() => {});
      }
    })();
    expect((await call("POST", "/control/peers/web-1:drain", { reason: "maintenance during the control-plane upgrade" }, bad)).status).toBe(202);

    // Writes all through: each acknowledged one must be there at the end.
    const acknowledged: string[] = [];
    void (async () => {
      for (let i = 0; !stop.signal.aborted; i++) {
        const id = `ledger-${i}`;
        try {
          const res = await call("PUT", `/control/peers/${id}`, { address: `${id}:1`, pools: ["ledger"], roles: ["ledger"] }, bad);
          if (res.status === 200 || res.status === 201) acknowledged.push(id);
        } catch {
          // not acknowledged: nothing to find later
        }
        await sleep(250).catch(() => {});
      }
    })();

    // Leadership, sampled every POLL_MS from the replicas' own logs.
    const budget = (TTL_MS + 2000) / POLL_MS;
    let elected = false;
    let gap = 0;
    let longestGap = 0;
    const sampler = (async () => {
      while (!stop.signal.aborted) {
        const led = [...replicas.values()].some(leadingNow);
        elected ||= led;
        gap = led || !elected ? 0 : gap + 1;
        longestGap = Math.max(longestGap, gap);
        await sleep(POLL_MS).catch(() => {});
      }
    })();
    for (let i = 0; i < 100 && !elected; i++) await sleep(POLL_MS);
    const firstLeader = IDS.find((id) => leadingNow(replicas.get(id)!));
    expect(firstLeader).toBeDefined();

    // drainctl rollout start --pool control-plane --to 2.0.0 --await-version, over REST.
    const started = await call("POST", "/control/upgrade/drain", { version: "2.0.0", pool: "control-plane", maxParallel: 1, reason: "upgrade the control plane", awaitVersion: true, drainTimeoutMs: 60_000, healthTimeoutMs: 60_000 }, bad);
    expect(started.status).toBe(202);

    // Restart each replica on 2.0.0 once its peer reports drained; note the order.
    const order: string[] = [];
    for (let i = 0; i < 1500 && order.length < IDS.length; i++) {
      for (const id of IDS) {
        if (order.includes(id)) continue;
        const p = (await call("GET", `/control/peers/${id}`, undefined, bad)).body as unknown as PeerBody;
        if (p.phase !== "drained") continue;
        order.push(id);
        await replicas.get(id)!.restart({ DRAINKIT_VERSION_LABEL: "2.0.0" });
      }
      await sleep(POLL_MS);
    }
    expect(order).toHaveLength(3);
    // The replica that led when the rollout began went last: it handed over, then drained.
    expect(order[2]).toBe(firstLeader);

    type RolloutBody = { state: string; progress: { done: number; failed: number } };
    let rollout = (await call("GET", "/control/upgrade", undefined, bad)).body as unknown as RolloutBody;
    for (let i = 0; i < 600 && rollout.state === "running"; i++) {
      await sleep(200);
      rollout = (await call("GET", "/control/upgrade", undefined, bad)).body as unknown as RolloutBody;
    }
    expect(rollout).toMatchObject({ state: "completed", progress: { done: 3, failed: 0 } });

    // The other pool's drain completed.
    let web1 = (await call("GET", "/control/peers/web-1/drain", undefined, bad)).body;
    for (let i = 0; i < 300 && web1["status"] !== "drained"; i++) {
      await sleep(200);
      web1 = (await call("GET", "/control/peers/web-1/drain", undefined, bad)).body;
    }
    expect(web1["status"]).toBe("drained");

    stop.abort();
    await sampler;
    const peersAfter = ((await call("GET", "/control/peers?role=control-plane", undefined, bad)).body["items"] ?? []) as PeerBody[];
    expect(peersAfter.map((p) => [p.id, p.phase, p.metadata["version"]]).sort()).toEqual(IDS.map((id) => [id, "active", "2.0.0"]));
    const ledger = new Set<string>();
    for (let cursor: string | undefined = ""; cursor !== undefined; ) {
      const page: Answer = await call("GET", `/control/peers?pool=ledger&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, undefined, bad);
      for (const p of page.body["items"] as PeerBody[]) ledger.add(p.id);
      cursor = page.body["nextCursor"] as string | undefined;
    }
    console.log(`self-upgrade: order ${order.join(" → ")}, ${acknowledged.length} writes acknowledged, longest leaderless run ${longestGap} polls of ${POLL_MS} ms (budget ${budget})`);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((id) => !ledger.has(id))).toEqual([]);
    expect(bad).toEqual([]);
    expect(longestGap).toBeLessThan(budget);
  }, 180_000);
});
