// @ts-nocheck
import { systemClock } from "@drainkit/core";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { createGrpcBalancer, startRouter, type RoutingPeer } from "../../src/index.ts";
import { memoryPeerSource } from "../../src/testing/index.ts";

// A one-method service without protobuf: raw UTF-8 in and out.
const echo = {
  whoami: {
    path: "/drainkit.test.Echo/WhoAmI",
    requestStream: false,
    responseStream: false,
    requestSerialize: (s: string) => Buffer.from(s),
    requestDeserialize: (b: Buffer) => b.toString(),
    responseSerialize: (s: string) => Buffer.from(s),
    responseDeserialize: (b: Buffer) => b.toString(),
  },
} satisfies grpc.ServiceDefinition;
const EchoClient = grpc.makeGenericClientConstructor(echo, "Echo");

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(name: string): Promise<string> {
  const server = new grpc.Server();
  server.addService(echo, { whoami: (_call: unknown, done: grpc.sendUnaryData<string>) => done(null, name) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e === null ? resolve(p) : reject(e))),
  );
  cleanup.push(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  return `127.0.0.1:${port}`;
}

const peerAt = (id: string, address: string, phase: RoutingPeer["phases"][string]): RoutingPeer => ({
  id, address, roles: ["rpc"], pools: [], labels: {}, phases: { rpc: phase }, epoch: 0, spec: { cordons: {} },
});

type Echo = grpc.Client & { whoami(req: string, cb: (e: grpc.ServiceError | null, r?: string) => void): void };
const whoami = (client: Echo): Promise<string> => new Promise((resolve, reject) => client.whoami("?", (e, r) => (e === null ? resolve(r!) : reject(e))));

describe("createGrpcBalancer", () => {
  it("spreads calls over routable members, keeps a sticky session on a draining one, and closes its channel once drained", async () => {
    const addresses = { a: await serve("a"), b: await serve("b"), c: await serve("c") };
    const source = memoryPeerSource(Object.entries(addresses).map(([id, addr]) => peerAt(id, addr, "active")));
    const router = await startRouter({ source, clock: systemClock() });
    cleanup.push(() => router.close());
    const rr = createGrpcBalancer({ router, balancer: router.balancer("rpc", { strategy: "round-robin" }), connect: (m) => new EchoClient(m.address, grpc.credentials.createInsecure()) as unknown as Echo });
    const sticky = createGrpcBalancer({ router, balancer: router.balancer("rpc", { strategy: "consistent-hash" }), connect: (m) => new EchoClient(m.address, grpc.credentials.createInsecure()) as unknown as Echo });
    cleanup.push(() => rr.close(), () => sticky.close());

    const names = [];
    for (let i = 0; i < 6; i++) names.push(await rr.run(whoami));
    expect(names.sort()).toEqual(["a", "a", "b", "b", "c", "c"]);

    const home = await sticky.run(whoami, "session-1");
    source.put(peerAt(home, addresses[home as keyof typeof addresses], "draining"));
    expect(await sticky.run(whoami, "session-1")).toBe(home);
    for (let i = 0; i < 6; i++) expect(await rr.run(whoami)).not.toBe(home);

    source.put(peerAt(home, addresses[home as keyof typeof addresses], "drained"));
    expect(sticky.open()).not.toContain(home);
    expect(rr.open()).not.toContain(home);
    expect(await sticky.run(whoami, "session-1")).not.toBe(home);
  });
});
