// @ts-nocheck
// The README's example: a registry, a router following it, a proxy in front
// of three upstreams, and a drain that stops new traffic to one of them.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { systemClock } from "@drainkit/core";
import { makeMemoryStore, createRegistry } from "@drainkit/registry";
import { createRoleProxy, registrySource, startRouter } from "@drainkit/routing";

const clock = systemClock();
const store = makeMemoryStore();
const registry = createRegistry({ store, clock });
const ops = { id: "alice", scopes: ["mesh.operate"] } as const;

// Three tiny upstreams that say who they are.
const servers = [];
for (const id of ["web-1", "web-2", "web-3"]) {
  const server = createServer((_req, res) => res.end(id)).listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  const port = (server.address() as AddressInfo).port;
  await registry.registerPeer(ops, { id, address: `127.0.0.1:${port}`, pools: ["web"], roles: ["edge"] });
}

const router = await startRouter({ source: registrySource(registry, { id: "router", scopes: ["mesh.read"] }), clock });
const proxy = createRoleProxy({ balancer: router.balancer("edge", { strategy: "round-robin" }) });
const front = createServer(proxy.handle).listen(0, "127.0.0.1");
await once(front, "listening");
const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/`;

const hits = async (): Promise<string[]> => Promise.all([1, 2, 3, 4, 5, 6].map(async () => (await fetch(url)).text()));
console.log("before:", (await hits()).sort().join(" "));

await registry.drain(ops, "web-2", { reason: "kernel upgrade", deadlineMs: 60_000 });
await router.caughtUp(await store.revision());
console.log("routable:", router.members("edge").map((m) => m.id).join(" ")); // web-1 web-3
console.log("draining:", (await hits()).sort().join(" "));                    // no web-2

router.close();
await proxy.close();
front.close();
for (const s of servers) s.close();
