// @ts-nocheck
import { RecordingEventSink, SimulatedClock, flushMicrotasks } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { DnsUpdateError, startDnsPoolSync, startRouter, type DnsPoolEntry, type DnsPoolProvider, type DnsPoolSyncEvent, type RoutingPeer } from "../../src/index.ts";
import { memoryPeerSource } from "../../src/testing/index.ts";

const peer = (id: string, phase: RoutingPeer["phases"][string]): RoutingPeer => ({
  id, address: `${id}:80`, roles: ["edge"], pools: [], labels: { ip: `10.0.0.${id.slice(1)}` }, phases: { edge: phase }, epoch: 0, spec: { cordons: {} },
});

/** A provider that keeps the pooled name in memory and fails its next `failures` calls. */
function memoryProvider(failures = 0) {
  const pool = new Set<string>();
  const calls: string[] = [];
  let left = failures;
  const provider: DnsPoolProvider = {
    kind: "memory",
    withdraw: async (e: DnsPoolEntry) => {
      calls.push(`withdraw ${e.node}`);
      if (left-- > 0) throw new DnsUpdateError("timeout", "no answer");
      for (const a of e.addresses) pool.delete(a);
    },
    restore: async (e: DnsPoolEntry) => {
      calls.push(`restore ${e.node}`);
      if (left-- > 0) throw new DnsUpdateError("timeout", "no answer");
      for (const a of e.addresses) pool.add(a);
    },
    close: async () => {},
  };
  return { provider, pool, calls };
}

describe("startDnsPoolSync", () => {
  it("withdraws members that leave the routable set, restores those that return, and retries failures", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const source = memoryPeerSource([peer("n1", "active"), peer("n2", "active"), peer("n3", "drained")]);
    const router = await startRouter({ source, clock });
    const { provider, pool, calls } = memoryProvider();
    const events = new RecordingEventSink<DnsPoolSyncEvent>();
    const sync = startDnsPoolSync({ router, provider, clock, events, role: "edge", pool: "web.test", entryOf: (m) => ({ node: `${m.id}.test`, addresses: [m.labels["ip"]!] }) });
    await sync.settled();
    expect([...pool].sort()).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(calls).toContain("withdraw n3.test");
    source.put(peer("n1", "draining"));
    await sync.settled();
    expect([...pool]).toEqual(["10.0.0.2"]);
    source.remove("n2");
    source.put(peer("n3", "active"));
    await sync.settled();
    expect([...pool]).toEqual(["10.0.0.3"]);
    expect(events.ofType("dns-pool-withdrawn").map((e) => e.peer)).toEqual(["n3", "n1", "n2"]);
    sync.close();
    router.close();
  });

  it("reports a failed update and retries it after the delay", async () => {
    const clock = new SimulatedClock({ start: 0 });
    const source = memoryPeerSource([peer("n1", "active")]);
    const router = await startRouter({ source, clock });
    const { provider, pool } = memoryProvider(1);
    const events = new RecordingEventSink<DnsPoolSyncEvent>();
    const sync = startDnsPoolSync({ router, provider, clock, events, retryDelayMs: 500, role: "edge", pool: "web.test", entryOf: (m) => ({ node: m.id, addresses: [m.labels["ip"]!] }) });
    const settled = sync.settled();
    await flushMicrotasks();
    expect(events.ofType("dns-pool-sync-failed").map((e) => [e.peer, e.code, e.retryInMs])).toEqual([["n1", "dns-update-timeout", 500]]);
    expect(pool.size).toBe(0);
    clock.advance(500);
    await settled;
    expect([...pool]).toEqual(["10.0.0.1"]);
    sync.close();
    router.close();
  });
});
