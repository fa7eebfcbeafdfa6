// @ts-nocheck
import { isDrainkitError } from "@drainkit/core";
import { MemoryMetrics, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry, type Registry } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

const { operator, reader } = principals;
const agent = principals.agent("web-1");

async function setup(): Promise<{ registry: Registry; clock: SimulatedClock; metrics: MemoryMetrics }> {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const metrics = new MemoryMetrics();
  const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(3), metrics });
  for (const id of ["web-1", "web-2"]) await registerLive(registry, makePeer({ id, pools: ["web"] }));
  return { registry, clock, metrics };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isDrainkitError(e)) return e.code;
    throw e;
  }
}

describe("agent status reports", () => {
  it("never reads drained while work remains: in flight or workloads keep the drain draining, with what blocks it", async () => {
    const { registry } = await setup();
    const { value } = await registry.drain(operator, "web-1", { reason: "kernel" });
    const epoch = value.epoch;
    await registry.reportStatus(agent, "web-1", { roles: { edge: { phase: "drained", epoch } }, epoch, inFlight: { http: 5 }, workloads: { owners: 1, children: 2 } });
    const early = await registry.drainStatus(reader, "web-1");
    expect(early).toMatchObject({ status: "draining", remaining: { inFlight: 5, owners: 1, children: 2 } });
    expect(early.blocking).toEqual(expect.arrayContaining(["role:edge", "participant:http"]));
    await registry.reportStatus(agent, "web-1", { roles: { edge: { phase: "drained", epoch } }, epoch, inFlight: { http: 0 }, workloads: { owners: 1, children: 0 } });
    expect((await registry.drainStatus(reader, "web-1")).status).toBe("draining");
    await registry.reportStatus(agent, "web-1", { roles: { edge: { phase: "drained", epoch } }, epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
    expect(await registry.drainStatus(reader, "web-1")).toMatchObject({ status: "drained", remaining: { inFlight: 0, owners: 0, children: 0 } });
  });

  it("ignores a report for an older epoch entirely (status and heartbeat), counts it, and refuses one for an epoch never issued", async () => {
    const { registry, clock, metrics } = await setup();
    await registry.drain(operator, "web-1", { reason: "one" });
    await registry.resume(operator, "web-1");
    const { value } = await registry.drain(operator, "web-1", { reason: "two" });
    expect(value.epoch).toBe(2);
    await registry.reportStatus(agent, "web-1", { roles: { edge: { phase: "draining", epoch: 2 } }, epoch: 2, inFlight: { http: 7 } });
    const before = (await registry.getPeer(reader, "web-1")).peer;
    clock.advance(1_000);
    const stale = await registry.reportStatus(agent, "web-1", { roles: { edge: { phase: "drained", epoch: 1 } }, epoch: 1, inFlight: { http: 0 } });
    expect(stale.changed).toBe(false);
    const after = (await registry.getPeer(reader, "web-1")).peer;
    expect(after.status).toEqual(before.status);
    expect((await registry.drainStatus(reader, "web-1")).blocking).toContain("participant:http");
    expect(metrics.value("registry_stale_status_reports_total", { peer: "web-1" })).toBe(1);
    const future = await registry.reportStatus(agent, "web-1", { roles: {}, epoch: 3 }).catch((e: unknown) => e);
    expect(future).toMatchObject({ code: "future-epoch", details: { peer: "web-1", reported: 3, current: 2 } });
  });

  it("keeps heartbeats out of the audit chain but audits a refused report", async () => {
    const { registry } = await setup();
    const head = (await registry.verifyAudit()).entries;
    for (let i = 0; i < 5; i++) await registry.reportStatus(agent, "web-1", { roles: {}, epoch: 0 });
    expect((await registry.verifyAudit()).entries).toBe(head);
    expect(await codeOf(registry.reportStatus(agent, "web-1", { roles: {}, epoch: 9 }))).toBe("future-epoch");
    expect(await codeOf(registry.reportStatus(principals.agent("web-2"), "web-1", { roles: {}, epoch: 0 }))).toBe("forbidden");
    const refused = await registry.queryAudit(reader, { outcome: "refused", target: "peer/web-1" });
    expect(refused.items.map((e) => e.errorCode)).toEqual(["future-epoch", "forbidden"]);
  });
});

describe("liveness", () => {
  it("shows a peer whose agent never reported, or went silent past heartbeat.staleAfterMs, as unknown, and lists them with state=unknown", async () => {
    const { registry, clock } = await setup();
    await registry.registerPeer(operator, makePeer({ id: "web-3", pools: ["web"] }));
    expect((await registry.getPeer(reader, "web-3")).peer.liveness).toBe("unknown");
    expect((await registry.getPeer(reader, "web-1")).peer.liveness).toBe("live");
    clock.advance(30_001);
    await registry.reportStatus(agent, "web-1", { roles: {}, epoch: 0 });
    expect((await registry.getPeer(reader, "web-2")).peer.liveness).toBe("unknown");
    expect((await registry.listPeers(reader, { state: "unknown" })).items.map((p) => p.id)).toEqual(["web-2", "web-3"]);
    // The window is the config's: a longer one makes web-2 live again.
    await registry.patchConfig(principals.admin, { "heartbeat.staleAfterMs": 60_000 }, { confirm: true });
    expect((await registry.getPeer(reader, "web-2")).peer.liveness).toBe("live");
  });

  it("shows why a drain waits when the host says so, and drops it once drained", async () => {
    const { registry } = await setup();
    const { value } = await registry.drain(operator, "web-1", { reason: "upgrade" });
    const epoch = value.epoch;
    const waiting = "only draining control-plane replicas are left: web-1 keeps leading";
    await registry.reportStatus(agent, "web-1", { roles: { edge: { phase: "draining", epoch } }, epoch, inFlight: { leadership: 1 }, reason: waiting });
    expect(await registry.drainStatus(reader, "web-1")).toMatchObject({ status: "draining", reason: waiting, blocking: expect.arrayContaining(["participant:leadership"]) });
    await registry.reportStatus(agent, "web-1", { roles: { edge: { phase: "drained", epoch } }, epoch, inFlight: { leadership: 0 } });
    const done = await registry.drainStatus(reader, "web-1");
    expect(done.status).toBe("drained");
    expect(done.reason).toBeUndefined();
  });
});

describe("failDrain (the leader's deadline)", () => {
  it("writes the failure with its reason once, audited, and later reads show it", async () => {
    const { registry, clock } = await setup();
    const { value } = await registry.drain(operator, "web-1", { reason: "kernel", deadlineMs: 10_000 });
    clock.advance(11_000);
    const failure = { epoch: value.epoch, reason: "drain deadline passed with 3 in flight, 0 owners, 0 children left" };
    const first = await registry.failDrain(operator, "web-1", failure, { idempotencyKey: "drain-deadline:web-1:1" });
    expect(first.changed).toBe(true);
    expect((await registry.getPeer(reader, "web-1")).peer.phases).toEqual({ edge: "failed" });
    expect(await registry.drainStatus(reader, "web-1")).toMatchObject({ status: "failed", reason: failure.reason });
    // Another leader after a failover: the same key is a replay; a fresh call changes nothing.
    const replay = await registry.failDrain(operator, "web-1", failure, { idempotencyKey: "drain-deadline:web-1:1" });
    expect(replay.auditId).toBe(first.auditId);
    expect((await registry.failDrain(operator, "web-1", failure)).changed).toBe(false);
    const entries = (await registry.queryAudit(reader, { target: "peer/web-1", action: "failDrain" })).items;
    expect(entries.filter((e) => e.outcome === "ok" && e.etagBefore !== e.etagAfter)).toHaveLength(1);
  });
});
