// @ts-nocheck
import { describe, expect, it } from "vitest";
import { createCountingParticipant, NodeDrainCoordinator } from "@drainkit/core";
import { flushMicrotasks, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import type { DrainSpec, Peer, RegistryChange, StatusReport } from "@drainkit/registry";
import type { ControlPlaneClient, StreamState } from "@drainkit/client";
import { DrainAgent, type AgentEvent } from "../src/index.ts";

// The reconcile rules and the polling fallback on virtual time, with an
// in-memory control plane that records what the agent sends.
function fakeControlPlane(clock: SimulatedClock) {
  let version = 1;
  let peer: Peer = {
    id: "web-1", address: "10.0.0.1:80", pools: ["web"], roles: ["edge"], labels: {}, metadata: {},
    spec: { cordons: {} }, phases: { edge: "active" }, phase: "active", epoch: 0, version, createdAt: 0, updatedAt: 0,
  };
  const reports: StatusReport[] = [];
  const polls: number[] = [];
  const stream: { onChange?: (c: RegistryChange) => void; onState?: ((s: StreamState) => void) | undefined } = {};
  let revision = 10;
  const client: ControlPlaneClient = {
    url: "memory:",
    registerPeer: async () => peer,
    reportStatus: async (_id, report) => {
      reports.push(report);
      return peer;
    },
    getPeer: async () => {
      polls.push(clock.now());
      return peer;
    },
    listPeers: async () => ({ items: [], revision }),
    drain: async () => { throw new Error("not used"); },
    drainStatus: async () => { throw new Error("not used"); },
    getPlacement: async () => { throw new Error("not used"); },
    resume: async () => { throw new Error("not used"); },
    listMoves: async () => [],
    reportMove: async () => { throw new Error("not used"); },
    snapshot: async () => ({ peers: [peer], revision }),
    watch: (_from, onChange, _onError, options) => {
      stream.onChange = onChange as (c: RegistryChange) => void;
      stream.onState = options?.onState;
      options?.onState?.("streaming");
      return { close: () => {} };
    },
    close: async () => {},
  };
  return {
    client,
    reports,
    polls,
    stream,
    /** Writes a new spec: pushed on the stream when `push`, else only visible to polls. */
    setSpec(drain: DrainSpec | undefined, push = true): void {
      version++;
      peer = { ...peer, version, spec: { cordons: {}, ...(drain === undefined ? {} : { drain }) } };
      if (push) stream.onChange?.({ revision: ++revision, kind: "peer", id: "web-1", value: peer });
    },
  };
}

const drainAt = (epoch: number, deadline: number): DrainSpec => ({ epoch, deadline, roles: ["edge"], reason: `upgrade ${epoch}`, requestedAt: 0, requestedBy: "ops" });

async function setup(seed: number) {
  const clock = new SimulatedClock({ start: Date.UTC(2026, 0, 1) });
  const cp = fakeControlPlane(clock);
  const api = createCountingParticipant("api");
  const coordinator = new NodeDrainCoordinator({ clock, participants: [api], roles: ["edge"] });
  const events: AgentEvent[] = [];
  const agent = new DrainAgent({
    controlPlane: cp.client,
    peer: { id: "web-1", address: "10.0.0.1:80", pools: ["web"], roles: ["edge"] },
    coordinator,
    clock,
    random: new SeededRandom(seed),
    heartbeatMs: 5_000,
    pollMs: 1_000,
    events: { emit: (e) => events.push(e) },
  });
  await agent.start();
  return { clock, cp, api, coordinator, agent, events };
}

describe("DrainAgent reconcile (virtual time)", () => {
  it("drains on a newer epoch, ignores an older one, and resumes when the drain is lifted", async () => {
    const { clock, cp, api, coordinator, agent, events } = await setup(1);
    cp.setSpec(drainAt(3, clock.now() + 60_000));
    await flushMicrotasks();
    expect(api.open).toBe(false);
    expect(coordinator.snapshot()).toMatchObject({ status: "drained", epoch: 3 });
    expect(cp.reports.at(-1)).toMatchObject({ epoch: 3, roles: { edge: { phase: "drained", epoch: 3 } }, inFlight: { api: 0 } });

    // A late notification carrying an older drain moves nothing.
    cp.setSpec(drainAt(2, clock.now() + 60_000));
    await flushMicrotasks();
    expect(events).toContainEqual(expect.objectContaining({ type: "agent-stale-spec", epoch: 2, acted: 3 }));
    expect(coordinator.snapshot()).toMatchObject({ status: "drained", epoch: 3 });
    expect(agent.snapshot().epoch).toBe(3);

    cp.setSpec(undefined);
    await flushMicrotasks();
    expect(api.open).toBe(true);
    expect(cp.reports.at(-1)).toMatchObject({ roles: { edge: { phase: "active" } } });
    await agent.stop();
  });

  it("reports roles no local participant serves as drained, so the drain can finish", async () => {
    const { clock, cp, agent } = await setup(5);
    cp.setSpec({ ...drainAt(1, clock.now() + 60_000), roles: ["edge", "batch"] });
    await flushMicrotasks();
    expect(cp.reports.at(-1)).toMatchObject({ epoch: 1, roles: { edge: { phase: "drained", epoch: 1 }, batch: { phase: "drained", epoch: 1 } } });
    cp.setSpec(undefined);
    await flushMicrotasks();
    expect(cp.reports.at(-1)!.roles).toEqual({ edge: { phase: "active", epoch: 1 } });
    await agent.stop();
  });

  it("reports a drain that misses its deadline as failed, naming what blocked it", async () => {
    const { clock, cp, api, agent } = await setup(2);
    api.begin();
    cp.setSpec(drainAt(1, clock.now() + 2_000));
    await flushMicrotasks();
    expect(cp.reports.at(-1)).toMatchObject({ epoch: 1, roles: { edge: { phase: "draining" } }, inFlight: { api: 1 } });
    await clock.advanceAsync(2_000);
    expect(cp.reports.at(-1)).toMatchObject({ epoch: 1, roles: { edge: { phase: "failed", epoch: 1 } }, reason: expect.stringContaining("blocking: api") });
    expect(agent.snapshot().drain).toMatchObject({ status: "failed" });
    api.end();
    await agent.stop();
  });

  it("reports in-flight counts more often while a drain runs, then back to the heartbeat", async () => {
    const { clock, cp, api, agent } = await setup(4);
    api.begin();
    cp.setSpec(drainAt(1, clock.now() + 60_000));
    await flushMicrotasks();
    const before = cp.reports.length;
    await clock.advanceAsync(5_000); // one heartbeat period
    const during = cp.reports.slice(before);
    expect(during.length).toBeGreaterThanOrEqual(4);
    expect(during.every((r) => r.inFlight?.["api"] === 1 && r.roles["edge"]?.phase === "draining")).toBe(true);
    api.end();
    await clock.advanceAsync(1_000);
    expect(cp.reports.at(-1)).toMatchObject({ roles: { edge: { phase: "drained" } }, inFlight: { api: 0 } });
    const settled = cp.reports.length;
    await clock.advanceAsync(5_000);
    expect(cp.reports.length - settled).toBeLessThanOrEqual(1);
    await agent.stop();
  });

  it("polls with jitter while the stream is down and stops polling once it is back", async () => {
    const { clock, cp, api, agent } = await setup(3);
    const before = cp.polls.length;
    cp.stream.onState?.("down");
    expect(agent.snapshot().watch).toBe("polling");
    const downAt = clock.now();
    await clock.advanceAsync(10_000);
    const polls = cp.polls.slice(before);
    const gaps = polls.map((t, i) => t - (i === 0 ? downAt : polls[i - 1]!));
    expect(gaps.length).toBeGreaterThanOrEqual(10);
    for (const g of gaps) expect(g >= 500 && g <= 1_000).toBe(true);
    expect(new Set(gaps).size).toBeGreaterThan(1); // jittered, so a fleet does not poll in lockstep

    // A drain written while the stream is down is picked up by a poll.
    cp.setSpec(drainAt(1, clock.now() + 60_000), false);
    await clock.advanceAsync(1_000);
    expect(api.open).toBe(false);

    cp.stream.onState?.("streaming");
    const after = cp.polls.length;
    await clock.advanceAsync(10_000);
    expect(cp.polls.length).toBe(after);
    expect(agent.snapshot().watch).toBe("streaming");
    await agent.stop();
  });
});
