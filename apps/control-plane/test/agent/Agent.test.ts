import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCountingParticipant, NodeDrainCoordinator, systemClock, type CountingParticipant } from "@drainkit/core";
import type { Peer, RegistryChange } from "@drainkit/registry";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import { DrainAgent, type AgentEvent } from "@drainkit/agent";
import { eventually, startControlPlane, type ControlPlaneProcess } from "./controlPlane.ts";

// Every test here runs against a real `drainkit serve` child process.
const PEERS = ["web-1", "web-2", "web-3", "web-4"];
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

interface Host {
  readonly api: CountingParticipant;
  readonly coordinator: NodeDrainCoordinator;
  readonly agent: DrainAgent;
  readonly events: AgentEvent[];
}

function host(id: string, options: { heartbeatMs?: number; pollMs?: number } = {}): Host {
  const clock = systemClock();
  const api = createCountingParticipant("api");
  const coordinator = new NodeDrainCoordinator({ clock, participants: [api], roles: ["edge"], node: id });
  const events: AgentEvent[] = [];
  const agent = new DrainAgent({
    controlPlane: { url: cp.url, token: cp.agentTokens[id]! },
    peer: { id, address: `127.0.0.1:${8000 + PEERS.indexOf(id)}`, pools: ["web"], roles: ["edge"], labels: { version: "1" } },
    coordinator,
    clock,
    heartbeatMs: options.heartbeatMs ?? 200,
    pollMs: options.pollMs ?? 100,
    retry: { initialMs: 50, maxMs: 500 },
    events: { emit: (e) => events.push(e) },
  });
  return { api, coordinator, agent, events };
}

describe("DrainAgent against drainkit serve", () => {
  const hosts: Host[] = [];
  beforeAll(async () => {
    for (const id of ["web-1", "web-2", "web-3"]) hosts.push(host(id));
    await Promise.all(hosts.map((h) => h.agent.start()));
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.agent.stop()));
  });

  it("registers the peer and reports its status on a heartbeat", async () => {
    const peer = await ops.getPeer("web-1");
    expect(peer).toMatchObject({ id: "web-1", address: "127.0.0.1:8000", pools: ["web"], roles: ["edge"], labels: { version: "1" }, phase: "active" });
    expect(peer.status).toMatchObject({ roles: { edge: { phase: "active", epoch: 0 } }, inFlight: { api: 0 }, workloads: { owners: 0, children: 0 }, epoch: 0 });
    // Heartbeats keep coming without anything changing on the host.
    const first = peer.status!.heartbeatAt;
    await eventually(async () => (await ops.getPeer("web-1")).status!.heartbeatAt > first, "a later heartbeat");
    expect(hosts[0]!.agent.snapshot()).toMatchObject({ registered: true, watch: "streaming" });
  });

  it("drains on a new epoch, reports in-flight work, then drained; resume reopens the gates", async () => {
    const { api, agent } = hosts[0]!;
    expect(api.begin()).toBe(true); // one request in flight
    const started = await ops.drain("web-1", { reason: "kernel upgrade", ticket: "CHG-1", deadlineMs: 60_000 });
    expect(started.status).toBe("draining");
    await eventually(() => !api.open, "the gate to close");
    expect(api.begin()).toBe(false); // new work is refused while draining
    const progress = await eventually(async () => {
      const s = await ops.drainStatus("web-1");
      return s.remaining.inFlight === 1 ? s : undefined;
    }, "the in-flight count to be reported");
    expect(progress).toMatchObject({ status: "draining", epoch: started.epoch, blocking: expect.arrayContaining(["participant:api"]) });

    api.end(); // the last request finishes
    const done = await eventually(async () => {
      const s = await ops.drainStatus("web-1");
      return s.status === "drained" ? s : undefined;
    }, "drained");
    expect(done.remaining).toEqual({ inFlight: 0, owners: 0, children: 0 });
    expect(agent.snapshot()).toMatchObject({ epoch: started.epoch, drain: { epoch: started.epoch, status: "drained" } });

    await ops.resume("web-1", { reason: "upgrade done" });
    await eventually(() => api.open, "the gate to reopen");
    expect(api.begin()).toBe(true);
    api.end();
    await eventually(async () => (await ops.getPeer("web-1")).status?.roles["edge"]?.phase === "active", "active reported");
  });

  it("reports a failed drain with its reason and the blocking participant", async () => {
    const { api, agent, events } = hosts[1]!;
    expect(api.begin()).toBe(true); // never finishes
    const started = await ops.drain("web-2", { reason: "stuck host", deadlineMs: 300 });
    const failed = await eventually(async () => {
      const s = await ops.drainStatus("web-2");
      return s.status === "failed" && s.reason?.includes("blocking: api") ? s : undefined;
    }, "failed with the agent's reason");
    expect(failed.reason).toContain("deadline");
    expect(agent.snapshot().drain).toMatchObject({ epoch: started.epoch, status: "failed" });
    expect(events).toContainEqual(expect.objectContaining({ type: "agent-drain-result", status: "failed", epoch: started.epoch }));
    api.end();
    await ops.resume("web-2", { reason: "operator gave up" });
    await eventually(() => api.open, "the gate to reopen");
  });

  it("a host restarted mid-rollout finds its drain in the spec and comes up drained", async () => {
    const first = hosts[2]!;
    const started = await ops.drain("web-3", { reason: "upgrade to v2", deadlineMs: 60_000 });
    await eventually(async () => (await ops.drainStatus("web-3")).status === "drained", "drained");
    await first.agent.stop(); // the process exits…

    const again = host("web-3"); // …and comes back as a fresh process on the new version
    try {
      await again.agent.start();
      expect(again.api.open).toBe(false);
      expect(again.agent.snapshot()).toMatchObject({ epoch: started.epoch, drain: { status: "drained" } });
      await ops.resume("web-3", { reason: "v2 is up" });
      await eventually(() => again.api.open, "the gate to reopen");
    } finally {
      await again.agent.stop();
    }
  });
});

describe("start", () => {
  it("fails fast with a token that is not the peer's own, and can be started again", async () => {
    const clock = systemClock();
    const coordinator = new NodeDrainCoordinator({ clock, participants: [createCountingParticipant("api")], roles: ["edge"] });
    const agent = new DrainAgent({
      controlPlane: { url: cp.url, token: cp.agentTokens["web-1"]! },
      peer: { id: "intruder", address: "127.0.0.1:1", pools: ["web"], roles: ["edge"] },
      coordinator,
      clock,
    });
    const error = await agent.start().then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "forbidden", status: 403, retryable: false });
    expect(agent.snapshot()).toMatchObject({ registered: false, watch: "stopped" });
    await expect(agent.start()).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("the event stream across a control-plane restart", () => {
  it("resumes from the last revision: no change lost or repeated", async () => {
    const seen: RegistryChange[] = [];
    const states: string[] = [];
    const watcher = createControlPlaneClient({ url: cp.url, token: cp.adminToken, reconnect: { initialMs: 1_000, maxMs: 2_000 } });
    const from = (await watcher.listPeers({ limit: 1 })).revision;
    const w = watcher.watch(from, (c) => seen.push(c), undefined, { kinds: ["peer"], onState: (s) => states.push(s) });
    try {
      await eventually(() => states.includes("streaming"), "the stream to open");
      await ops.registerPeer({ id: "db-1", address: "127.0.0.1:9001", pools: ["db"], roles: ["storage"] });
      await cp.restart();
      // Written while the watcher is still backing off: it must get these from the replay.
      await ops.registerPeer({ id: "db-2", address: "127.0.0.1:9002", pools: ["db"], roles: ["storage"] });
      await ops.registerPeer({ id: "db-1", address: "127.0.0.1:9011", pools: ["db"], roles: ["storage"] });
      await eventually(() => seen.some((c) => c.id === "db-1" && (c.value as Peer).address === "127.0.0.1:9011"), "the last change");

      const full: RegistryChange[] = [];
      const replay = ops.watch(from, (c) => full.push(c), undefined, { kinds: ["peer"] });
      await eventually(() => full.length >= seen.length && full.at(-1)?.revision === seen.at(-1)?.revision, "a full replay");
      replay.close();
      expect(seen.map((c) => c.revision)).toEqual(full.map((c) => c.revision));
      expect(new Set(seen.map((c) => c.revision)).size).toBe(seen.length);
      expect(states.filter((s) => s === "down").length).toBeGreaterThan(0);
    } finally {
      w.close();
      await watcher.close();
    }
  });

  it("the agent polls while the stream is down, then streams again and reconciles what it missed", async () => {
    const h = host("web-4", { heartbeatMs: 200, pollMs: 100 });
    await h.agent.start();
    try {
      await cp.stop();
      await eventually(() => h.agent.snapshot().watch === "polling", "polling");
      await cp.restart();
      const started = await ops.drain("web-4", { reason: "after restart", deadlineMs: 60_000 });
      await eventually(() => !h.api.open, "the gate to close");
      await eventually(async () => (await ops.drainStatus("web-4")).status === "drained", "drained");
      await eventually(() => h.agent.snapshot().watch === "streaming", "streaming again");
      expect(h.agent.snapshot().epoch).toBe(started.epoch);
      expect(h.events.filter((e) => e.type === "agent-watch").map((e) => (e as { mode: string }).mode)).toEqual(expect.arrayContaining(["streaming", "polling"]));
      await ops.resume("web-4", {});
      await eventually(() => h.api.open, "the gate to reopen");
    } finally {
      await h.agent.stop();
    }
  });
});
