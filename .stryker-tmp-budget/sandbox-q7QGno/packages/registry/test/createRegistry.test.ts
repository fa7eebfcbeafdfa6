// @ts-nocheck
import fc from "fast-check";
import { isDrainkitError, type PoolBudget } from "@drainkit/core";
import { fcParams, MemoryMetrics, RecordingEventSink, SeededRandom, SimulatedClock } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { makeMemoryStore, createRegistry, type MemoryStore, type Registry, type RegistryEvent } from "../src/index.ts";
import { makePeer, principals, registerLive } from "../src/testing/index.ts";

const { operator, admin, reader, nobody } = principals;

function setup(options: { pools?: readonly PoolBudget[]; peers?: number; pool?: string; roles?: readonly string[] } = {}) {
  const clock = new SimulatedClock({ start: 1_000_000 });
  const store: MemoryStore = makeMemoryStore();
  const events = new RecordingEventSink<RegistryEvent>();
  const metrics = new MemoryMetrics();
  const registry = createRegistry({
    store,
    clock,
    random: new SeededRandom(42),
    pools: options.pools ?? [],
    clusters: [{ id: "eu", role: "active" }, { id: "us", role: "backup" }],
    events,
    metrics,
  });
  return { clock, store, registry, events, metrics };
}

/** Registers `n` peers; live ones (the default) also report a heartbeat, as their agents do. */
async function register(registry: Registry, n: number, pool = "web", roles: readonly string[] = ["edge"], live = true): Promise<void> {
  for (let i = 0; i < n; i++) {
    const peer = makePeer({ id: `${pool}-${i}`, pools: [pool], roles });
    if (live) await registerLive(registry, peer);
    else await registry.registerPeer(operator, peer);
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (isDrainkitError(e)) return e.code;
    throw e;
  }
}

describe("createRegistry", () => {
  describe("RBAC", () => {
    it("lets an agent register and report only its own peer", async () => {
      const { registry } = setup();
      const agent = principals.agent("web-1");
      expect((await registry.registerPeer(agent, makePeer({ id: "web-1" }))).changed).toBe(true);
      expect(await codeOf(registry.registerPeer(agent, makePeer({ id: "web-2" })))).toBe("forbidden");
      expect(await codeOf(registry.reportStatus(agent, "web-1", { roles: {}, epoch: 0 }))).toBe("ok");
      expect(await codeOf(registry.cordon(agent, "web-1", { reason: "self" }))).toBe("forbidden");
      expect((await registry.getPeer(agent, "web-1")).peer.status?.heartbeatAt).toBe(1_000_000);
    });

    it("lets an agent drain its own peer (never forced, never another) and end only a drain it asked for", async () => {
      const { registry } = setup();
      await register(registry, 3);
      const agent = principals.agent("web-1");
      expect(await codeOf(registry.drain(agent, "web-2", { reason: "shutdown" }))).toBe("forbidden");
      expect(await codeOf(registry.drain(agent, "web-1", { reason: "shutdown", force: true }, { confirm: true }))).toBe("forbidden");
      const own = await registry.drain(agent, "web-1", { reason: "shutdown", deadlineMs: 30_000 });
      expect(own.value.status).toBe("draining");
      expect((await registry.getPeer(reader, "web-1")).peer.spec.drain?.requestedBy).toBe("web-1");
      expect(await codeOf(registry.resume(agent, "web-1", { reason: "back" }))).toBe("ok");
      expect((await registry.getPeer(reader, "web-1")).peer.spec.drain).toBeUndefined();
      // An operator's drain is the operator's to end.
      await registry.drain(operator, "web-1", { reason: "kernel" });
      expect(await codeOf(registry.resume(agent, "web-1", { reason: "back" }))).toBe("forbidden");
      expect(await codeOf(registry.resume(principals.agent("web-2"), "web-1", { reason: "back" }))).toBe("forbidden");
    });

    it("names the missing scope, and reads need at least mesh.read", async () => {
      const { registry } = setup();
      await register(registry, 2);
      const err = await registry.cordon(reader, "web-0", { reason: "x" }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "forbidden", details: { missing: "mesh.operate" } });
      await expect(registry.listPeers(nobody)).rejects.toMatchObject({ code: "forbidden" });
      expect(await codeOf(registry.promote(operator, "us"))).toBe("forbidden");
      expect(await codeOf(registry.patchConfig(operator, {}, { confirm: true }))).toBe("forbidden");
    });

    it("audits transport refusals with recordRefusal", async () => {
      const { registry } = setup();
      const entry = await registry.recordRefusal(undefined, "drain", "peer/web-0", { code: "unauthenticated" }, { idempotencyKey: "k" });
      expect(entry).toMatchObject({ actor: "anonymous", outcome: "refused", errorCode: "unauthenticated", action: "drain", idempotencyKey: "k" });
      expect((await registry.queryAudit(reader)).items).toEqual([entry]);
    });
  });

  describe("drain lifecycle through core's state machine", () => {
    it("drains, takes the agent's drained report for the current epoch only, resumes and drains again with a new epoch", async () => {
      const { registry, clock } = setup();
      await register(registry, 2);
      const d = await registry.drain(operator, "web-0", { reason: "upgrade", deadlineMs: 60_000, ticket: "CHG-1" });
      expect(d.value).toMatchObject({ status: "draining", epoch: 1, deadline: clock.now() + 60_000, blocking: ["role:edge"] });
      const agent = principals.agent("web-0");
      await registry.reportStatus(agent, "web-0", { roles: { edge: { phase: "draining", epoch: 1 } }, inFlight: { http: 3 }, epoch: 1 });
      expect(await registry.drainStatus(reader, "web-0")).toMatchObject({ status: "draining", remaining: { inFlight: 3 }, blocking: ["role:edge", "participant:http"] });
      await registry.reportStatus(agent, "web-0", { roles: { edge: { phase: "drained", epoch: 1 } }, inFlight: { http: 0 }, epoch: 1 });
      const { peer } = await registry.getPeer(reader, "web-0");
      expect(peer).toMatchObject({ phase: "drained", epoch: 1, spec: { drain: { epoch: 1, ticket: "CHG-1", requestedBy: "operator" } } });
      expect(await registry.drainRecords()).toEqual([expect.objectContaining({ peer: "web-0", status: "drained" })]);

      const resumed = await registry.resume(operator, "web-0");
      expect(resumed.value.phase).toBe("active");
      expect(resumed.value.spec.drain).toBeUndefined();
      // A late report of the old drain moves nothing.
      await registry.reportStatus(agent, "web-0", { roles: { edge: { phase: "drained", epoch: 1 } }, epoch: 1 });
      expect((await registry.getPeer(reader, "web-0")).peer.phase).toBe("active");
      const again = await registry.drain(operator, "web-0", { reason: "again" });
      expect(again.value.epoch).toBe(2);
    });

    it("shows a drain past its deadline as failed without anyone writing", async () => {
      const { registry, clock } = setup();
      await register(registry, 2);
      await registry.drain(operator, "web-0", { reason: "slow", deadlineMs: 5_000 });
      clock.advance(5_001);
      expect(await registry.drainStatus(reader, "web-0")).toMatchObject({ status: "failed", epoch: 1 });
      expect((await registry.getPeer(reader, "web-0")).peer.phase).toBe("failed");
    });

    it("refuses uncordon while draining with the state machine's invalid-transition", async () => {
      const { registry } = setup();
      await register(registry, 2);
      await registry.drain(operator, "web-0", { reason: "x" });
      const err = await registry.uncordon(operator, "web-0").catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "invalid-transition", details: { from: "draining", event: "uncordon" } });
    });

    it("holds a cordon per owner until the last owner releases it, and lets cordons expire", async () => {
      const { registry, clock } = setup();
      await register(registry, 2);
      await registry.cordon(operator, "web-0", { reason: "disk", ticket: "T-9" });
      await registry.cordon(operator, "web-0", { owner: "rollout", reason: "wave 1", expiresAt: clock.now() + 1_000 });
      const { peer } = await registry.getPeer(reader, "web-0");
      expect(peer.phase).toBe("cordoned");
      expect(Object.keys(peer.spec.cordons).sort()).toEqual(["operator", "rollout"]);
      expect(peer.spec.cordons["operator"]).toMatchObject({ reason: "disk", ticket: "T-9", at: clock.now() });
      await registry.uncordon(operator, "web-0");
      expect((await registry.getPeer(reader, "web-0")).peer.phase).toBe("cordoned");
      clock.advance(1_000);
      expect((await registry.getPeer(reader, "web-0")).peer.phase).toBe("active");
    });
  });

  describe("preconditions", () => {
    it("never drains below a pool's budget; a forced drain needs mesh.admin, a reason and confirm, and is marked forced", async () => {
      const { registry, metrics } = setup({ pools: [{ name: "web", minAvailable: 2 }] });
      await register(registry, 3);
      expect(await codeOf(registry.drain(operator, "web-0", { reason: "a" }))).toBe("ok");
      const refused = await registry.drain(operator, "web-1", { reason: "b" }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: "pool-depletion", retryable: true, details: { pool: "web", available: 2, required: 2 } });
      expect(await codeOf(registry.drain(operator, "web-1", { reason: "b", force: true }, { confirm: true }))).toBe("forbidden");
      expect(await codeOf(registry.drain(admin, "web-1", { reason: "b", force: true }))).toBe("confirmation-required");
      const forced = await registry.drain(admin, "web-1", { reason: "incident", force: true }, { confirm: true });
      expect(forced.changed).toBe(true);
      expect((await registry.getPeer(reader, "web-1")).peer.spec.drain?.forced).toBe(true);
      expect(metrics.value("pool_forced_breaches_total", { pool: "web" })).toBe(1);
    });

    it("never drains the only schedulable node of a role unless forced", async () => {
      const { registry } = setup();
      await registerLive(registry, makePeer({ id: "solo", roles: ["storage"] }));
      const err = await registry.drain(operator, "solo", { reason: "x" }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "only-schedulable-node", details: { peer: "solo", role: "storage" } });
      expect(await codeOf(registry.drain(admin, "solo", { reason: "decommission", force: true }, { confirm: true }))).toBe("ok");
    });

    it("applies the same rule to every way down: cordon, and cordon then drain, are refused where a drain is", async () => {
      const { registry } = setup();
      await registerLive(registry, makePeer({ id: "solo", roles: ["storage"] }));
      expect(await registry.cordon(operator, "solo", { reason: "x" }).catch((e: unknown) => e)).toMatchObject({ code: "only-schedulable-node", details: { peer: "solo", role: "storage" } });
      expect(await codeOf(registry.cordon(operator, "solo", { reason: "x", force: true }, { confirm: true }))).toBe("forbidden");
      expect(await codeOf(registry.cordon(admin, "solo", { reason: "x", force: true }))).toBe("confirmation-required");
      expect(await codeOf(registry.cordon(admin, "solo", { reason: "disk swap", force: true }, { confirm: true }))).toBe("ok");
      // Cordoned by force, it still serves traffic: draining it is the same refusal.
      expect(await codeOf(registry.drain(operator, "solo", { reason: "x" }))).toBe("only-schedulable-node");
      // With a second live node of the role, both are allowed.
      await registerLive(registry, makePeer({ id: "spare", roles: ["storage"] }));
      expect(await codeOf(registry.drain(operator, "solo", { reason: "x" }))).toBe("ok");
      expect(await codeOf(registry.cordon(operator, "spare", { reason: "x" }))).toBe("only-schedulable-node");
    });

    it("counts a peer whose agent never reported, or went silent, as unknown: never available, and taking it down takes nothing away", async () => {
      const { registry, clock } = setup({ pools: [{ name: "web", minAvailable: 1 }] });
      await register(registry, 2, "web", ["edge"], false);
      // Neither has reported: the pool has 0 available, so no drain of a live node could be admitted,
      // but draining an unknown node takes no known capacity away.
      expect(await codeOf(registry.drain(operator, "web-0", { reason: "x" }))).toBe("ok");
      await registry.reportStatus(operator, "web-1", { roles: {}, epoch: 0 });
      expect(await codeOf(registry.drain(operator, "web-1", { reason: "x" }))).toBe("only-schedulable-node");
      clock.advance(31_000); // past heartbeat.staleAfterMs (30 s): web-1 is unknown again
      expect(await codeOf(registry.drain(operator, "web-1", { reason: "x" }))).toBe("ok");
    });

    it("never demotes the last active cluster; demote needs a reason and confirm", async () => {
      const { registry } = setup();
      const refused = await registry.demote(admin, "eu", { confirm: true }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: "validation", details: { field: "reason" } });
      expect(await codeOf(registry.demote(admin, "eu", { confirm: true, reason: "  " }))).toBe("validation");
      expect(await codeOf(registry.demote(admin, "eu", { reason: "region exit" }))).toBe("confirmation-required");
      expect(await codeOf(registry.demote(admin, "eu", { confirm: true, reason: "region exit" }))).toBe("last-active-cluster");
      expect((await registry.promote(admin, "us")).value).toMatchObject({ role: "active", state: "serving", version: 1 });
      expect((await registry.demote(admin, "eu", { confirm: true, reason: "region exit" })).value).toMatchObject({ role: "backup", version: 1 });
      const audit = (await registry.queryAudit(reader, { action: "demote" })).items;
      expect(audit.map((e) => [e.outcome, e.errorCode ?? null, e.reason ?? null])).toEqual([
        ["refused", "validation", null],
        ["refused", "validation", "  "],
        ["refused", "confirmation-required", "region exit"],
        ["refused", "last-active-cluster", "region exit"],
        ["ok", null, "region exit"],
      ]);
      expect((await registry.promote(admin, "us")).changed).toBe(false);
      expect(await codeOf(registry.promote(admin, "mars"))).toBe("not-found");
      expect((await registry.listClusters(reader)).map((c) => `${c.id}:${c.role}`)).toEqual(["eu:backup", "us:active"]);
    });
  });

  describe("config", () => {
    it("accepts only allow-listed settings that match their schema, and null resets to the default", async () => {
      const { registry } = setup();
      expect(await codeOf(registry.patchConfig(admin, { "no.such": 1 }, { confirm: true }))).toBe("validation");
      expect(await codeOf(registry.patchConfig(admin, { "rollout.maxParallel": 0 }, { confirm: true }))).toBe("validation");
      expect(await codeOf(registry.patchConfig(admin, { "maintenance.freeze": "yes" }, { confirm: true }))).toBe("validation");
      const set = await registry.patchConfig(admin, { "rollout.maxParallel": 4 }, { confirm: true });
      expect(set.value.values["rollout.maxParallel"]).toBe(4);
      expect(set.etag).toBe('"1"');
      const reset = await registry.patchConfig(admin, { "rollout.maxParallel": null }, { confirm: true, ifMatch: set.etag });
      expect(reset.value.values["rollout.maxParallel"]).toBe(1);
      expect(await codeOf(registry.patchConfig(admin, { "rollout.maxParallel": 2 }, { confirm: true, ifMatch: set.etag }))).toBe("etag-mismatch");
    });

    it("uses drain.defaultDeadlineMs for a drain that names no deadline", async () => {
      const { registry, clock } = setup();
      await register(registry, 2);
      await registry.patchConfig(admin, { "drain.defaultDeadlineMs": 10_000 }, { confirm: true });
      expect((await registry.drain(operator, "web-0", { reason: "x" })).value.deadline).toBe(clock.now() + 10_000);
    });
  });

  describe("idempotency", () => {
    it("replays a deterministic refusal but not a retryable one", async () => {
      const { registry } = setup({ pools: [{ name: "web", maxUnavailable: 1 }] });
      await register(registry, 3);
      await registry.drain(operator, "web-0", { reason: "a" });
      expect(await codeOf(registry.uncordon(operator, "web-0", {}, { idempotencyKey: "u" }))).toBe("invalid-transition");
      await registry.resume(operator, "web-0");
      // The stored refusal comes back even though uncordon would now be a no-op.
      expect(await codeOf(registry.uncordon(operator, "web-0", {}, { idempotencyKey: "u" }))).toBe("invalid-transition");

      await registry.drain(operator, "web-1", { reason: "b" });
      expect(await codeOf(registry.drain(operator, "web-2", { reason: "c" }, { idempotencyKey: "d" }))).toBe("pool-depletion");
      await registry.resume(operator, "web-1");
      expect(await codeOf(registry.drain(operator, "web-2", { reason: "c" }, { idempotencyKey: "d" }))).toBe("ok");
    });

    it("scopes keys per principal", async () => {
      const { registry } = setup();
      await register(registry, 3);
      await registry.cordon(principals.operatorNamed("a"), "web-0", { reason: "x" }, { idempotencyKey: "same" });
      const b = await registry.cordon(principals.operatorNamed("b"), "web-1", { reason: "y" }, { idempotencyKey: "same" });
      expect(b.replayed).toBeUndefined();
      expect(b.value.id).toBe("web-1");
    });
  });

  describe("dry run", () => {
    it("runs every check and audits the attempt (marked dryRun), but changes nothing", async () => {
      const { registry } = setup({ pools: [{ name: "web", minAvailable: 2 }] });
      await register(registry, 3);
      const before = await registry.getPeer(reader, "web-0");
      const dry = await registry.drain(operator, "web-0", { reason: "x", ticket: "CHG-9" }, { dryRun: true });
      expect(dry).toMatchObject({ changed: true, value: { status: "draining", epoch: 1 } });
      expect(dry.auditId).toMatch(/^aud_/);
      expect(await registry.getPeer(reader, "web-0")).toEqual(before);
      await registry.drain(operator, "web-0", { reason: "x" });
      expect(await codeOf(registry.drain(operator, "web-1", { reason: "y", ticket: "CHG-10" }, { dryRun: true }))).toBe("pool-depletion");
      const drains = (await registry.queryAudit(reader, { action: "drain" })).items;
      expect(drains.map((e) => [e.target, e.outcome, e.errorCode ?? null, e.dryRun ?? false, e.reason, e.ticket ?? null])).toEqual([
        ["peer/web-0", "ok", null, true, "x", "CHG-9"],
        ["peer/web-0", "ok", null, false, "x", null],
        ["peer/web-1", "refused", "pool-depletion", true, "y", "CHG-10"],
      ]);
      expect(await registry.verifyAudit()).toMatchObject({ ok: true });
    });
  });

  describe("reads", () => {
    it("lists peers by role, pool, label and phase, paged by cursor", async () => {
      const { registry } = setup();
      await register(registry, 5, "web", ["edge"], false);
      await register(registry, 2, "db", ["storage"], false);
      await registry.patchPeer(operator, "web-3", { labels: { zone: "b" } }, { ifMatch: '"1"' });
      await registry.cordon(operator, "web-4", { reason: "x" });
      expect((await registry.listPeers(reader, { role: "storage" })).items.map((p) => p.id)).toEqual(["db-0", "db-1"]);
      expect((await registry.listPeers(reader, { label: "zone=b" })).items.map((p) => p.id)).toEqual(["web-3"]);
      expect((await registry.listPeers(reader, { state: "cordoned" })).items.map((p) => p.id)).toEqual(["web-4"]);
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await registry.listPeers(reader, { pool: "web", limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        ids.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(ids).toEqual(["web-0", "web-1", "web-2", "web-3", "web-4"]);
    });

    it("queries the audit log by actor and time range, paged", async () => {
      const { registry, clock, events } = setup();
      await register(registry, 4);
      const t = clock.now();
      clock.advance(10);
      await registry.cordon(principals.operatorNamed("alice"), "web-0", { reason: "x" });
      await registry.cordon(principals.operatorNamed("alice"), "web-1", { reason: "x" });
      await registry.cordon(principals.operatorNamed("alice"), "web-2", { reason: "x" });
      const first = await registry.queryAudit(reader, { actor: "alice", from: t + 1, limit: 2 });
      expect(first.items.map((e) => e.target)).toEqual(["peer/web-0", "peer/web-1"]);
      const second = await registry.queryAudit(reader, { actor: "alice", from: t + 1, limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((e) => e.target)).toEqual(["peer/web-2"]);
      expect(second.nextCursor).toBeUndefined();
      // Four registrations and three cordons; the heartbeats are observed state, not audit entries.
      expect((await registry.queryAudit(reader, { to: t + 1 })).items).toHaveLength(4);
      expect(events.ofType("audit-appended")).toHaveLength(7);
    });

    it("answers not-found for an unknown or malformed peer id", async () => {
      const { registry } = setup();
      await expect(registry.getPeer(reader, "ghost")).rejects.toMatchObject({ code: "not-found" });
      await expect(registry.getPeer(reader, "../etc")).rejects.toMatchObject({ code: "not-found" });
      expect(await codeOf(registry.registerPeer(operator, makePeer({ id: "bad/id" })))).toBe("validation");
    });
  });
});

describe("createRegistry under random operator and agent traffic", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constantFrom("drain", "resume", "cordon", "uncordon", "drained", "failed"), node: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ kind: fc.constant("advance"), node: fc.constant(0) }),
  );

  it("never takes the pool below its budget, audits every attempt once, and keeps the chain and epochs sound", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { registry, clock } = setup({ pools: [{ name: "web", maxUnavailable: 2 }] });
        await register(registry, 6);
        const epochs = new Map<string, number>();
        let attempts = 6;
        for (const o of ops) {
          const id = `web-${o.node}`;
          if (o.kind === "advance") {
            clock.advance(60_000);
            continue;
          }
          // Agent reports are observed state: only operator attempts are audit entries.
          if (o.kind !== "drained" && o.kind !== "failed") attempts++;
          const epoch = epochs.get(id) ?? 0;
          // Available as the guard counts it: serving, and not silent past heartbeat.staleAfterMs (30 s).
          const availableNow = async () => {
            const peers = (await registry.listPeers(reader, { pool: "web" })).items;
            const fresh = (p: (typeof peers)[number]) => p.status !== undefined && clock.now() - p.status.heartbeatAt <= 30_000;
            return { peers, available: peers.filter((p) => (p.phase === "active" || p.phase === "cordoned") && fresh(p)).length };
          };
          const before = (await availableNow()).available;
          const call =
            o.kind === "drain" ? registry.drain(operator, id, { reason: "r", deadlineMs: 120_000 })
            : o.kind === "resume" ? registry.resume(operator, id)
            : o.kind === "cordon" ? registry.cordon(operator, id, { reason: "r" })
            : o.kind === "uncordon" ? registry.uncordon(operator, id)
            : registry.reportStatus(principals.agent(id), id, { roles: { edge: { phase: o.kind, epoch } }, epoch });
          const code = await codeOf(call);
          expect(["ok", "pool-depletion", "invalid-transition", "only-schedulable-node"]).toContain(code);
          const { peers, available } = await availableNow();
          // A node whose heartbeat went stale is already unavailable (time did that, not a drain): no operation may take the pool lower.
          expect(available).toBeGreaterThanOrEqual(Math.min(4, before));
          for (const p of peers) {
            expect(p.epoch).toBeGreaterThanOrEqual(epochs.get(p.id) ?? 0);
            epochs.set(p.id, p.epoch);
          }
        }
        expect(await registry.verifyAudit()).toEqual({ ok: true, entries: attempts });
      }),
      fcParams({ numRuns: 60 }),
    );
  });
});

describe("createRegistry replicas under any interleaving of store calls", () => {
  /** Timers fire at once: retries back off on this clock without real waiting. */
  const instantClock = { now: () => 1_000, monotonic: () => 0, setTimer: (_ms: number, fn: () => void) => (queueMicrotask(fn), 0), clearTimer: () => {} };

  it("lets exactly the spare count of racing drains through, whatever order the store sees them in", async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 0, max: 2 }), async (s, racers, spare) => {
        const shared = makeMemoryStore();
        const pools = [{ name: "web", minAvailable: racers + 1 - spare }];
        const setupRegistry = createRegistry({ store: shared, clock: instantClock, random: new SeededRandom(1), pools });
        for (let i = 0; i <= racers; i++) await registerLive(setupRegistry, makePeer({ id: `web-${i}`, pools: ["web"] }));
        // Each replica's store calls are released by the scheduler in an order fast-check picks.
        const replicas = Array.from({ length: racers }, (_, i) => {
          const client = shared.connect();
          const store: MemoryStore = Object.assign(Object.create(client) as MemoryStore, {
            get: s.scheduleFunction((key: string) => client.get(key)),
            list: s.scheduleFunction((prefix: string) => client.list(prefix)),
            txn: s.scheduleFunction((req: Parameters<MemoryStore["txn"]>[0]) => client.txn(req)),
          });
          return createRegistry({ store, clock: instantClock, random: new SeededRandom(10 + i), pools, maxAttempts: 100 });
        });
        const outcomes = await s.waitFor(Promise.all(replicas.map((r, i) => codeOf(r.drain(principals.operatorNamed(`op-${i}`), `web-${i}`, { reason: "race" })))));
        expect(outcomes.filter((o) => o === "ok")).toHaveLength(Math.min(spare, racers));
        expect(outcomes.filter((o) => o !== "ok").every((o) => o === "pool-depletion")).toBe(true);
        const audit = await setupRegistry.verifyAudit();
        expect(audit).toEqual({ ok: true, entries: racers + 1 + racers });
      }),
      fcParams({ numRuns: 40 }),
    );
  });
});

describe("createRegistry group commit", () => {
  it("commits concurrent calls in one transaction, each planned after the ones before it", async () => {
    const { registry, store } = setup({ pools: [{ name: "web", maxUnavailable: 3 }] });
    await register(registry, 10);
    const before = await store.revision();
    const outcomes = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => codeOf(registry.drain(principals.operatorNamed(`op-${i}`), `web-${i}`, { reason: "wave" }))),
      ...Array.from({ length: 3 }, () => registry.cordon(operator, "web-9", { reason: "same" }, { idempotencyKey: "once" })),
    ]);
    expect(await store.revision()).toBe(before + 1);
    expect(outcomes.slice(0, 10).filter((o) => o === "ok")).toHaveLength(3);
    expect(outcomes.slice(0, 10).filter((o) => o === "pool-depletion")).toHaveLength(7);
    const cordons = outcomes.slice(10) as { replayed?: boolean; auditId: string }[];
    expect(cordons.filter((c) => c.replayed === true)).toHaveLength(2);
    expect(new Set(cordons.map((c) => c.auditId)).size).toBe(1);
    expect(await registry.verifyAudit()).toEqual({ ok: true, entries: 10 + 10 + 1 });
  });
});
