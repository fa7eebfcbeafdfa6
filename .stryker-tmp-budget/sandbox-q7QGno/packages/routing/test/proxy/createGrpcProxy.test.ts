// @ts-nocheck
import { once } from "node:events";
import { createServer as createH2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { systemClock } from "@drainkit/core";
import { createGrpcDrainParticipant, createHealthService, type GrpcDrainParticipant } from "@drainkit/grpc";
import { createEchoClient, ECHO_SERVICE_NAME, echoServiceDefinition } from "@drainkit/grpc/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createGrpcProxy, startRouter, type RoutingPeer } from "../../src/index.ts";
import { memoryPeerSource } from "../../src/testing/index.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A real grpc-js echo server that says who it is, gated by the gRPC drain participant. */
async function echoServer(name: string): Promise<{ address: string; gate: GrpcDrainParticipant }> {
  const server = new grpc.Server();
  server.addService(echoServiceDefinition(), {
    Say(call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, callback: grpc.sendUnaryData<{ text: string }>) {
      callback(null, { text: `${name}:${call.request.text}` });
    },
    Ticks(call: grpc.ServerWritableStream<unknown, { n: number }>) {
      for (let n = 1; n <= 3; n++) call.write({ n });
      call.end();
    },
  });
  const health = createHealthService({ [ECHO_SERVICE_NAME]: "SERVING" });
  health.addTo(server);
  const gate = createGrpcDrainParticipant(server, { services: [ECHO_SERVICE_NAME], health, deregistrationDelayMs: 0 });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanup.push(() => void server.forceShutdown());
  return { address: `127.0.0.1:${port}`, gate };
}

const peer = (id: string, grpcAddress: string): RoutingPeer => ({ id, address: "127.0.0.1:1", roles: ["edge"], pools: [], labels: { grpc: grpcAddress }, phases: { edge: "active" }, epoch: 0, spec: { cordons: {} } });

describe("createGrpcProxy", () => {
  it("relays unary and streaming calls to routable members, and sends a call a draining server refused to another member", async () => {
    const a = await echoServer("a");
    const b = await echoServer("b");
    const router = await startRouter({ source: memoryPeerSource([peer("a", a.address), peer("b", b.address)]), clock: systemClock() });
    cleanup.push(() => router.close());
    const proxy = createGrpcProxy({ balancer: router.balancer("edge", { strategy: "round-robin" }), addressOf: (m) => m.labels["grpc"]! });
    cleanup.push(() => proxy.close());
    const front = createH2Server().on("stream", proxy.handle);
    front.listen(0, "127.0.0.1");
    await once(front, "listening");
    cleanup.push(() => new Promise<void>((resolve) => front.close(() => resolve())));
    const client = createEchoClient(`127.0.0.1:${(front.address() as AddressInfo).port}`);
    cleanup.push(() => client.close());

    const replies = [await client.say("1"), await client.say("2"), await client.say("3"), await client.say("4")];
    expect(replies.map((r) => r.split(":")[0]).sort()).toEqual(["a", "a", "b", "b"]);
    const ticks: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = client.ticks("t");
      s.on("data", (t: { n: number }) => ticks.push(t.n));
      s.on("error", reject);
      s.on("end", resolve);
    });
    expect(ticks).toEqual([1, 2, 3]);

    // a's gate closes before any router hears of it: its refusals are sent on to b, the caller sees none.
    a.gate.drain(new AbortController().signal);
    const during = [];
    for (let i = 0; i < 6; i++) during.push(await client.say(`d${i}`));
    expect(during.every((r) => r.startsWith("b:"))).toBe(true);
    // Round robin offers a first to at least every other call (a retry takes the next turn too).
    expect(proxy.stats().retries).toBeGreaterThanOrEqual(3);
    expect(proxy.stats().failed).toBe(0);

    // With every member refusing, the caller gets UNAVAILABLE.
    b.gate.drain(new AbortController().signal);
    const refused = await client.say("x").catch((e: grpc.ServiceError) => e);
    expect((refused as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
  });
});
