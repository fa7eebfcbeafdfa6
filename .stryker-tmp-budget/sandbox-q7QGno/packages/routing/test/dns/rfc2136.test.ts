// @ts-nocheck
import { SimulatedClock, RecordingEventSink } from "@drainkit/core/testing";
import { makeMemoryStore, createRegistry } from "@drainkit/registry";
import { makePeer, principals } from "@drainkit/registry/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DnsUpdateError, makeRfc2136Provider, registrySource, startDnsPoolSync, startRouter, type DnsPoolSyncEvent } from "../../src/index.ts";
import { startBind9, type Bind9 } from "../../src/testing/index.ts";

// End to end against a real BIND 9 (Debian's bind9), queried with a real resolver.
let bind: Bind9;
beforeAll(async () => {
  bind = await startBind9({
    records: [
      "web IN A 10.0.0.1",
      "web IN A 10.0.0.2",
      "web IN A 10.0.0.3",
      "web IN AAAA fd00::3",
      "n0 IN A 10.0.0.1",
      "n1 IN A 10.0.0.2",
      "n2 IN A 10.0.0.3",
      "n2 IN AAAA fd00::3",
    ],
  });
});
afterAll(async () => {
  await bind?.stop();
});

const server = () => ({ host: bind.host, port: bind.port });

describe("RFC 2136 provider against BIND 9", () => {
  it("withdraws a node from the pooled name, keeps its per-node record and restores it", async () => {
    for (const transport of ["udp", "tcp"] as const) {
      const dns = makeRfc2136Provider({ server: { ...server(), transport }, zone: bind.zone, key: bind.key });
      const entry = { pool: "web.example.test", node: "n2.example.test", addresses: ["10.0.0.3", "fd00::3"] };
      await dns.withdraw(entry);
      expect(await bind.addresses("web.example.test")).toEqual(["10.0.0.1", "10.0.0.2"]);
      expect(await bind.addresses("n2.example.test")).toEqual(["10.0.0.3", "fd00::3"]);
      await dns.withdraw(entry); // idempotent
      await dns.restore(entry);
      await dns.restore(entry);
      expect(await bind.addresses("web.example.test")).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "fd00::3"]);
      await dns.close();
    }
  });

  it("refuses with a typed, non-retryable error when the TSIG secret is wrong", async () => {
    const dns = makeRfc2136Provider({ server: server(), zone: bind.zone, key: { name: bind.key.name, secret: Buffer.alloc(32, 7).toString("base64") } });
    const error = await dns.withdraw({ pool: "web.example.test", node: "n0.example.test", addresses: ["10.0.0.1"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsUpdateError);
    expect((error as DnsUpdateError).code).toBe("dns-update-tsig");
    expect((error as DnsUpdateError).retryable).toBe(false);
    expect(await bind.addresses("web.example.test")).toContain("10.0.0.1");
  });

  it("follows drains and resumes from a real registry into the pooled name", async () => {
    const clock = new SimulatedClock({ start: 1_700_000_000_000 });
    const store = makeMemoryStore();
    const registry = createRegistry({ store, clock });
    const ips = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
    for (const [i, ip] of ips.entries()) await registry.registerPeer(principals.operator, makePeer({ id: `n${i}`, roles: ["edge"], labels: { ip } }));
    const router = await startRouter({ source: registrySource(registry, principals.reader), clock });
    const events = new RecordingEventSink<DnsPoolSyncEvent>();
    const sync = startDnsPoolSync({
      router,
      clock,
      events,
      role: "edge",
      pool: "web.example.test",
      provider: makeRfc2136Provider({ server: server(), zone: bind.zone, key: bind.key }),
      entryOf: (m) => ({ node: `${m.id}.example.test`, addresses: [m.labels["ip"]!] }),
    });
    try {
      const settle = async () => {
        await router.caughtUp(await store.revision());
        await sync.settled();
      };
      await settle();
      await registry.drain(principals.operator, "n1", { reason: "kernel upgrade", deadlineMs: 60_000 });
      await settle();
      expect(await bind.addresses("web.example.test")).not.toContain("10.0.0.2");
      expect(await bind.addresses("n1.example.test")).toEqual(["10.0.0.2"]);
      await registry.resume(principals.operator, "n1");
      await settle();
      expect(await bind.addresses("web.example.test")).toContain("10.0.0.2");
      expect(events.ofType("dns-pool-withdrawn").map((e) => e.peer)).toEqual(["n1"]);
      expect(events.ofType("dns-pool-sync-failed")).toEqual([]);
    } finally {
      sync.close();
      router.close();
    }
  });
});
