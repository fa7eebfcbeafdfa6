// @ts-nocheck
import { isDrainkitError, type RolePhase } from "@drainkit/core";
import { fcParams, SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, createRegistry, type Registry } from "@drainkit/registry";
import { makePeer, principals } from "@drainkit/registry/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { registrySource, startRouter, type Router } from "../src/index.ts";

const ROLES = ["edge", "ingest", "storage"] as const;
const PEERS = ["p0", "p1", "p2", "p3"] as const;

type Op =
  | { readonly op: "cordon"; readonly peer: number; readonly owner: string; readonly expiresIn: number | undefined }
  | { readonly op: "uncordon"; readonly peer: number; readonly owner: string }
  | { readonly op: "drain"; readonly peer: number; readonly roles: readonly string[]; readonly deadlineMs: number; readonly force: boolean }
  | { readonly op: "report"; readonly peer: number; readonly role: string; readonly phase: "drained" | "failed" }
  | { readonly op: "resume"; readonly peer: number }
  | { readonly op: "advance"; readonly ms: number }
  | { readonly op: "reregister"; readonly peer: number; readonly roles: readonly string[] };

const peer = fc.integer({ min: 0, max: PEERS.length - 1 });
const owner = fc.constantFrom("ops", "rollout", "oncall");
const roles = fc.subarray([...ROLES], { minLength: 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("cordon" as const), peer, owner, expiresIn: fc.option(fc.integer({ min: 1, max: 20_000 }), { nil: undefined }) }),
  fc.record({ op: fc.constant("uncordon" as const), peer, owner }),
  fc.record({ op: fc.constant("drain" as const), peer, roles, deadlineMs: fc.integer({ min: 1, max: 30_000 }), force: fc.boolean() }),
  fc.record({ op: fc.constant("report" as const), peer, role: fc.constantFrom(...ROLES), phase: fc.constantFrom("drained" as const, "failed" as const) }),
  fc.record({ op: fc.constant("resume" as const), peer }),
  fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 15_000 }) }),
  fc.record({ op: fc.constant("reregister" as const), peer, roles }),
);

async function apply(registry: Registry, clock: SimulatedClock, o: Op): Promise<void> {
  const id = "peer" in o ? PEERS[o.peer]! : "";
  try {
    switch (o.op) {
      case "cordon":
        await registry.cordon(principals.operatorNamed(o.owner), id, { reason: "maintenance", ...(o.expiresIn === undefined ? {} : { expiresAt: clock.now() + o.expiresIn }) });
        return;
      case "uncordon":
        await registry.uncordon(principals.operatorNamed(o.owner), id);
        return;
      case "drain":
        if (o.force) await registry.drain(principals.admin, id, { reason: "upgrade", roles: o.roles, deadlineMs: o.deadlineMs, force: true }, { confirm: true });
        else await registry.drain(principals.operator, id, { reason: "upgrade", roles: o.roles, deadlineMs: o.deadlineMs });
        return;
      case "report": {
        const { peer: p } = await registry.getPeer(principals.reader, id);
        await registry.reportStatus(principals.agent(id), id, { epoch: p.epoch, roles: { [o.role]: { phase: o.phase, epoch: p.epoch } } });
        return;
      }
      case "resume":
        await registry.resume(principals.operator, id);
        return;
      case "advance":
        clock.advance(o.ms);
        return;
      case "reregister":
        await registry.registerPeer(principals.operator, makePeer({ id, roles: o.roles }));
        return;
    }
  } catch (e) {
    // Refusals (invalid transition, only schedulable node, roles the peer lacks) are part of the stream, not failures.
    if (!isDrainkitError(e)) throw e;
  }
}

async function truth(registry: Registry): Promise<Map<string, Map<string, RolePhase>>> {
  const byRole = new Map<string, Map<string, RolePhase>>(ROLES.map((r) => [r, new Map()]));
  for (const p of (await registry.listPeers(principals.reader)).items) for (const [role, phase] of Object.entries(p.phases)) byRole.get(role)?.set(p.id, phase);
  return byRole;
}

function check(router: Router, byRole: Map<string, Map<string, RolePhase>>): void {
  for (const [role, phases] of byRole) {
    const routable = router.members(role).map((m) => m.id);
    for (const id of routable) expect(["active", "cordoned"], `${id} is ${phases.get(id)} for ${role} but routable`).toContain(phases.get(id));
    const hasActive = [...phases.values()].includes("active");
    if (hasActive) expect(routable.length, `${role} has an active member but an empty routable set`).toBeGreaterThan(0);
    const expected = [...phases].filter(([, p]) => p === "active" || p === "cordoned").map(([id]) => id).sort();
    expect(routable).toEqual(expected);
  }
}

describe("Router routable sets (property)", () => {
  it("no stream of state changes leaves a draining role routable or empties a role that has an active member", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.boolean(), async (ops, expireStale) => {
        const clock = new SimulatedClock({ start: 1_700_000_000_000 });
        const store = makeMemoryStore();
        const registry = createRegistry({ store, clock });
        for (const id of PEERS) await registry.registerPeer(principals.operator, makePeer({ id, roles: [...ROLES] }));
        const router = await startRouter({ source: registrySource(registry, principals.reader), clock, expireStale });
        try {
          for (const o of ops) {
            await apply(registry, clock, o);
            await router.caughtUp(await store.revision());
            check(router, await truth(registry));
          }
        } finally {
          router.close();
        }
      }),
      fcParams({ numRuns: 150 }),
    );
  });
});
