// @ts-nocheck
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "@drainkit/core";
import { afterEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { haproxyRuntimeApi, startHaproxySync, startRouter, type HaproxySyncEvent, type RoutingPeer } from "../../src/index.ts";
import { memoryPeerSource, startHaproxy } from "../../src/testing/index.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function upstream(name: string): Promise<string> {
  const server: Server = createServer((_req, res) => res.end(name));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const peer = (id: string, address: string, phase: RoutingPeer["phases"][string], labels: Record<string, string> = {}): RoutingPeer => ({
  id, address, roles: ["edge"], pools: ["web"], labels, phases: { edge: phase }, epoch: 0, spec: { cordons: {} },
});

const names = async (url: string, n: number): Promise<string[]> => {
  const out = new Set<string>();
  for (let i = 0; i < n; i++) out.add(await (await request(url)).body.text());
  return [...out].sort();
};

describe("HAProxy adapter (a real haproxy on 127.0.0.1)", () => {
  it("adds, drains, puts in maintenance, moves, weights and deletes servers as the control plane's states change", async () => {
    const hp = await startHaproxy();
    cleanup.push(() => hp.stop());
    const a = await upstream("a");
    const b = await upstream("b");
    const source = memoryPeerSource([peer("web-1", a, "active"), peer("web-2", b, "active", { weight: "2" })]);
    const router = await startRouter({ source, clock: systemClock() });
    cleanup.push(() => router.close());
    const seen: HaproxySyncEvent[] = [];
    const sync = await startHaproxySync({ router, role: "edge", pool: "web", backend: hp.backend, api: hp.api, clock: systemClock(), events: { emit: (e) => seen.push(e) } });
    cleanup.push(() => sync.close());
    const state = async () => Object.fromEntries((await hp.api.servers(hp.backend)).map((s) => [s.name, { address: `${s.address}:${s.port}`, admin: s.adminState, weight: s.weight }]));

    expect(await state()).toEqual({ "web-1": { address: a, admin: 0, weight: 1 }, "web-2": { address: b, admin: 0, weight: 2 } });
    expect(await names(hp.url, 8)).toEqual(["a", "b"]);

    source.put(peer("web-1", a, "draining"));
    await sync.settled();
    expect((await state())["web-1"]!.admin & 0x08).toBe(0x08); // forced drain
    expect(await names(hp.url, 6)).toEqual(["b"]);

    source.put(peer("web-1", a, "drained"));
    await sync.settled();
    expect((await state())["web-1"]!.admin & 0x01).toBe(0x01); // forced maintenance

    // Restarted on another port, then resumed.
    const a2 = await upstream("a2");
    source.put(peer("web-1", a2, "active"));
    await sync.settled();
    expect((await state())["web-1"]).toEqual({ address: a2, admin: 0, weight: 1 });
    expect(await names(hp.url, 8)).toEqual(["a2", "b"]);

    source.remove("web-2");
    await sync.settled();
    expect(Object.keys(await state())).toEqual(["web-1"]);
    expect(seen.filter((e) => e.type === "haproxy-server-deleted").map((e) => (e as { server: string }).server)).toEqual(["web-2"]);
    expect(seen.filter((e) => e.type === "haproxy-sync-failed")).toEqual([]);
  });

  it("adopts a backend already holding servers: stale ones are deleted, drifted ones put back", async () => {
    const hp = await startHaproxy();
    cleanup.push(() => hp.stop());
    const a = await upstream("a");
    await hp.api.run(`add server ${hp.backend}/stale 127.0.0.1:9`);
    await hp.api.run(`add server ${hp.backend}/web-1 ${a}`);
    await hp.api.run(`set server ${hp.backend}/web-1 state maint`);
    const router = await startRouter({ source: memoryPeerSource([peer("web-1", a, "active")]), clock: systemClock() });
    cleanup.push(() => router.close());
    const sync = await startHaproxySync({ router, role: "edge", backend: hp.backend, api: hp.api, clock: systemClock() });
    cleanup.push(() => sync.close());
    expect((await hp.api.servers(hp.backend)).map((s) => [s.name, s.adminState])).toEqual([["web-1", 0]]);
  });

  it("refuses to start on a socket or backend that is not there, naming it", async () => {
    const hp = await startHaproxy();
    cleanup.push(() => hp.stop());
    const router = await startRouter({ source: memoryPeerSource([]), clock: systemClock() });
    cleanup.push(() => router.close());
    await expect(startHaproxySync({ router, role: "edge", backend: "nope", api: hp.api, clock: systemClock() })).rejects.toMatchObject({ code: "haproxy-command-failed" });
    await expect(startHaproxySync({ router, role: "edge", backend: hp.backend, api: haproxyRuntimeApi(`${hp.socket}.missing`), clock: systemClock() })).rejects.toThrow(/admin socket/);
  });
});
