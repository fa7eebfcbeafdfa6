import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger, systemClock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type Peer, type Principal, type Registry, type Rollout } from "@drainkit/registry";
import { afterEach, describe, expect, it } from "vitest";
import { startRollouts, type RolloutRunner } from "../../src/controllers/rollouts.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };
const POOLS = [{ name: "web", maxUnavailable: 2 }];

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function fleet(): Promise<Registry> {
  const registry = createRegistry({ store: makeMemoryStore(), clock: systemClock(), pools: POOLS });
  for (const id of ["web-1", "web-2", "web-3"]) await registry.registerPeer(OPS, { id, address: `${id}:80`, pools: ["web"], roles: ["edge"] });
  return registry;
}

/** In-process agents: `fail` peers report their drain failed, the rest drained; everyone reports after a change. */
function agents(registry: Registry, fail: ReadonlySet<string>): void {
  const watch = registry.watch(0, (change) => {
    if (change.kind !== "peer" || change.value === undefined) return;
    const p = change.value as Peer;
    const me: Principal = { id: p.id, scopes: ["mesh.agent"] };
    if (p.phase === "draining" && p.spec.drain) {
      const epoch = p.spec.drain.epoch;
      void registry.reportStatus(me, p.id, { roles: { edge: { phase: fail.has(p.id) ? "failed" : "drained", epoch } }, epoch, ...(fail.has(p.id) ? { reason: "disk full" } : {}) }).catch(() => {});
    } else if (p.status === undefined || p.status.heartbeatAt < p.updatedAt) {
      void registry.reportStatus(me, p.id, { roles: {}, epoch: p.epoch }).catch(() => {});
    }
  });
  cleanups.push(() => watch.close());
}

async function runner(registry: Registry, last?: string): Promise<RolloutRunner> {
  const r = await startRollouts({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, pollMs: 50, healthIntervalMs: 20, retryDelayMs: 50, ...(last === undefined ? {} : { last }) });
  cleanups.push(() => r.stop());
  return r;
}

async function until(registry: Registry, done: (r: Rollout) => boolean): Promise<Rollout> {
  for (;;) {
    const r = await registry.getRollout(OPS);
    if (done(r)) return r;
    await sleep(20);
  }
}

describe("the leader's rollout runner", () => {
  it("takes the leader's own peer after every other node (it hands over, then drains)", async () => {
    const registry = await fleet();
    agents(registry, new Set());
    const drained: string[] = [];
    const watch = registry.watch(0, (change) => {
      const p = change.value as Peer | undefined;
      if (change.kind === "peer" && p?.phase === "draining" && !drained.includes(p.id)) drained.push(p.id);
    });
    cleanups.push(() => watch.close());
    await runner(registry, "web-1");
    // The order is the subject here, not version checks: the played agents report no versions.
    await registry.startRollout(OPS, { version: "2.0.0", maxParallel: 1, reason: "release", verify: false, minHealthyMs: 0 });
    const done = await until(registry, (r) => r.state === "completed");
    expect(done.progress).toMatchObject({ done: 3, failed: 0 });
    expect(drained).toEqual(["web-2", "web-3", "web-1"]);
  });

  it("pauses when a node's drain fails, leaves it failed for an operator, and stops for good on abort", async () => {
    const registry = await fleet();
    agents(registry, new Set(["web-1"]));
    await runner(registry);
    await registry.startRollout(OPS, { version: "2.0.0", maxParallel: 1, reason: "release" });

    const paused = await until(registry, (r) => r.state === "paused");
    expect(paused.stateReason).toMatch(/1 node\(s\) failed/);
    expect(paused.nodes["web-1"]).toMatchObject({ step: "failed", reason: expect.stringMatching(/disk full/) });

    await registry.abortRollout(OPS, undefined, { confirm: true, reason: "investigate" });
    const ended = await until(registry, (r) => r.state === "aborted");
    expect([ended.nodes["web-2"]!.step, ended.nodes["web-3"]!.step]).toEqual(["pending", "pending"]);
    expect(ended.progress).toMatchObject({ failed: 1, done: 0 });
    const phases = await Promise.all(["web-1", "web-2", "web-3"].map(async (id) => (await registry.getPeer(OPS, id)).peer.phase));
    // web-1 stays failed (quiesced) for an operator to look at; the others were never touched.
    expect(phases).toEqual(["failed", "active", "active"]);
  });

  it("a new leader finishing an abort gives back the cordons the old one placed", async () => {
    const registry = await fleet();
    const { value } = await registry.startRollout(OPS, { version: "2.0.0", maxParallel: 2, reason: "release" });
    // What the old leader got done before it died: web-1 cordoned for the rollout.
    await registry.cordon(LEADER, "web-1", { owner: "rollout", reason: "rolling upgrade" });
    await registry.recordRolloutStep(LEADER, value.id, { node: "web-1", step: "cordoned", wave: 0 });
    await registry.abortRollout(OPS, value.id, { confirm: true, reason: "stop" });

    await runner(registry);
    const ended = await until(registry, (r) => r.state === "aborted");
    expect(ended.nodes["web-1"]).toMatchObject({ step: "pending", reason: expect.stringMatching(/cordon was removed/) });
    const web1 = (await registry.getPeer(OPS, "web-1")).peer;
    expect([web1.phase, Object.keys(web1.spec.cordons)]).toEqual(["active", []]);
  });
});
