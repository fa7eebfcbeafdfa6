// @ts-nocheck
import { makeMemoryStore, createRegistry, type Registry } from "@drainkit/registry";
import { makePeer, principals } from "@drainkit/registry/testing";
import { MemoryMetrics, RecordingEventSink, SimulatedClock, flushMicrotasks } from "@drainkit/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { NoRoutableMemberError, registrySource, startRouter, type PeerSource, type Router, type RouterEvent, type RoutingPeer } from "../src/index.ts";
import { memoryPeerSource } from "../src/testing/index.ts";

const op = principals.operator;
const open: Router[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});

async function setup(count = 3, roles = ["edge", "ingest"], expireStale = false) {
  const clock = new SimulatedClock({ start: 1_700_000_000_000 });
  const store = makeMemoryStore();
  const registry: Registry = createRegistry({ store, clock });
  for (let i = 0; i < count; i++) await registry.registerPeer(op, makePeer({ id: `n${i}`, roles }));
  const events = new RecordingEventSink<RouterEvent>();
  const metrics = new MemoryMetrics();
  const router = await startRouter({ source: registrySource(registry, principals.reader), clock, events, metrics, expireStale });
  open.push(router);
  const sync = async () => router.caughtUp(await store.revision());
  return { clock, store, registry, router, events, metrics, sync };
}

const ids = (router: Router, role: string) => router.members(role).map((m) => m.id);

describe("Router on a real registry", () => {
  it("routes to active and cordoned members and drops draining ones at once", async () => {
    const { registry, router, sync } = await setup();
    expect(ids(router, "edge")).toEqual(["n0", "n1", "n2"]);
    await registry.cordon(op, "n0", { reason: "maintenance" });
    await sync();
    expect(ids(router, "edge")).toEqual(["n0", "n1", "n2"]);
    await registry.drain(op, "n1", { reason: "upgrade", deadlineMs: 60_000, roles: ["edge"] });
    await sync();
    expect(ids(router, "edge")).toEqual(["n0", "n2"]);
    expect(ids(router, "ingest")).toEqual(["n0", "n1", "n2"]);
    await registry.resume(op, "n1");
    await sync();
    expect(ids(router, "edge")).toEqual(["n0", "n1", "n2"]);
  });

  it("round robin visits every routable member in turn and never a draining one", async () => {
    const { registry, router, sync } = await setup(4);
    await registry.drain(op, "n2", { reason: "upgrade", deadlineMs: 60_000 });
    await sync();
    const rr = router.balancer("edge", { strategy: "round-robin" });
    const picks = Array.from({ length: 6 }, () => rr.pick().id);
    expect(picks).toEqual(["n0", "n1", "n3", "n0", "n1", "n3"]);
  });

  it("least in flight sends the next request to the least loaded member", async () => {
    const { router } = await setup(3);
    const lif = router.balancer("edge", { strategy: "least-in-flight" });
    const a = lif.acquire();
    const b = lif.acquire();
    const c = lif.acquire();
    expect(new Set([a.member.id, b.member.id, c.member.id]).size).toBe(3);
    b.release();
    expect(lif.pick().id).toBe(b.member.id);
    b.release(); // a second release changes nothing
    expect(router.inFlight("edge", a.member.id)).toBe(1);
  });

  it("keeps sticky sessions on a draining member while new sessions go elsewhere", async () => {
    const { registry, router, sync } = await setup(3);
    const sticky = router.balancer("edge", { strategy: "consistent-hash" });
    const sessions = Array.from({ length: 200 }, (_, i) => `s${i}`);
    const before = new Map(sessions.map((s) => [s, sticky.pick(s).id]));
    const victim = before.get("s0")!;
    await registry.drain(op, victim, { reason: "upgrade", deadlineMs: 60_000 });
    await sync();
    for (const s of sessions) expect(sticky.pick(s).id).toBe(before.get(s));
    for (let i = 0; i < 200; i++) expect(sticky.pick(`new-${i}`).id).not.toBe(victim);
    await registry.reportStatus(principals.agent(victim), victim, { epoch: 1, roles: { edge: { phase: "drained", epoch: 1 }, ingest: { phase: "drained", epoch: 1 } } });
    await sync();
    for (const s of sessions) expect(sticky.pick(s).id).not.toBe(victim);
    for (const s of sessions) if (before.get(s) !== victim) expect(sticky.pick(s).id).toBe(before.get(s));
  });

  it("throws a retryable no-routable-member when every member is draining", async () => {
    const { registry, router, sync } = await setup(2);
    await registry.drain(principals.admin, "n0", { reason: "x", deadlineMs: 60_000, force: true }, { confirm: true });
    await registry.drain(principals.admin, "n1", { reason: "x", deadlineMs: 60_000, force: true }, { confirm: true });
    await sync();
    const rr = router.balancer("edge", { strategy: "round-robin" });
    let error: unknown;
    try {
      rr.pick();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NoRoutableMemberError);
    expect((error as NoRoutableMemberError).retryable).toBe(true);
    expect(rr.tryPick()).toBeUndefined();
  });

  it("emits added and removed events and tells subscribers", async () => {
    const { registry, router, events, sync } = await setup(2);
    const seen: string[] = [];
    router.subscribe((c) => seen.push(`${c.role}:${c.peer}:${c.routable}`));
    await registry.drain(op, "n0", { reason: "upgrade", deadlineMs: 60_000, roles: ["ingest"] });
    await sync();
    expect(seen).toEqual(["ingest:n0:false"]);
    expect(events.ofType("route-member-removed").map((e) => [e.role, e.peer, e.phase])).toEqual([["ingest", "n0", "draining"]]);
  });

  it("reports a drain past its deadline and, when told to, applies core's expiry", async () => {
    for (const expireStale of [false, true]) {
      const { registry, router: r, events, metrics, clock, sync } = await setup(2, ["edge", "ingest"], expireStale);
      await registry.drain(op, "n0", { reason: "upgrade", deadlineMs: 10_000 });
      await sync();
      clock.advance(10_001);
      const stale = events.ofType("stale-flag");
      expect(stale.map((e) => [e.peer, e.flag, e.expired])).toEqual([
        ["n0", "drain", expireStale],
        ["n0", "drain", expireStale],
      ]);
      expect(metrics.value("routing_stale_flags_total", { flag: "drain" })).toBe(2);
      expect(r.member("edge", "n0")?.phase).toBe(expireStale ? "failed" : "draining");
      expect(r.members("edge").map((m) => m.id)).toEqual(["n1"]);
    }
  });

  it("reports a cordon past its expiry once, and routes it as cordoned (still serving) either way", async () => {
    const { registry, router, events, metrics, clock, sync } = await setup(2);
    await registry.cordon(op, "n0", { reason: "rack work", expiresAt: clock.now() + 5_000 });
    await sync();
    clock.advance(5_000);
    clock.advance(5_000);
    expect(events.ofType("stale-flag").map((e) => [e.peer, e.flag, e.holder])).toEqual([["n0", "cordon", "operator"]]);
    expect(metrics.value("routing_stale_flags")).toBe(1);
    expect(ids(router, "edge")).toEqual(["n0", "n1"]);
    await registry.uncordon(op, "n0");
    await sync();
    expect(metrics.value("routing_stale_flags")).toBe(0);
  });
});

describe("Router feed recovery", () => {
  it("re-reads the source after a compacted feed and catches up", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const inner = memoryPeerSource([{ id: "a", address: "a:80", roles: ["edge"], pools: [], labels: {}, phases: { edge: "active" }, epoch: 0, spec: { cordons: {} } }]);
    let failOnce = true;
    const source: PeerSource = {
      snapshot: () => inner.snapshot(),
      watch(from, onChange, onError) {
        if (failOnce) {
          failOnce = false;
          queueMicrotask(() => onError?.(Object.assign(new Error("history-compacted"), { code: "history-compacted", retryable: false })));
          return { close() {} };
        }
        return inner.watch(from, onChange, onError);
      },
    };
    const events = new RecordingEventSink<RouterEvent>();
    const router = await startRouter({ source, clock, events });
    open.push(router);
    await flushMicrotasks();
    inner.put({ id: "a", address: "a:80", roles: ["edge"], pools: [], labels: {}, phases: { edge: "draining" }, epoch: 1, spec: { cordons: {} } });
    clock.advance(0);
    await router.caughtUp(inner.revision());
    expect(events.ofType("router-feed-failed").map((e) => e.code)).toEqual(["history-compacted"]);
    expect(router.members("edge")).toEqual([]);
  });
});

describe("Router stale drains from a source that carries expiresAt", () => {
  const drained = (expiresAt: number): RoutingPeer => ({
    id: "a", address: "a:80", roles: ["edge"], pools: [], labels: {}, phases: { edge: "drained" }, epoch: 1,
    spec: { cordons: {}, drain: { epoch: 1, deadline: expiresAt - 1, roles: ["edge"], reason: "upgrade", expiresAt } },
  });

  it("returns a lapsed drain to routing only when expireStale is set, and reports it once either way", async () => {
    for (const expireStale of [false, true]) {
      const clock = new SimulatedClock({ start: 0 });
      const source = memoryPeerSource([drained(1_000)]);
      const events = new RecordingEventSink<RouterEvent>();
      const router = await startRouter({ source, clock, events, expireStale });
      open.push(router);
      expect(router.members("edge")).toEqual([]);
      clock.advance(1_000);
      source.put(drained(1_000)); // rewritten with the flag still on it: the same stale flag
      clock.advance(1_000);
      expect(events.ofType("stale-flag").map((e) => [e.flag, e.holder, e.dueAt, e.expired])).toEqual([["drain", "1", 1_000, expireStale]]);
      expect(router.members("edge").map((m) => m.id)).toEqual(expireStale ? ["a"] : []);
    }
  });
});
