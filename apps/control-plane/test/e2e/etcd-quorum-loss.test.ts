import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEtcd, type EtcdCluster } from "@drainkit/store-etcd/testing";
import { api, serve, type Served } from "./serve.ts";

// Issue #23: under quorum loss 503s took 8.6-18.6 s and /readyz called the
// store outage `not-leader`. Clients here give up after 2 s: every answer
// must arrive before that, and name the store.

const ADMIN = "e2e-admin-token-0123456789abcdef";
const CLIENT_DEADLINE_MS = 2000;
let etcd: EtcdCluster;
let dir: string;
const replicas: Served[] = [];

beforeAll(async () => {
  etcd = await startEtcd({ members: 3 });
  dir = await mkdtemp(join(tmpdir(), "drainkit-quorum-"));
}, 120_000);

afterAll(async () => {
  for (const r of replicas) {
    if (r.proc.exitCode === null && r.proc.signalCode === null) {
      r.proc.kill("SIGKILL");
      await r.exited;
    }
  }
  await etcd?.stop();
  await rm(dir, { recursive: true, force: true });
});

type Answer = { status: number; body: Record<string, unknown> } | "client gave up";

/** A request as a client with a 2 s timeout makes it. */
async function within(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CLIENT_DEADLINE_MS),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return "client gave up";
  }
}

describe("drainkit serve when etcd loses its quorum", () => {
  it("answers 503 store-unavailable before a 2 s client deadline, /readyz names the store (not leadership), and both recover with the quorum", async () => {
    const hosts = etcd.endpoints.map((e) => e.replace(/^https?:\/\//, "")).join(",");
    const store = `etcd://${hosts}/e2e-quorum-${process.pid}`;
    for (const id of ["q1", "q2"]) {
      replicas.push(await serve(["--store", store, "--replica-id", id, "--leader-ttl", "2s", "--token-file", join(dir, `${id}.json`)], { DRAINKIT_ADMIN_TOKEN: ADMIN }));
    }
    const elected = (l: Record<string, unknown>): boolean => l["msg"] === "elected leader; starting fleet controllers";
    const leader = await Promise.race(replicas.map((r) => r.waitForLog(elected).then(() => r)));
    const follower = replicas.find((r) => r !== leader)!;
    const leaderId = leader === replicas[0] ? "q1" : "q2";
    expect((await api(follower.url, ADMIN, "PUT", "/control/peers/web-1", { address: "web-1:80", pools: ["web"], roles: ["edge"] })).status).toBe(200);
    expect(await within(leader.url, "GET", "/readyz")).toMatchObject({ status: 200, body: { role: "leader", leader: leaderId, store: { status: "ok" } } });
    expect(await within(follower.url, "GET", "/readyz")).toMatchObject({ status: 200, body: { role: "follower", leader: leaderId, store: { status: "ok" } } });

    const survivor = await etcd.leaderMember();
    const others = [0, 1, 2].filter((i) => i !== survivor);
    for (const i of others) await etcd.stopMember(i, { kill: true });

    const answers: Answer[] = [];
    for (let n = 0; n < 5; n++) {
      for (const r of replicas) {
        answers.push(await within(r.url, "PUT", `/control/peers/web-${n + 2}`, { address: `web-${n + 2}:80`, pools: ["web"], roles: ["edge"] }));
        answers.push(await within(r.url, "GET", "/control/peers/web-1"));
      }
    }
    const ready = await Promise.all(replicas.map((r) => within(r.url, "GET", "/readyz")));
    const summary = answers.map((a) => (a === "client gave up" ? a : `${a.status} ${String(a.body["code"] ?? "")}`));
    console.log(`quorum loss, ${answers.length} API requests with a ${CLIENT_DEADLINE_MS} ms client deadline: ${JSON.stringify(Object.entries(Object.groupBy(summary, (s) => s)).map(([k, v]) => `${v!.length}× ${k}`))}`);
    expect(answers.filter((a) => a !== "client gave up" && a.status === 503 && a.body["code"] === "store-unavailable" && a.body["retryable"] === true)).toHaveLength(answers.length);
    for (const r of ready) expect(r).toMatchObject({ status: 503, body: { code: "store-unavailable", checks: { store: false }, store: { status: "unreachable" } } });

    for (const i of others) await etcd.restartMember(i);
    for (const r of replicas) {
      let last: Answer = "client gave up";
      for (let i = 0; i < 150; i++) {
        last = await within(r.url, "GET", "/readyz");
        if (last !== "client gave up" && last.status === 200) break;
        await sleep(200);
      }
      expect(last).toMatchObject({ status: 200, body: { store: { status: "ok" } } });
    }
    expect((await api(follower.url, ADMIN, "PUT", "/control/peers/web-9", { address: "web-9:80", pools: ["web"], roles: ["edge"] })).status).toBe(200);
  }, 180_000);
});
