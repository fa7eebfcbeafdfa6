// @ts-nocheck
import { isDrainkitError } from "@drainkit/core";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { createRegistry, makeMemoryStore } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

const { operator, reader } = principals;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isDrainkitError(e)) return e.code;
    throw e;
  }
}

async function setup() {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(7) });
  for (const id of ["web-1", "web-2"]) await registerLive(registry, makePeer({ id, pools: ["web"], roles: ["edge"] }));
  return { clock, registry };
}

describe("routers on a peer", () => {
  it("registers a router, records its acknowledgement of a drain epoch, ignores older ones and releases it", async () => {
    const { clock, registry } = await setup();
    const router = principals.agent("front-1");
    expect((await registry.registerRouter(router, "web-1", "front-1")).changed).toBe(true);
    expect((await registry.registerRouter(router, "web-1", "front-1")).changed).toBe(false);
    expect((await registry.getPeer(reader, "web-1")).peer.routers).toEqual({ "front-1": { since: 1_000_000 } });
    const { value: drain } = await registry.drain(operator, "web-1", { reason: "kernel" });
    clock.advance(5);
    expect((await registry.ackRouter(router, "web-1", "front-1", { epoch: drain.epoch })).changed).toBe(true);
    expect((await registry.ackRouter(router, "web-1", "front-1", { epoch: drain.epoch - 1 })).changed).toBe(false);
    expect((await registry.getPeer(reader, "web-1")).peer.routers).toEqual({ "front-1": { since: 1_000_000, acked: drain.epoch, ackedAt: 1_000_005 } });
    // An agent re-registering keeps the routers.
    await registry.registerPeer(principals.agent("web-1"), makePeer({ id: "web-1", pools: ["web"], roles: ["edge"] }));
    expect((await registry.getPeer(reader, "web-1")).peer.routers?.["front-1"]?.acked).toBe(drain.epoch);
    expect((await registry.releaseRouter(router, "web-1", "front-1")).changed).toBe(true);
    expect((await registry.getPeer(reader, "web-1")).peer.routers).toBeUndefined();
    // Each write is audited on the peer.
    const audit = await registry.queryAudit(principals.admin, { target: "peer/web-1" });
    expect(audit.items.map((e) => e.action)).toEqual(expect.arrayContaining(["registerRouter", "ackRouter", "releaseRouter"]));
  });

  it("lets an agent token act only as the router its principal names, operators as any; checks the epoch", async () => {
    const { registry } = await setup();
    expect(await codeOf(registry.registerRouter(principals.agent("front-1"), "web-1", "front-2"))).toBe("forbidden");
    expect(await codeOf(registry.registerRouter(reader, "web-1", "front-1"))).toBe("forbidden");
    expect(await codeOf(registry.registerRouter(operator, "web-1", "front-2"))).toBe("ok");
    expect(await codeOf(registry.ackRouter(operator, "web-1", "front-2", { epoch: -1 }))).toBe("validation");
    expect(await codeOf(registry.ackRouter(operator, "nope", "front-2", { epoch: 1 }))).toBe("not-found");
  });
});
