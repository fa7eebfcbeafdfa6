// @ts-nocheck
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "@drainkit/core";
import { SimulatedClock } from "@drainkit/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import { createRoleProxy, startRouter, type RoleProxyOptions, type RoutingPeer } from "../../src/index.ts";
import { memoryPeerSource } from "../../src/testing/index.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** An upstream that records what reached it and answers as `answer` says. */
async function upstream(name: string, answer: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => res.end(name)): Promise<{ address: string; seen: string[] }> {
  const seen: string[] = [];
  const port = await listen(
    createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        seen.push(`${req.method} ${req.url} ${body}`);
        answer(req, res, body);
      });
    }),
  );
  return { address: `127.0.0.1:${port}`, seen };
}

/** What a drainkit host's closed gate answers: 503 with the draining marker. */
const drainingGate = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(503, { "retry-after": "1", "drainkit-draining": "true", "content-type": "application/problem+json" }).end('{"type":"https://drainkit.dev/problems/draining"}');
};

async function deadAddress(): Promise<string> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

const peerAt = (id: string, address: string): RoutingPeer => ({ id, address, roles: ["edge"], pools: [], labels: {}, phases: { edge: "active" }, epoch: 0, spec: { cordons: {} } });

async function front(peers: RoutingPeer[], options: Omit<RoleProxyOptions, "balancer"> = {}) {
  const router = await startRouter({ source: memoryPeerSource(peers), clock: systemClock() });
  cleanup.push(() => router.close());
  const proxy = createRoleProxy({ balancer: router.balancer("edge", { strategy: "round-robin" }), ...options });
  cleanup.push(() => proxy.close());
  const port = await listen(createServer(proxy.handle));
  const client = new Agent();
  cleanup.push(() => client.close());
  const call = async (path = "/", init: { method?: "GET" | "POST" | "PUT"; body?: string } = {}) => {
    const res = await request(`http://127.0.0.1:${port}${path}`, { dispatcher: client, method: init.method ?? "GET", ...(init.body === undefined ? {} : { body: init.body }) });
    return { status: res.statusCode, member: res.headers["x-drainkit-member"], attempts: res.headers["x-drainkit-attempts"], body: await res.body.text() };
  };
  return { proxy, call };
}

describe("createRoleProxy retries", () => {
  it("sends a GET refused by a draining gate to another member, once per request", async () => {
    const a = await upstream("a", drainingGate);
    const b = await upstream("b");
    const { proxy, call } = await front([peerAt("a", a.address), peerAt("b", b.address)]);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await call(`/x?i=${i}`));
    expect(answers.map((r) => [r.status, r.body])).toEqual(Array.from({ length: 6 }, () => [200, "b"]));
    // The retry takes round robin's next turn (b), so a is offered every request first; each is retried on b.
    expect(a.seen.length).toBe(6);
    expect(answers.every((r) => r.attempts === "2")).toBe(true);
    expect(proxy.stats().retries).toEqual({ draining: 6, connect: 0 });
    expect(proxy.stats().ejections).toBe(0); // a drain is not a fault
  });

  it("replays a PUT body on another member, but passes a POST's draining 503 through", async () => {
    const a = await upstream("a", drainingGate);
    const b = await upstream("b", (_req, res, body) => res.end(`b got ${body}`));
    const { call } = await front([peerAt("a", a.address), peerAt("b", b.address)]);
    const put = [await call("/doc", { method: "PUT", body: "v1" }), await call("/doc", { method: "PUT", body: "v2" })];
    expect(put.map((r) => r.body)).toEqual(["b got v1", "b got v2"]);
    const posts = [await call("/orders", { method: "POST", body: "o1" }), await call("/orders", { method: "POST", body: "o2" })];
    expect(posts.map((r) => r.status).sort()).toEqual([200, 503]);
  });

  it("retries a connection failure before any response byte, then ejects the member so it is no longer tried", async () => {
    const dead = await deadAddress();
    const b = await upstream("b");
    const clock = new SimulatedClock({ start: 1_000 });
    const { proxy, call } = await front([peerAt("a", dead), peerAt("b", b.address)], { clock, outliers: { consecutiveFailures: 3, baseEjectionMs: 10_000 } });
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await call());
    expect(answers.every((r) => r.status === 200 && r.body === "b")).toBe(true);
    expect(proxy.stats().retries.connect).toBe(3);
    expect(proxy.stats().ejections).toBe(1);
    expect(proxy.outOfRotation()).toEqual(["a"]);

    // The ejection lapses on the proxy's clock; a still dead a is ejected again after as many failures.
    clock.advance(10_000);
    expect(proxy.outOfRotation()).toEqual([]);
    for (let i = 0; i < 6; i++) expect((await call()).status).toBe(200);
    expect(proxy.stats().retries.connect).toBe(6);
    expect(proxy.stats().ejections).toBe(2);
    expect(proxy.outOfRotation()).toEqual(["a"]);
  });

  it("stops at maxAttempts and answers 502 naming the last member", async () => {
    const { proxy, call } = await front([peerAt("a", await deadAddress()), peerAt("b", await deadAddress()), peerAt("c", await deadAddress())], { retry: { maxAttempts: 2 }, outliers: false });
    const r = await call();
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ type: "https://drainkit.dev/problems/upstream-failed" });
    expect(JSON.parse(r.body).detail).toContain("after 2 attempt(s)");
    expect(proxy.stats().retries.connect).toBe(1);
  });

  it("makes no retry once the budget is spent", async () => {
    const a = await upstream("a", drainingGate);
    const b = await upstream("b");
    const { proxy, call } = await front([peerAt("a", a.address), peerAt("b", b.address)], { retry: { budgetRatio: 0, minRetryConcurrency: 0 } });
    const answers = [await call(), await call()];
    expect(answers.map((r) => r.status).sort()).toEqual([200, 503]);
    expect(proxy.stats().budgetExhausted).toBe(1);
    expect(proxy.stats().retries.draining).toBe(0);
  });

  it("routes to ejected members rather than refuse when every member is out (panic mode)", async () => {
    let fail = true;
    const a = await upstream("a", (_q, res) => (fail ? res.writeHead(500).end("broken") : res.end("a")));
    const clock = new SimulatedClock({ start: 0 });
    const { proxy, call } = await front([peerAt("a", a.address)], { clock, outliers: { consecutiveFailures: 1 } });
    expect((await call()).status).toBe(500);
    expect(proxy.outOfRotation()).toEqual(["a"]);
    fail = false;
    expect(await call()).toMatchObject({ status: 200, body: "a" });
  });
});

describe("createRoleProxy active health checks", () => {
  it("takes a member failing its probe out after the threshold and brings it back after passing again", async () => {
    let ready = true;
    const a = await upstream("a", (req, res) => (req.url === "/readyz" ? res.writeHead(ready ? 200 : 503).end() : res.end("a")));
    const b = await upstream("b", (req, res) => res.end(req.url === "/readyz" ? "" : "b"));
    const clock = new SimulatedClock({ start: 0 });
    const { proxy, call } = await front([peerAt("a", a.address), peerAt("b", b.address)], { clock, healthCheck: { path: "/readyz", intervalMs: 1_000, timeoutMs: 60_000, unhealthyThreshold: 2, healthyThreshold: 2 } });
    const probesOf = (u: { seen: string[] }): number => u.seen.filter((s) => s.startsWith("GET /readyz")).length;
    // While a round runs only its probes' 60 s timeouts are pending; once it is done, the next round is due in 1 s.
    const idle = (): boolean => (clock.nextTimerAt() ?? Infinity) <= clock.now() + 1_000;
    const settle = async (): Promise<void> => {
      while (!idle()) await new Promise((r) => setTimeout(r, 2));
    };
    /** Runs exactly one round of probes, to the end. */
    const round = async (): Promise<void> => {
      await settle();
      clock.advanceTo(clock.nextTimerAt()!);
      await settle();
    };
    await round();
    expect([probesOf(a), probesOf(b)]).toEqual([1, 1]);
    expect(proxy.outOfRotation()).toEqual([]);
    ready = false;
    await round();
    expect(proxy.outOfRotation()).toEqual([]); // one failure is below the threshold
    await round();
    expect(proxy.outOfRotation()).toEqual(["a"]);
    const served = [await call(), await call(), await call()];
    expect(served.map((r) => r.body)).toEqual(["b", "b", "b"]);
    ready = true;
    await round();
    expect(proxy.outOfRotation()).toEqual(["a"]); // one success is below the threshold
    await round();
    expect(proxy.outOfRotation()).toEqual([]);
    expect(probesOf(a)).toBe(5);
  });
});
