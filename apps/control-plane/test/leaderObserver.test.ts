import { describe, expect, it } from "vitest";
import { flushMicrotasks, MemoryMetrics, RecordingEventSink, RecordingLogger, SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, type RegistryStore } from "@drainkit/registry";

/** The store with some methods replaced (the rest bound to it). */
function over(base: RegistryStore, overrides: Partial<RegistryStore>): RegistryStore {
  return {
    kind: base.kind,
    get: (k) => base.get(k),
    list: (p, o) => base.list(p, o),
    txn: (r) => base.txn(r),
    revision: () => base.revision(),
    watch: (p, f, c, e) => base.watch(p, f, c, e),
    campaign: (e, c, o) => base.campaign(e, c, o),
    leader: (e) => base.leader(e),
    ping: () => base.ping(),
    close: () => base.close(),
    ...overrides,
  };
}
import { observeLeader, type LeaderlessEvent } from "../src/leaderObserver.ts";

function storeWithHead(head: { now: string | undefined | Error }): RegistryStore {
  const base = makeMemoryStore();
  return over(base, {
    leader: async () => {
      if (head.now instanceof Error) throw head.now;
      return head.now;
    },
  });
}

async function tick(clock: SimulatedClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    clock.advance(1000);
    for (let i = 0; i < 3; i++) await flushMicrotasks();
  }
}

describe("observeLeader", () => {
  it("raises no-leader once when no replica has led for longer than the threshold, names the last leader, and leader-restored when one is back", async () => {
    const clock = new SimulatedClock();
    const head: { now: string | undefined | Error } = { now: "r2" };
    const events = new RecordingEventSink<LeaderlessEvent>();
    const logger = new RecordingLogger();
    const metrics = new MemoryMetrics();
    const observer = observeLeader({ store: storeWithHead(head), clock, logger, election: "control-plane", replica: "r1", leading: () => false, noLeaderAfterMs: 5000, events, metrics });
    await tick(clock, 1000);
    expect(observer.view()).toEqual({ leader: "r2", storeReachable: true, leaderlessMs: 0 });
    expect(metrics.value("leader_changes_total", { replica: "r1" })).toBe(1);

    head.now = undefined;
    await tick(clock, 5000);
    expect(events.events).toEqual([]);
    await tick(clock, 2000);
    expect(events.ofType("no-leader")).toEqual([{ type: "no-leader", election: "control-plane", replica: "r1", forMs: 6000, lastLeader: "r2", store: "reachable" }]);
    expect(logger.lines.filter((l) => l.level === "error")).toHaveLength(1);
    expect(logger.lines.find((l) => l.level === "error")!.msg).toMatch(/no control-plane replica has led for 6000 ms/);
    // Once, not on every read.
    await tick(clock, 10_000);
    expect(events.ofType("no-leader")).toHaveLength(1);

    head.now = "r3";
    await tick(clock, 1000);
    expect(events.ofType("leader-restored")).toEqual([{ type: "leader-restored", election: "control-plane", replica: "r1", leader: "r3", afterMs: 17_000 }]);
    expect(metrics.value("leader_changes_total", { replica: "r1" })).toBe(2);
    observer.stop();
  });

  it("does not count this replica as leader while its head key outlives its term, and says when the store is unreachable", async () => {
    const clock = new SimulatedClock();
    const head: { now: string | undefined | Error } = { now: "r1" };
    const events = new RecordingEventSink<LeaderlessEvent>();
    const observer = observeLeader({ store: storeWithHead(head), clock, logger: new RecordingLogger(), election: "control-plane", replica: "r1", leading: () => false, noLeaderAfterMs: 2000, events });
    await tick(clock, 1000);
    expect(observer.view().leader).toBeUndefined();
    head.now = new Error("no quorum");
    await tick(clock, 3000);
    expect(observer.view()).toMatchObject({ leader: undefined, storeReachable: false });
    expect(events.ofType("no-leader")).toMatchObject([{ store: "unreachable" }]);
    observer.stop();
  });
});
