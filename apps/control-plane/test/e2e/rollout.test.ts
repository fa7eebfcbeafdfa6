import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { fakeAgents as startAgents, type PeerBody } from "./agents.ts";
import { api, serve, serversPerTest, registerLive } from "./serve.ts";

interface RolloutBody {
  id: string;
  state: string;
  settings: { verify: boolean; minHealthyMs: number };
  nodes: Record<string, { step: string; epoch?: number; version?: string }>;
  progress: { total: number; done: number; failed: number; inProgress: number; pending: number };
}

const fakeAgents = (url: string, token: string, ids: readonly string[]): AbortController => {
  const stop = startAgents(url, token, ids);
  agents.push(stop);
  return stop;
};
const agents: AbortController[] = [];
const servers = serversPerTest("drainkit-rollout-");
afterEach(() => {
  for (const a of agents.splice(0)) a.abort();
});

/** Reads `event: rollout` data from an SSE response until `stop` aborts. */
function collectRolloutEvents(res: Response, into: RolloutBody[]): void {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: rollout$/m.test(block) && data) into.push((JSON.parse(data) as { value: RolloutBody }).value);
      }
    }
  })();
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    await sleep(100);
  }
}

describe("rolling upgrade end to end (drainkit serve on SQLite)", () => {
  it("upgrades every selected peer one by one (the pool allows one down) through cordon, drain, upgrade, resume and healthy, streamed and audited", async () => {
    const s = await servers.start(["--pool", "web:maxUnavailable=1"]);
    const token = s.adminToken!;
    const ids = ["web-1", "web-2", "web-3"];
    for (const id of ids) {
      expect((await registerLive(s.url, token, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "1.0.0" } })).status).toBe(200);
    }
    // Another peer outside the selection keeps serving throughout.
    await api(s.url, token, "PUT", "/control/peers/db-1", { address: "db-1:80", pools: ["db"], roles: ["edge"] });
    fakeAgents(s.url, token, ids);

    const feed = new AbortController();
    agents.push(feed);
    const events = await fetch(`${s.url}/control/events?kinds=rollout`, { headers: { authorization: `Bearer ${token}` }, signal: feed.signal });
    expect(events.status).toBe(200);
    const seen: RolloutBody[] = [];
    collectRolloutEvents(events, seen);

    const dry = await api(s.url, token, "POST", "/control/upgrade/drain", { version: "2.0.0", pool: "web", maxParallel: 3, reason: "release 2.0.0", dryRun: true });
    expect(dry.status).toBe(200);
    expect((dry.body["plan"] as { waves: { nodes: string[] }[] }).waves.map((w) => w.nodes)).toEqual([["web-1"], ["web-2"], ["web-3"]]);

    const started = await api(s.url, token, "POST", "/control/upgrade/drain", { version: "2.0.0", pool: "web", maxParallel: 3, reason: "release 2.0.0", ticket: "CHG-9", drainTimeoutMs: 120_000, healthTimeoutMs: 120_000, minHealthyMs: 300 });
    expect(started.status).toBe(202);
    const id = String(started.body["id"]);

    const done = await until(
      async () => (await api(s.url, token, "GET", "/control/upgrade")).body as unknown as RolloutBody,
      (r) => r.state !== "running",
    );
    expect(done).toMatchObject({ id, state: "completed", progress: { total: 3, done: 3, failed: 0, inProgress: 0, pending: 0 } });
    for (const peerId of ids) {
      const p = (await api(s.url, token, "GET", `/control/peers/${peerId}`)).body as unknown as PeerBody;
      expect([p.phase, p.metadata["version"]]).toEqual(["active", "2.0.0"]);
      expect(done.nodes[peerId]).toMatchObject({ step: "healthy", epoch: 1, version: "2.0.0" });
    }
    expect(done).toMatchObject({ settings: { verify: true, minHealthyMs: 300 } });

    // The feed showed every node pass through every step, one node at a time.
    await until(async () => seen.at(-1)?.state, (state) => state === "completed");
    const steps = (node: string): string[] => seen.map((r) => r.nodes[node]!.step).filter((step, i, all) => i === 0 || all[i - 1] !== step);
    for (const peerId of ids) expect(steps(peerId)).toEqual(["pending", "cordoned", "draining", "drained", "upgrading", "resuming", "healthy"]);
    expect(Math.max(...seen.map((r) => r.progress.inProgress))).toBe(1);
    expect(seen.map((r) => r.progress.done).filter((d, i, all) => i === 0 || all[i - 1] !== d)).toEqual([0, 1, 2, 3]);

    // The audit log shows each step: the control plane's cordon, drain and resume per peer, and the rollout's own record.
    for (const peerId of ids) {
      const audit = (await api(s.url, token, "GET", `/control/audit?target=peer%2F${peerId}&actor=control-plane`)).body["items"] as { action: string; outcome: string; reason: string; ticket?: string }[];
      expect(audit.map((e) => `${e.action}:${e.outcome}`)).toEqual(["cordon:ok", "drain:ok", "resume:ok"]);
      expect(audit.every((e) => e.reason.includes(id) && e.ticket === "CHG-9")).toBe(true);
    }
    const own = (await api(s.url, token, "GET", `/control/audit?target=rollout%2F${id}&limit=1000`)).body["items"] as { action: string; actor: string; outcome: string }[];
    expect(own[0]).toMatchObject({ action: "startRollout", actor: "admin", outcome: "ok" });
    expect(own.slice(1).every((e) => e.action === "rolloutStep" && e.actor === "control-plane" && e.outcome === "ok")).toBe(true);
    expect(own.length).toBeGreaterThanOrEqual(1 + 3 * 6 + 1);
    expect((await api(s.url, token, "GET", "/control/peers/db-1")).body["phase"]).toBe("active");
    // One leader ran it once, start to end.
    expect(s.logs.filter((l) => String(l["msg"]).endsWith("rollout") || l["msg"] === "continuing rollout where the last leader left it").map((l) => l["msg"])).toEqual(["starting rollout"]);
  });

  it("stays paused across a leader crash, and the next leader continues the rollout where it stood on resume", async () => {
    const store = `sqlite:${join(servers.dir(), "drainkit.db")}`;
    const first = servers.track(await serve(["--store", store]));
    const token = first.adminToken!;
    const ids = ["web-1", "web-2", "web-3"];
    for (const id of ids) await registerLive(first.url, token, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "1.0.0" } });
    const agentsOfFirst = fakeAgents(first.url, token, ids);

    await api(first.url, token, "POST", "/control/upgrade/drain", { version: "2.0.0", pool: "web", reason: "release 2.0.0", minHealthyMs: 300 });
    await until(async () => (await api(first.url, token, "GET", "/control/upgrade")).body as unknown as RolloutBody, (r) => r.progress.done >= 1);
    const paused = await api(first.url, token, "POST", "/control/upgrade:pause", { reason: "checking dashboards" });
    expect(paused.body["state"]).toBe("paused");

    // The leader dies mid-rollout (a node may be cordoned, draining or drained); the next one reads the rollout from the store.
    agentsOfFirst.abort();
    first.proc.kill("SIGKILL");
    await first.exited;
    const second = servers.track(await serve(["--store", store]));
    await second.waitForLog((l) => l["msg"] === "continuing rollout where the last leader left it");
    fakeAgents(second.url, token, ids);
    expect((await api(second.url, token, "GET", "/control/upgrade")).body["state"]).toBe("paused");

    expect((await api(second.url, token, "POST", "/control/upgrade/resume", { reason: "dashboards fine" })).status).toBe(200);
    const done = await until(async () => (await api(second.url, token, "GET", "/control/upgrade")).body as unknown as RolloutBody, (r) => r.state !== "running");
    expect(done).toMatchObject({ state: "completed", progress: { done: 3, failed: 0 } });
    for (const peerId of ids) {
      // Each peer was drained under exactly one epoch across both leaders, and ends upgraded and active.
      const p = (await api(second.url, token, "GET", `/control/peers/${peerId}`)).body as unknown as PeerBody;
      expect([p.phase, p.epoch, p.metadata["version"]]).toEqual(["active", 1, "2.0.0"]);
      expect(done.nodes[peerId]).toMatchObject({ step: "healthy", epoch: 1 });
    }
  });

  it("aborts between steps: the node whose drain was under way stays drained for an operator, the others are never touched", async () => {
    const s = await servers.start();
    const token = s.adminToken!;
    const ids = ["web-1", "web-2", "web-3"];
    for (const id of ids) await registerLive(s.url, token, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"] });
    const started = await api(s.url, token, "POST", "/control/upgrade/drain", { version: "2.0.0", pool: "web", reason: "release 2.0.0" });
    expect(started.status).toBe(202);
    // No agent answers yet, so web-1's drain waits.
    await until(async () => (await api(s.url, token, "GET", "/control/upgrade")).body as unknown as RolloutBody, (r) => r.nodes["web-1"]?.step === "draining");
    expectAborting(await api(s.url, token, "POST", "/control/upgrade:abort", { reason: "bad release", confirm: true }));
    fakeAgents(s.url, token, ["web-1"]);
    const done = await until(async () => (await api(s.url, token, "GET", "/control/upgrade")).body as unknown as RolloutBody, (r) => r.state !== "aborting");
    expect(done.state).toBe("aborted");
    expect(done.nodes["web-1"]!.step).toBe("drained");
    expect([done.nodes["web-2"]!.step, done.nodes["web-3"]!.step]).toEqual(["pending", "pending"]);
    const phases = await Promise.all(ids.map(async (id) => ((await api(s.url, token, "GET", `/control/peers/${id}`)).body as unknown as PeerBody).phase));
    expect(phases).toEqual(["drained", "active", "active"]);
  });
});

function expectAborting(a: { status: number; body: Record<string, unknown> }): void {
  expect(a.status).toBe(200);
  expect(a.body["state"]).toBe("aborting");
}
