// @ts-nocheck
import { isDrainkitError } from "@drainkit/core";
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry } from "../src/index.ts";
import { makePeer, principals } from "../src/testing/index.ts";

const { operator, reader } = principals;

async function setup() {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(5) });
  for (const id of ["a", "b"]) await registry.registerPeer(operator, makePeer({ id }));
  await registry.drain(operator, "a", { reason: "disk", deadlineMs: 600_000 });
  return { clock, registry };
}

describe("a stalled drain", () => {
  it("shows the control plane's reason and the workloads with nowhere to go, until it is cleared", async () => {
    const { clock, registry } = await setup();
    const set = await registry.reportDrainStalled(operator, "a", { epoch: 1, reason: "no schedulable node sharing a pool with it can take the remaining workloads", workloads: ["shard-1"] });
    expect(set.changed).toBe(true);
    expect(await registry.drainStatus(reader, "a")).toMatchObject({
      status: "draining",
      reason: "no schedulable node sharing a pool with it can take the remaining workloads",
      blocking: expect.arrayContaining(["workload:shard-1"]),
    });
    expect((await registry.getPeer(reader, "a")).peer.spec.drain?.stalled).toEqual({ reason: expect.any(String), workloads: ["shard-1"], since: 1_000_000 });

    // The same report again changes nothing, and keeps the time it began.
    clock.advance(5_000);
    expect((await registry.reportDrainStalled(operator, "a", { epoch: 1, reason: set.value.spec.drain!.stalled!.reason, workloads: ["shard-1"] })).changed).toBe(false);
    // Another workload blocking: updated, still stalled since the start.
    await registry.reportDrainStalled(operator, "a", { epoch: 1, reason: set.value.spec.drain!.stalled!.reason, workloads: ["shard-2"] });
    expect((await registry.getPeer(reader, "a")).peer.spec.drain?.stalled).toMatchObject({ workloads: ["shard-2"], since: 1_000_000 });

    // A report about another epoch changes nothing.
    expect((await registry.reportDrainStalled(operator, "a", { epoch: 7, reason: "stale" })).changed).toBe(false);
    // Cleared: the drain reads as a plain one again.
    await registry.reportDrainStalled(operator, "a", { epoch: 1 });
    const status = await registry.drainStatus(reader, "a");
    expect(status.reason).toBeUndefined();
    expect(status.blocking ?? []).not.toContain("workload:shard-2");
    const audit = await registry.queryAudit(reader, { action: "drainStalled", limit: 100 });
    expect(audit.items.map((e) => e.outcome)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
  });

  it("is for the control plane and operators only, and refused reports change nothing", async () => {
    const { registry } = await setup();
    for (const who of [principals.agent("a"), reader]) {
      const e = await registry.reportDrainStalled(who, "a", { epoch: 1, reason: "x" }).catch((err: unknown) => err);
      expect(isDrainkitError(e) && e.code).toBe("forbidden");
    }
    const bad = await registry.reportDrainStalled(operator, "a", { epoch: -1, reason: "x" }).catch((err: unknown) => err);
    expect(isDrainkitError(bad) && bad.code).toBe("validation");
    expect((await registry.getPeer(reader, "a")).peer.spec.drain?.stalled).toBeUndefined();
    const refused = await registry.queryAudit(reader, { action: "drainStalled", outcome: "refused", limit: 100 });
    expect(refused.items).toHaveLength(3);
  });
});
