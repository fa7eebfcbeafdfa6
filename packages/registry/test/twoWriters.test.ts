import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { createRegistry, makeMemoryStore } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

/**
 * The leader's registry and the API's registry are two writers of one store
 * (two instances in one process, or two replicas). Neither may decide from
 * what it wrote last when the other has written since: a decision to change
 * nothing is committed (and audited) without any compare that would catch it.
 */
describe("two registries writing one store", () => {
  it("a cordon the other registry lifted since is placed again, not taken as already there", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const store = makeMemoryStore();
    const api = createRegistry({ store, clock, random: new SeededRandom(1) });
    const leader = createRegistry({ store, clock, random: new SeededRandom(2) });
    for (const id of ["web-1", "web-2"]) await registerLive(api, makePeer({ id, pools: ["web"] }));
    await leader.cordon(principals.operator, "web-1", { reason: "kernel" });
    await api.uncordon(principals.operator, "web-1");
    const again = await leader.cordon(principals.operator, "web-1", { reason: "kernel" });
    expect(again.changed).toBe(true);
    expect((await api.getPeer(principals.reader, "web-1")).peer.phase).toBe("cordoned");
  });

  it("the leader marks a peer silent after a report the API took since the leader last wrote it", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const store = makeMemoryStore();
    const api = createRegistry({ store, clock, random: new SeededRandom(1) });
    const leader = createRegistry({ store, clock, random: new SeededRandom(2) });
    await registerLive(api, makePeer({ id: "web-1", pools: ["web"] }));
    clock.advance(31_000);
    const first = (await api.getPeer(principals.reader, "web-1")).peer.status!.heartbeatAt;
    expect((await leader.markSilent(principals.operator, "web-1", { heartbeatAt: first })).changed).toBe(true);
    await api.reportStatus(principals.agent("web-1"), "web-1", { roles: {}, epoch: 0 });
    const second = (await api.getPeer(principals.reader, "web-1")).peer.status!.heartbeatAt;
    clock.advance(31_000);
    const marked = await leader.markSilent(principals.operator, "web-1", { heartbeatAt: second });
    expect(marked.changed).toBe(true);
    expect((await api.getPeer(principals.reader, "web-1")).peer.silentSince).toBe(clock.now());
  });
});
