import { describe, expect, it } from "vitest";
import { SeededRandom, systemClock } from "@drainkit/core";
import { createRegistry, makeMemoryStore } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

describe("a status report committed in the same batch as a drain", () => {
  it("keeps the drain: a report from the epoch before it is dropped, never written over it", async () => {
    const registry = createRegistry({ store: makeMemoryStore(), clock: systemClock(), random: new SeededRandom(1) });
    await registerLive(registry, makePeer({ id: "host" }));
    await registerLive(registry, makePeer({ id: "spare" }));
    // Called in the same tick, so both are planned in one batch, the drain first.
    const [drained, reported] = await Promise.allSettled([
      registry.drain(principals.operator, "host", { reason: "kernel", deadlineMs: 60_000 }),
      registry.reportStatus(principals.operator, "host", { epoch: 0, roles: { edge: { phase: "active", epoch: 0 } } }),
    ]);
    expect(drained.status).toBe("fulfilled");
    expect(reported.status).toBe("fulfilled");
    const { peer } = await registry.getPeer(principals.reader, "host");
    expect(peer.spec.drain?.epoch).toBe(1);
    expect(peer.phase).toBe("draining");
  });
});
