import { setTimeout as sleep } from "node:timers/promises";
import { PoolDepletionError, silentLogger, systemClock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type Peer, type Principal, type Registry, type Rollout, type RolloutChange } from "@drainkit/registry";
import { afterEach, describe, expect, it } from "vitest";
import { startRollouts } from "../../src/controllers/rollouts.ts";

const LEADER: Principal = { id: "control-plane", scopes: ["mesh.admin"] };
const OPS: Principal = { id: "ops", scopes: ["mesh.operate"] };
const IDS = ["web-1", "web-2", "web-3"];

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function fleet(maxUnavailable = 1): Promise<{ registry: Registry; pools: { name: string; maxUnavailable: number }[] }> {
  const pools = [{ name: "web", maxUnavailable }];
  const registry = createRegistry({ store: makeMemoryStore(), clock: systemClock(), pools });
  for (const id of IDS) {
    await registry.registerPeer(OPS, { id, address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "1.0.0" } });
    await registry.reportStatus({ id, scopes: ["mesh.agent"] }, id, { roles: {}, epoch: 0 });
  }
  return { registry, pools };
}

/**
 * The hosts' agents, played in-process: every 40 ms each reports its status
 * (a heartbeat, or its drain done); a drained host "upgrades" by
 * re-registering on `to`, except the hosts in `stuck`, which come back on
 * the old version.
 */
function agents(registry: Registry, to: string, stuck: ReadonlySet<string> = new Set()): void {
  let stopped = false;
  cleanups.push(() => (stopped = true));
  void (async () => {
    while (!stopped) {
      for (const id of IDS) {
        const me: Principal = { id, scopes: ["mesh.agent"] };
        try {
          const p = (await registry.getPeer(OPS, id)).peer;
          if (p.phase === "draining" && p.spec.drain) {
            await registry.reportStatus(me, id, { roles: { edge: { phase: "drained", epoch: p.spec.drain.epoch } }, epoch: p.spec.drain.epoch });
          } else if (p.phase === "drained" && p.metadata["version"] !== to && !stuck.has(id)) {
            await registry.registerPeer(OPS, { id, address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: to } });
          } else {
            await registry.reportStatus(me, id, { roles: {}, epoch: p.epoch });
          }
        } catch {
          // A report racing a change is refused; the next round reports again.
        }
      }
      await sleep(40);
    }
  })();
}

async function runner(registry: Registry): Promise<void> {
  const r = await startRollouts({ registry, clock: systemClock(), principal: LEADER, logger: silentLogger, pollMs: 50, healthIntervalMs: 20, retryDelayMs: 100 });
  cleanups.push(() => r.stop());
}

/** Every recorded version of the rollout, from the change feed. */
function recordings(registry: Registry): Rollout[] {
  const seen: Rollout[] = [];
  const w = registry.watchAll(0, (c) => {
    if (c.kind === "rollout" && (c as RolloutChange).value !== undefined) seen.push((c as RolloutChange).value!);
  });
  cleanups.push(() => w.close());
  return seen;
}

async function until(registry: Registry, done: (r: Rollout) => boolean): Promise<Rollout> {
  for (;;) {
    const r = await registry.getRollout(OPS);
    if (done(r)) return r;
    await sleep(20);
  }
}

const stepsOf = (seen: readonly Rollout[], node: string): string[] =>
  seen.map((r) => r.nodes[node]?.step ?? "").filter((s, i, all) => i === 0 || all[i - 1] !== s);

describe("the leader's rollout runner verifies upgrades", () => {
  it("fails a node whose agent never reports the target version after the healthy deadline, naming the version it reports; the others count once healthy for minHealthyMs", async () => {
    const { registry } = await fleet();
    agents(registry, "2.0.0", new Set(["web-2"]));
    await runner(registry);
    const seen = recordings(registry);
    await registry.startRollout(OPS, { version: "2.0.0", reason: "release", failureThreshold: 1, healthTimeoutMs: 5_000, minHealthyMs: 200 });

    const ended = await until(registry, (r) => r.state !== "running");
    expect(ended.state).toBe("incomplete");
    expect(ended.nodes["web-2"]).toMatchObject({ step: "failed", reason: expect.stringMatching(/^version-not-reported: it reports version 1\.0\.0, not 2\.0\.0/) });
    expect([ended.nodes["web-1"]!.step, ended.nodes["web-3"]!.step]).toEqual(["healthy", "healthy"]);
    expect(ended.progress).toMatchObject({ done: 2, failed: 1 });
    // Each node's step carries the version it reported.
    expect([ended.nodes["web-1"]!.version, ended.nodes["web-2"]!.version, ended.nodes["web-3"]!.version]).toEqual(["2.0.0", "1.0.0", "2.0.0"]);
    expect(seen[0]!.nodes["web-1"]!.version).toBe("1.0.0");
    for (const id of ["web-1", "web-3"]) expect(stepsOf(seen, id)).toEqual(["pending", "cordoned", "draining", "drained", "upgrading", "resuming", "healthy"]);
  });

  it("with verify=false the same fleet completes, and the rollout carries the warning", async () => {
    const { registry } = await fleet();
    agents(registry, "2.0.0", new Set(["web-2"]));
    await runner(registry);
    const started = await registry.startRollout(OPS, { version: "2.0.0", reason: "hotfix", verify: false, healthTimeoutMs: 30_000, minHealthyMs: 0 });
    expect(started.value.warnings).toEqual([expect.stringContaining("unverified")]);
    const ended = await until(registry, (r) => r.state !== "running");
    expect(ended).toMatchObject({ state: "completed", progress: { done: 3, failed: 0 } });
    expect((await registry.getPeer(OPS, "web-2")).peer.metadata["version"]).toBe("1.0.0");
  });

  it("defers a node the registry's guard refuses at drain time, retries it when capacity returns, and never fails it", async () => {
    const { registry } = await fleet();
    agents(registry, "2.0.0");
    // The registry's guard refuses web-1's first two drains, as when another member went silent between the wave's admission and its drain.
    let refusals = 2;
    const guarded = new Proxy(registry, {
      get(target, key, receiver) {
        if (key === "drain") {
          return (principal: Principal, id: string, ...rest: unknown[]) => {
            if (id === "web-1" && refusals-- > 0) {
              return Promise.reject(new PoolDepletionError({ pool: "web", available: 2, required: 2, availableAfter: 1, drainsInFlight: 0, bound: "available" } as never));
            }
            return (target.drain as (...a: unknown[]) => unknown)(principal, id, ...rest);
          };
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    await runner(guarded);
    const seen = recordings(registry);
    await registry.startRollout(OPS, { version: "2.0.0", reason: "release", minHealthyMs: 0 });
    const ended = await until(registry, (r) => r.state !== "running");
    expect(ended).toMatchObject({ state: "completed", progress: { done: 3, failed: 0 } });
    const web1 = stepsOf(seen, "web-1");
    expect(web1.filter((s) => s === "deferred")).toHaveLength(2);
    expect(web1).not.toContain("failed");
    const deferred = seen.map((r) => r.nodes["web-1"]!).find((n) => n.step === "deferred")!;
    expect(deferred.reason).toMatch(/Pool "web" would drop/);
    // While deferred, its cordon was given back (audited as the control plane's uncordon).
    const audit = (await registry.queryAudit(OPS, { target: "peer/web-1", actor: "control-plane" })).items.map((e) => e.action);
    expect(audit.filter((a) => a === "uncordon")).toHaveLength(2);
  });

  it("abort mid-wave: no cordon owned by the rollout remains, each release audited and streamed", async () => {
    const { registry } = await fleet(2);
    agents(registry, "2.0.0");
    const seen = recordings(registry);
    // The abort lands once the whole wave is cordoned, before any of it drains.
    const cordonThenAbort = new Proxy(registry, {
      get(target, key, receiver) {
        if (key === "cordon") {
          return async (principal: Principal, id: string, ...rest: unknown[]) => {
            const out = await (target.cordon as (...a: unknown[]) => Promise<unknown>)(principal, id, ...rest);
            if (id === "web-2") {
              await target.abortRollout(OPS, undefined, { confirm: true, reason: "bad release" });
              await sleep(200); // the runner sees the abort through the change feed
            }
            return out;
          };
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    await runner(cordonThenAbort);
    const started = await registry.startRollout(OPS, { version: "2.0.0", reason: "release", maxParallel: 2 });
    expect(started.value.plan.waves[0]!.nodes).toEqual(["web-1", "web-2"]);
    const ended = await until(registry, (r) => r.state === "aborted");

    const peers: Peer[] = await Promise.all(IDS.map(async (id) => (await registry.getPeer(OPS, id)).peer));
    expect(peers.filter((p) => p.spec.cordons["rollout"] !== undefined).map((p) => p.id)).toEqual([]);
    expect(peers.map((p) => p.phase)).toEqual(["active", "active", "active"]);
    for (const id of ["web-1", "web-2"]) {
      expect(ended.nodes[id]).toMatchObject({ step: "pending", reason: expect.stringMatching(/cordon was removed/) });
      expect(stepsOf(seen, id)).toEqual(["pending", "cordoned", "pending"]);
      const audit = (await registry.queryAudit(OPS, { target: `peer/${id}`, actor: "control-plane" })).items.map((e) => `${e.action}:${e.outcome}`);
      expect(audit).toEqual(["cordon:ok", "uncordon:ok"]);
    }
  });
});
