// @ts-nocheck
import { SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry, type MoveChange, type PlacementChange, type ApprovalChange, type RegistryChange, type RolloutChange } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

const { operator, reader, admin } = principals;

async function setup() {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(7), pools: [{ name: "web", maxUnavailable: 1 }] });
  for (const id of ["web-1", "web-2", "web-3"]) await registerLive(registry, makePeer({ id, pools: ["web"], metadata: { version: id === "web-3" ? "2.0.0" : "1.0.0" } }));
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

  it("verifies by default (minHealthyMs 10 s, Nomad's min_healthy_time); verify=false is recorded as a warning on the rollout and in the audit entry's reason", async () => {
    const { registry } = await setup();
    const verified = await registry.startRollout(operator, { version: "2.0.0", reason: "release" });
    expect(verified.value.settings).toMatchObject({ verify: true, minHealthyMs: 10_000, healthTimeoutMs: 300_000 });
    expect(verified.value.warnings).toBeUndefined();
    await registry.abortRollout(operator, undefined, { confirm: true });
    await registry.recordRolloutStep(admin, verified.value.id, { state: "aborted" });
    await expect(registry.startRollout(operator, { version: "2.0.0", verify: "no" as unknown as boolean, reason: "x" })).rejects.toMatchObject({ code: "validation" });

    const loose = await registry.startRollout(operator, { version: "2.0.0", verify: false, minHealthyMs: 0, reason: "hotfix" }, { ticket: "CHG-1" });
    expect(loose.value.settings).toMatchObject({ verify: false, minHealthyMs: 0 });
    expect(loose.value.warnings).toEqual([expect.stringMatching(/^unverified rollout \(verify=false\).*2\.0\.0/)]);
    const entry = (await registry.queryAudit(reader, { target: `rollout/${loose.value.id}` })).items[0]!;
    expect(entry).toMatchObject({ action: "startRollout", outcome: "ok", reason: "hotfix [unverified: verify=false]", ticket: "CHG-1" });
  });

  it("config rollout.maxParallel is the plan's maxParallel when the request gives none", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(7), pools: [{ name: "web", maxUnavailable: 3 }] });
    for (const id of ["web-1", "web-2", "web-3", "web-4"]) await registerLive(registry, makePeer({ id, pools: ["web"], metadata: { version: "1.0.0" } }));
    const byDefault = await registry.startRollout(operator, { version: "2.0.0", reason: "release" }, { dryRun: true });
    expect(byDefault.value.plan.waves.map((w) => w.nodes.length)).toEqual([1, 1, 1, 1]);
    await registry.patchConfig(admin, { "rollout.maxParallel": 2 }, { confirm: true });
    const fromConfig = await registry.startRollout(operator, { version: "2.0.0", reason: "release" }, { dryRun: true });
    expect(fromConfig.value.settings.maxParallel).toBe(2);
    expect(fromConfig.value.plan.waves.map((w) => w.nodes)).toEqual([["web-1", "web-2"], ["web-3", "web-4"]]);
    // The request still wins.
    const asked = await registry.startRollout(operator, { version: "2.0.0", maxParallel: 3, reason: "release" }, { dryRun: true });
    expect(asked.value.plan.waves.map((w) => w.nodes.length)).toEqual([3, 1]);
  });

  it("config maintenance.freeze refuses a new rollout (audited, also as a dry run) until an admin lifts it", async () => {
    const { registry } = await setup();
    await registry.patchConfig(admin, { "maintenance.freeze": true }, { confirm: true });
    const refused = await registry.startRollout(operator, { version: "2.0.0", reason: "release" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "maintenance-freeze", retryable: false, details: { key: "maintenance.freeze" } });
    expect((refused as Error).message).toMatch(/drainctl config unset maintenance\.freeze/);
    await expect(registry.startRollout(operator, { version: "2.0.0", reason: "release" }, { dryRun: true })).rejects.toMatchObject({ code: "maintenance-freeze" });
    const audit = (await registry.queryAudit(reader, { action: "startRollout" })).items;
    // The dry run is audited too, marked as such.
    expect(audit.map((e) => `${e.outcome}:${e.errorCode ?? ""}:${e.dryRun === true ? "dry" : "real"}`)).toEqual(["refused:maintenance-freeze:real", "refused:maintenance-freeze:dry"]);
    await registry.patchConfig(admin, { "maintenance.freeze": null }, { confirm: true });
    expect((await registry.startRollout(operator, { version: "2.0.0", reason: "release" })).value.state).toBe("running");
  });

  it("plans around peers whose agents never reported or went silent: they are not available", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    const registry = createRegistry({ store: makeMemoryStore(), clock, random: new SeededRandom(7), pools: [{ name: "web", maxUnavailable: 1 }] });
    for (const id of ["web-1", "web-2"]) await registerLive(registry, makePeer({ id, pools: ["web"], metadata: { version: "1.0.0" } }));
    // web-3 never reported: it already spends the pool's one unavailable slot.
    await registry.registerPeer(operator, makePeer({ id: "web-3", pools: ["web"], metadata: { version: "1.0.0" } }));
    const plan = (await registry.startRollout(operator, { version: "2.0.0", selector: { nodes: ["web-1", "web-2"] }, reason: "release" }, { dryRun: true })).value.plan;
    expect(plan.waves).toEqual([]);
    expect(plan.blocked.map((b) => [b.node, b.reason])).toEqual([["web-1", "pool-budget"], ["web-2", "pool-budget"]]);
  });
});
