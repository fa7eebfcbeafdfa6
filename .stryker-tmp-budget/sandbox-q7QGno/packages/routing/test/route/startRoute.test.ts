// @ts-nocheck
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startTestControlApi, type TestControlApi } from "@drainkit/http/testing";
import { afterEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { parseRouteArgs, runRoute, startRoute, type RunningRoute } from "../../src/index.ts";
import { startHaproxy } from "../../src/testing/index.ts";
import * as grpc from "@grpc/grpc-js";
import { createEchoClient, echoServiceDefinition } from "@drainkit/grpc/testing";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function upstream(name: string): Promise<string> {
  const server: Server = createServer((req, res) => res.end(req.url === "/readyz" ? "" : name));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const operator = { id: "operator", scopes: ["mesh.operate"] } as const;

async function controlPlaneWith(peers: Record<string, { address: string; pools: string[] }>): Promise<TestControlApi> {
  const api = await startTestControlApi();
  cleanup.push(() => api.close());
  for (const [id, p] of Object.entries(peers)) await api.registry.registerPeer(operator, { id, address: p.address, pools: p.pools, roles: ["edge"] });
  return api;
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const body = async (url: string): Promise<string> => (await request(url)).body.text();

describe("startRoute (what drainkit route runs)", () => {
  it("serves a pool's routable members from a control plane and follows drains and resumes over SSE", async () => {
    const api = await controlPlaneWith({ "web-1": { address: await upstream("web-1"), pools: ["web"] }, "web-2": { address: await upstream("web-2"), pools: ["web"] }, "other-1": { address: await upstream("other-1"), pools: ["other"] } });
    const route: RunningRoute = await startRoute({ controlPlane: api.url, token: api.tokens["mesh.read"], role: "edge", pool: "web", listen: "127.0.0.1:0", adminListen: "127.0.0.1:0" });
    cleanup.push(() => route.close());
    expect(route.router.members("edge").map((m) => m.id)).toEqual(["web-1", "web-2"]);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await body(route.url!));
    expect([...seen].sort()).toEqual(["web-1", "web-2"]);

    await api.registry.drain(operator, "web-1", { reason: "kernel", deadlineMs: 60_000 });
    await until(() => route.router.members("edge").length === 1, "web-1 out of rotation");
    for (let i = 0; i < 4; i++) expect(await body(route.url!)).toBe("web-2");
    await api.registry.resume(operator, "web-1", { reason: "done" });
    await until(() => route.router.members("edge").length === 2, "web-1 back");

    const metrics = await body(`${route.adminUrl}/metrics`);
    expect(metrics).toContain('drainkit_routing_proxy_requests_total{role="edge",outcome="answered"} 8');
    expect(metrics).toContain('drainkit_routing_members{role="edge"} 2');
    const health = JSON.parse(await body(`${route.adminUrl}/healthz`)) as { members: number };
    expect(health.members).toBe(2);
  });

  it("says what is wrong with its arguments and exits 2; exits 1 when the control plane is unreachable or refuses the token", async () => {
    const lines: string[] = [];
    const io = { stdout: (t: string) => void lines.push(t), stderr: (t: string) => void lines.push(t) };
    expect(await runRoute(["--help"], io)).toBe(0);
    expect(lines.join("")).toContain("--health-path");
    lines.length = 0;
    expect(await runRoute(["--control-plane", "http://127.0.0.1:7400", "--token", "t"], io)).toBe(2);
    expect(lines.join("")).toContain("--role <role> is required");
    expect(() => parseRouteArgs(["--control-plane", "x", "--token", "t", "--role", "edge"])).toThrow(/must be a URL/);
    expect(() => parseRouteArgs(["--control-plane", "http://h:1", "--token", "t", "--role", "edge", "--health-interval-ms", "5"])).toThrow(/needs --health-path/);
    expect(() => parseRouteArgs(["--control-plane", "http://h:1", "--role", "edge"])).toThrow(/mesh.read/);
    expect(parseRouteArgs(["--role", "edge", "--retry-attempts", "1", "--eject-after", "0"], { DRAINKIT_URL: "http://h:1", DRAINKIT_TOKEN: "t" })).toMatchObject({ retry: false, outliers: false, controlPlane: "http://h:1" });

    // A port nothing listens on.
    const probe = createServer().listen(0, "127.0.0.1");
    await once(probe, "listening");
    const dead = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    lines.length = 0;
    expect(await runRoute(["--control-plane", `http://127.0.0.1:${dead}`, "--token", "t", "--role", "edge", "--listen", "127.0.0.1:0"], io)).toBe(1);
    expect(lines.join("")).toContain("control-plane-unreachable");

    const api = await controlPlaneWith({});
    lines.length = 0;
    expect(await runRoute(["--control-plane", api.url, "--token", "wrong", "--role", "edge", "--listen", "127.0.0.1:0"], io)).toBe(1);
    expect(lines.join("")).toContain("mesh.read");
  });

  it("runs until told to stop and prints one listening line and one stopped line", async () => {
    const api = await controlPlaneWith({ "web-1": { address: await upstream("web-1"), pools: ["web"] } });
    const lines: string[] = [];
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const running = runRoute(["--control-plane", api.url, "--token", api.tokens["mesh.read"], "--role", "edge", "--listen", "127.0.0.1:0", "--health-path", "/readyz"], {
      stdout: (t) => void lines.push(t),
      stderr: () => {},
      stopped,
    });
    await until(() => lines.some((l) => l.includes('"listening"')), "listening line");
    const listening = JSON.parse(lines.find((l) => l.includes('"listening"'))!) as { url: string; members: string[] };
    expect(listening.members).toEqual(["web-1"]);
    expect(await body(listening.url)).toBe("web-1");
    stop("SIGTERM");
    expect(await running).toBe(0);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ event: "stopped", signal: "SIGTERM", stats: { requests: 1 } });
  });

  it("keeps an HAProxy backend in step with --haproxy-socket, serving nothing itself with --listen none", async () => {
    const hp = await startHaproxy({ backend: "web" });
    cleanup.push(() => hp.stop());
    const api = await controlPlaneWith({ "web-1": { address: await upstream("web-1"), pools: ["web"] }, "web-2": { address: await upstream("web-2"), pools: ["web"] } });
    const lines: string[] = [];
    let stop!: (signal: string) => void;
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const running = runRoute(["--control-plane", api.url, "--token", api.tokens["mesh.read"], "--role", "edge", "--listen", "none", "--haproxy-socket", hp.socket, "--haproxy-backend", "web"], {
      stdout: (t) => void lines.push(t),
      stderr: () => {},
      stopped,
    });
    await until(() => lines.some((l) => l.includes('"listening"')), "listening line");
    expect(JSON.parse(lines[0]!)).toMatchObject({ url: null, haproxy: "web" });
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await body(hp.url));
    expect([...seen].sort()).toEqual(["web-1", "web-2"]);
    await api.registry.drain(operator, "web-2", { reason: "kernel", deadlineMs: 60_000 });
    await until(async () => ((await hp.api.servers("web")).find((s) => s.name === "web-2")!.adminState & 0x08) === 0x08, "web-2 draining in HAProxy");
    for (let i = 0; i < 4; i++) expect(await body(hp.url)).toBe("web-1");
    stop("SIGTERM");
    expect(await running).toBe(0);
    expect(() => parseRouteArgs(["--control-plane", "http://h:1", "--token", "t", "--role", "edge", "--listen", "none"])).toThrow(/--haproxy-socket/);
  });

  it("serves gRPC on --grpc-listen, to each member's address from --grpc-address-label", async () => {
    const servers: string[] = [];
    for (const name of ["g1", "g2"]) {
      const server = new grpc.Server();
      server.addService(echoServiceDefinition(), {
        Say: (call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, cb: grpc.sendUnaryData<{ text: string }>) => cb(null, { text: `${name}:${call.request.text}` }),
        Ticks: (call: grpc.ServerWritableStream<unknown, { n: number }>) => call.end(),
      });
      const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
      cleanup.push(() => void server.forceShutdown());
      servers.push(`127.0.0.1:${port}`);
    }
    const api = await startTestControlApi();
    cleanup.push(() => api.close());
    for (const [i, id] of ["web-1", "web-2"].entries()) await api.registry.registerPeer(operator, { id, address: await upstream(id), pools: ["web"], roles: ["edge"], labels: { grpc: servers[i]! } });
    const options = parseRouteArgs(["--control-plane", api.url, "--token", api.tokens["mesh.read"], "--role", "edge", "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--grpc-address-label", "grpc"]);
    if (options === "help") throw new Error("unexpected help");
    const route = await startRoute(options);
    cleanup.push(() => route.close());
    const client = createEchoClient(route.grpcAddress!);
    cleanup.push(() => client.close());
    const replies = [await client.say("x"), await client.say("y")];
    expect(replies.map((r) => r.split(":")[0]).sort()).toEqual(["g1", "g2"]);
    expect(await body(route.url!)).toMatch(/^web-/);
  });
});
