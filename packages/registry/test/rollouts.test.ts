import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry, type MoveChange, type PlacementChange, type ApprovalChange, type RegistryChange, type RolloutChange } from "../src/index.ts";
import { makePeer, principals } from "../src/testing/index.ts";

const { operator, reader, admin } = principals;

async function setup() {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(7), pools: [{ name: "web", maxUnavailable: 1 }] });
  for (const id of ["web-1", "web-2", "web-3"]) await registry.registerPeer(operator, makePeer({ id, pools: ["web"], metadata: { version: id === "web-3" ? "2.0.0" : "1.0.0" } }));
  return { clock, registry };
}

describe("rollouts in the registry", () => {
  it("plans the peers not on the version yet, records steps with counts, and ends once", async () => {
    const { clock, registry } = await setup();
    const started = await registry.startRollout(operator, { version: "2.0.0", selector: { pool: "web" }, maxParallel: 2, reason: "release" });
    const r = started.value;
    expect(Object.keys(r.nodes)).toEqual(["web-1", "web-2"]);
    expect(r.plan.waves.map((w) => w.nodes)).toEqual([["web-1"], ["web-2"]]);
    expect(r.progress).toEqual({ total: 2, done: 0, failed: 0, inProgress: 0, pending: 2 });

    clock.advance(1000);
    await registry.recordRolloutStep(admin, r.id, { node: "web-1", step: "draining", wave: 0, epoch: 1 });
    const healthy = await registry.recordRolloutStep(admin, r.id, { node: "web-1", step: "healthy" });
    expect(healthy.value.nodes["web-1"]).toMatchObject({ step: "healthy", wave: 0, epoch: 1 });
    expect(healthy.value.progress).toMatchObject({ done: 1, pending: 1, etaMs: 1000 });
    const noop = await registry.recordRolloutStep(admin, r.id, { node: "web-1", step: "healthy" });
    expect(noop.changed).toBe(false);

    const ended = await registry.recordRolloutStep(admin, r.id, { state: "completed" });
    expect(ended.value).toMatchObject({ state: "completed", finishedAt: clock.now() });
    expect((await registry.recordRolloutStep(admin, r.id, { state: "running" })).changed).toBe(false);
    await expect(registry.pauseRollout(operator, undefined)).rejects.toMatchObject({ code: "rollout-invalid-transition" });
    expect((await registry.getRollout(reader)).state).toBe("completed");
  });

  it("refuses a second active rollout, an unknown rollout and a reader, each audited", async () => {
    const { registry } = await setup();
    const first = await registry.startRollout(operator, { version: "2.0.0", reason: "release" });
    await expect(registry.startRollout(operator, { version: "3.0.0", reason: "again" })).rejects.toMatchObject({ code: "rollout-in-progress" });
    await expect(registry.startRollout(reader, { version: "3.0.0", reason: "nope" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(registry.pauseRollout(operator, "ro-ghost")).rejects.toMatchObject({ code: "not-found" });
    await expect(registry.abortRollout(operator, first.value.id)).rejects.toMatchObject({ code: "confirmation-required" });
    const audit = (await registry.queryAudit(reader, {})).items.filter((e) => e.action.endsWith("Rollout"));
    expect(audit.map((e) => `${e.action}:${e.outcome}:${e.errorCode ?? ""}`)).toEqual([
      "startRollout:ok:",
      "startRollout:refused:rollout-in-progress",
      "startRollout:refused:forbidden",
      "pauseRollout:refused:not-found",
      "abortRollout:refused:confirmation-required",
    ]);
  });

  it("streams rollout changes through watchAll only, leaving watch as it was", async () => {
    const { registry } = await setup();
    const all: (RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange)[] = [];
    const plain: RegistryChange[] = [];
    const a = registry.watchAll(0, (c) => all.push(c));
    const b = registry.watch(0, (c) => plain.push(c));
    const { value } = await registry.startRollout(operator, { version: "2.0.0", reason: "release" });
    await registry.pauseRollout(operator, value.id, { reason: "hold" });
    a.close();
    b.close();
    expect(all.filter((c) => c.kind === "rollout").map((c) => (c.value as { state: string }).state)).toEqual(["running", "paused"]);
    expect(plain.some((c) => (c.kind as string) === "rollout")).toBe(false);
  });
});
