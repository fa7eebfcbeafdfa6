// @ts-nocheck
import { SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { startRouter, type RoutingPeer } from "../src/index.ts";
import { memoryPeerSource } from "../src/testing/index.ts";

const peer = (id: string): RoutingPeer => ({ id, address: `10.0.0.${id.slice(1)}:80`, roles: ["edge"], pools: [], labels: {}, phases: { edge: "active" }, epoch: 0, spec: { cordons: {} } });

describe("Balancer.acquire with avoid", () => {
  for (const strategy of ["round-robin", "least-in-flight", "consistent-hash"] as const) {
    it(`${strategy}: never returns an avoided member, and throws no-routable-member once every member is avoided`, async () => {
      const router = await startRouter({ source: memoryPeerSource(["n1", "n2", "n3"].map(peer)), clock: new SimulatedClock({ start: 0 }) });
      const b = router.balancer("edge", { strategy });
      const key = strategy === "consistent-hash" ? "session-1" : undefined;
      const home = b.acquire(key);
      home.release();
      const tried = new Set([home.member.id]);
      for (let i = 0; i < 10; i++) {
        const lease = b.acquire(key, (m) => tried.has(m.id));
        expect(tried.has(lease.member.id)).toBe(false);
        lease.release();
      }
      const second = b.acquire(key, (m) => tried.has(m.id));
      tried.add(second.member.id);
      const third = b.acquire(key, (m) => tried.has(m.id));
      tried.add(third.member.id);
      expect(() => b.acquire(key, (m) => tried.has(m.id))).toThrow(expect.objectContaining({ code: "no-routable-member" }));
      expect(router.inFlight("edge", second.member.id)).toBe(1);
      second.release();
      third.release();
      expect(b.members().map((m) => m.id)).toEqual(["n1", "n2", "n3"]);
      router.close();
    });
  }
});
