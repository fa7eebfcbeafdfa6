// @ts-nocheck
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "@drainkit/core";
import { afterEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { createRoleProxy, startRouter, type RoleProxy, type Router, type RoutingPeer } from "../../src/index.ts";
import { memoryPeerSource } from "../../src/testing/index.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function upstream(name: string): Promise<string> {
  const port = await listen(
    createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => res.end(JSON.stringify({ name, method: req.method, url: req.url, body, xff: req.headers["x-forwarded-for"] ?? null })));
    }),
  );
  return `127.0.0.1:${port}`;
}

const peerAt = (id: string, address: string, phase: RoutingPeer["phases"][string]): RoutingPeer => ({
  id, address, roles: ["edge"], pools: [], labels: {}, phases: { edge: phase }, epoch: 0, spec: { cordons: {} },
});

async function proxyFor(router: Router, strategy: "round-robin" | "consistent-hash"): Promise<{ url: string; proxy: RoleProxy }> {
  const proxy = createRoleProxy({
    balancer: strategy === "round-robin" ? router.balancer("edge", { strategy }) : router.balancer("edge", { strategy }),
    sessionKey: (req) => (typeof req.headers["x-session"] === "string" ? req.headers["x-session"] : undefined),
  });
  cleanup.push(() => proxy.close());
  const port = await listen(createServer(proxy.handle));
  return { url: `http://127.0.0.1:${port}`, proxy };
}

describe("createRoleProxy", () => {
  it("forwards method, path and body to routable members only", async () => {
    const source = memoryPeerSource([peerAt("a", await upstream("a"), "active"), peerAt("b", await upstream("b"), "draining"), peerAt("c", await upstream("c"), "cordoned")]);
    const router = await startRouter({ source, clock: systemClock() });
    cleanup.push(() => router.close());
    const { url } = await proxyFor(router, "round-robin");
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await request(`${url}/orders?x=${i}`, { method: "POST", body: `n=${i}` });
      const json = (await res.body.json()) as { name: string; method: string; url: string; body: string; xff: string };
      expect(res.statusCode).toBe(200);
      expect(res.headers["x-drainkit-member"]).toBe(json.name);
      expect([json.method, json.url, json.body]).toEqual(["POST", `/orders?x=${i}`, `n=${i}`]);
      expect(json.xff).toBe("127.0.0.1");
      seen.add(json.name);
    }
    expect([...seen].sort()).toEqual(["a", "c"]);
  });

  it("keeps a session on its member while it drains and answers 503 once nothing is routable", async () => {
    const a = await upstream("a");
    const b = await upstream("b");
    const source = memoryPeerSource([peerAt("a", a, "active"), peerAt("b", b, "active")]);
    const router = await startRouter({ source, clock: systemClock() });
    cleanup.push(() => router.close());
    const { url } = await proxyFor(router, "consistent-hash");
    const first = await request(url, { headers: { "x-session": "s1" } });
    await first.body.dump();
    const home = first.headers["x-drainkit-member"] as string;
    source.put(peerAt(home, home === "a" ? a : b, "draining"));
    const again = await request(url, { headers: { "x-session": "s1" } });
    await again.body.dump();
    expect(again.headers["x-drainkit-member"]).toBe(home);
    const fresh = await request(url, { headers: { "x-session": "s2-new" } });
    await fresh.body.dump();
    expect(fresh.headers["x-drainkit-member"]).not.toBe(home);
    source.put(peerAt("a", a, "drained"));
    source.put(peerAt("b", b, "drained"));
    const none = await request(url, { headers: { "x-session": "s3" } });
    expect(none.statusCode).toBe(503);
    expect(none.headers["retry-after"]).toBe("1");
    expect(((await none.body.json()) as { type: string }).type).toBe("https://drainkit.dev/problems/no-routable-member");
  });

  it("answers 502 when the upstream is down", async () => {
    // A port that was just free: nothing listens there, so the upstream refuses.
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const dead = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const source = memoryPeerSource([peerAt("gone", `127.0.0.1:${dead}`, "active")]);
    const router = await startRouter({ source, clock: systemClock() });
    cleanup.push(() => router.close());
    const { url } = await proxyFor(router, "round-robin");
    const res = await request(url);
    expect(res.statusCode).toBe(502);
    expect(((await res.body.json()) as { type: string }).type).toBe("https://drainkit.dev/problems/upstream-failed");
    expect(router.inFlight("edge", "gone")).toBe(0);
  });
});
