// @ts-nocheck
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "../../src/testing/index.ts";
import { createNodeState, expireNode, transitionNode, type NodeEvent, type NodeState, type RolePhase } from "../../src/index.ts";

// An independent model of the table in ARCHITECTURE.md, written as plainly as
// possible; the real machine must agree with it after every command.

const ROLES = ["ingest", "edge", "storage"] as const;
const OWNERS = ["ops", "autoscaler", "rollout"] as const;

const TABLE_ALLOWED: Record<RolePhase, string[]> = {
  active: ["cordon", "uncordon", "drain", "resume"],
  cordoned: ["cordon", "uncordon", "drain", "resume"],
  draining: ["cordon", "drain", "drained", "fail", "resume"],
  drained: ["cordon", "drain", "drained", "resume"],
  failed: ["cordon", "drain", "fail", "resume"],
};

interface ModelRole {
  phase: RolePhase;
  epoch: number;
  owners: Map<string, { reason: string; expiresAt: number | undefined }>;
  drain: { deadline: number; expiresAt: number | undefined } | undefined;
}
interface Model {
  now: number;
  epoch: number;
  roles: Map<string, ModelRole>;
}
interface Real {
  node: NodeState;
}

type Outcome = { kind: "ok" } | { kind: "invalid"; role: string; from: RolePhase };

function cloneRole(r: ModelRole): ModelRole {
  return { phase: r.phase, epoch: r.epoch, owners: new Map(r.owners), drain: r.drain };
}

/** Applies `fn` to each target role on a copy; commits only when no role refuses (all or nothing). */
function applyModel(m: Model, targets: readonly string[], fn: (r: ModelRole) => "ok" | "invalid"): Outcome {
  const next = new Map(m.roles);
  for (const name of targets) {
    const copy = cloneRole(m.roles.get(name)!);
    if (fn(copy) === "invalid") return { kind: "invalid", role: name, from: m.roles.get(name)!.phase };
    next.set(name, copy);
  }
  m.roles = next;
  return { kind: "ok" };
}

function expectAgrees(m: Model, real: Real): void {
  expect(real.node.epoch).toBe(m.epoch);
  for (const [name, mr] of m.roles) {
    const rr = real.node.roles[name]!;
    expect({ role: name, phase: rr.phase, epoch: rr.epoch }).toEqual({ role: name, phase: mr.phase, epoch: mr.epoch });
    const owners = rr.cordons.map((c) => [c.owner, c.expiresAt ?? null]).sort();
    const expected = [...mr.owners].map(([o, c]) => [o, c.expiresAt ?? null]).sort();
    expect(owners).toEqual(expected);
    expect(rr.drain === undefined).toBe(mr.drain === undefined);
    if (mr.drain) expect(rr.drain?.deadline).toBe(mr.drain.deadline);
  }
}

/** Applies the event to the real node, checks the outcome against the model's, and the invariants. */
function runReal(m: Model, real: Real, event: NodeEvent, expected: Outcome): void {
  const before = real.node;
  const r = transitionNode(before, event);
  if (expected.kind === "invalid") {
    // No invalid transition is ever applied: refused, typed, naming the allowed events.
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("invalid-transition");
      expect((r.error as { allowed?: readonly string[] }).allowed).toEqual(TABLE_ALLOWED[expected.from]);
    }
    return;
  }
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  if (!r.changed) {
    expect(r.state).toBe(before);
    expect(r.effects).toHaveLength(0);
  }
  checkEpochs(before, r.state, event);
  real.node = r.state;
  expectAgrees(m, real);
}

function checkEpochs(before: NodeState, after: NodeState, event: NodeEvent): void {
  expect(after.epoch).toBeGreaterThanOrEqual(before.epoch);
  for (const [name, role] of Object.entries(after.roles)) {
    const was = before.roles[name]!;
    // The epoch strictly increases per new drain and never changes otherwise.
    if (role.epoch !== was.epoch) {
      expect(event.type).toBe("drain");
      expect(role.epoch).toBeGreaterThan(was.epoch);
      expect(role.phase).toBe("draining");
    }
  }
  if (after.epoch !== before.epoch) expect(event.type).toBe("drain");
}

const rolesArb = fc.option(fc.subarray([...ROLES], { minLength: 1 }), { nil: undefined });
const targetsOf = (roles: readonly string[] | undefined): readonly string[] => roles ?? ROLES;
const withRoles = <E extends object>(e: E, roles: readonly string[] | undefined): E & { roles?: readonly string[] } => (roles === undefined ? e : { ...e, roles });

function cordonCommand(owner: string, reason: string, expiresIn: number | undefined, roles: string[] | undefined): fc.Command<Model, Real> {
  return command(`cordon(${owner}, ${reason}, exp+${expiresIn}, ${roles})`, (m, real) => {
  const expiresAt = expiresIn === undefined ? undefined : m.now + expiresIn;
  const out = applyModel(m, targetsOf(roles), (r) => {
    r.owners.set(owner, { reason: reason, expiresAt });
    if (r.phase === "active") r.phase = "cordoned";
    return "ok";
  });
  const base = { type: "cordon" as const, owner: owner, reason: reason };
  runReal(m, real, withRoles(expiresAt === undefined ? base : { ...base, expiresAt }, roles), out);
  });
}

function uncordonCommand(owner: string, roles: string[] | undefined): fc.Command<Model, Real> {
  return command(`uncordon(${owner}, ${roles})`, (m, real) => {
  const out = applyModel(m, targetsOf(roles), (r) => {
    if (r.phase === "active") return "ok";
    if (r.phase !== "cordoned") return "invalid";
    r.owners.delete(owner);
    if (r.owners.size === 0) r.phase = "active";
    return "ok";
  });
  runReal(m, real, withRoles({ type: "uncordon" as const, owner: owner }, roles), out);
  });
}

type EpochChoice = "none" | "next" | "same" | "stale" | "jump";

function drainCommand(choice: EpochChoice, deadlineIn: number, expiresIn: number | undefined, roles: string[] | undefined): fc.Command<Model, Real> {
  return command(`drain(${choice}, +${deadlineIn}, exp+${expiresIn}, ${roles})`, (m, real) => {
  const explicit = { none: undefined, next: m.epoch + 1, same: m.epoch, stale: m.epoch - 1, jump: m.epoch + 3 }[choice];
  const epoch = explicit ?? m.epoch + 1;
  const deadline = m.now + deadlineIn;
  const expiresAt = expiresIn === undefined ? undefined : m.now + expiresIn;
  let out: Outcome = { kind: "ok" };
  if (!(explicit !== undefined && explicit < m.epoch)) {
    let top = m.epoch;
    out = applyModel(m, targetsOf(roles), (r) => {
      const start = (): void => {
        r.phase = "draining";
        r.epoch = epoch;
        r.drain = { deadline, expiresAt };
        top = Math.max(top, epoch);
      };
      if ((r.phase === "active" || r.phase === "cordoned" || r.phase === "failed") && epoch > r.epoch) start();
      else if (r.phase === "draining" && explicit !== undefined && explicit > r.epoch) start();
      return "ok";
    });
    m.epoch = top;
  }
  const base = { type: "drain" as const, reason: "maintenance", deadline, ...(explicit === undefined ? {} : { epoch: explicit }) };
  runReal(m, real, withRoles(expiresAt === undefined ? base : { ...base, expiresAt }, roles), out);
  });
}

type ReportChoice = "none" | "current" | "stale" | "future";

function finishCommand(kind: "drained" | "fail", choice: ReportChoice, roles: string[] | undefined): fc.Command<Model, Real> {
  return command(`${kind}(${choice}, ${roles})`, (m, real) => {
  const epoch = { none: undefined, current: m.epoch, stale: m.epoch - 1, future: m.epoch + 1 }[choice];
  const out = applyModel(m, targetsOf(roles), (r) => {
    if (epoch !== undefined) {
      if (epoch < r.epoch || (epoch === r.epoch && epoch > 0 && r.drain === undefined)) return "ok";
      if (epoch > r.epoch) return epoch > m.epoch ? "invalid" : "ok"; // a report on a known drain skips roles not in it
    }
    if (r.phase === "draining") {
      r.phase = kind === "drained" ? "drained" : "failed";
      return "ok";
    }
    if ((r.phase === "drained" && kind === "drained") || (r.phase === "failed" && kind === "fail")) return "ok";
    return "invalid";
  });
  const event = kind === "drained" ? { type: "drained" as const } : { type: "fail" as const, reason: "participant error" };
  runReal(m, real, withRoles(epoch === undefined ? event : { ...event, epoch }, roles), out);
  });
}

function resumeCommand(roles: string[] | undefined): fc.Command<Model, Real> {
  return command(`resume(${roles})`, (m, real) => {
  const out = applyModel(m, targetsOf(roles), (r) => {
    r.phase = "active";
    r.owners.clear();
    r.drain = undefined;
    return "ok";
  });
  runReal(m, real, withRoles({ type: "resume" as const }, roles), out);
  });
}

function advanceCommand(ms: number): fc.Command<Model, Real> {
  return command(`advance(${ms})`, (m, real) => {
  m.now += ms;
  const now = m.now;
  applyModel(m, [...m.roles.keys()], (r) => {
    for (const [owner, c] of r.owners) if (c.expiresAt !== undefined && c.expiresAt <= now) r.owners.delete(owner);
    if (r.drain?.expiresAt !== undefined && r.drain.expiresAt <= now) {
      r.phase = r.owners.size > 0 ? "cordoned" : "active";
      r.drain = undefined;
    } else if (r.phase === "draining" && r.drain !== undefined && r.drain.deadline <= now) {
      r.phase = "failed";
    } else if (r.phase === "cordoned" && r.owners.size === 0) {
      r.phase = "active";
    }
    return "ok";
  });
  const before = real.node;
  const r = expireNode(before, now);
  if (!r.changed) expect(r.state).toBe(before);
  expect(r.state.epoch).toBe(before.epoch);
  real.node = r.state;
  // A drain past its deadline is failed (or lapsed), never stuck in draining.
  for (const role of Object.values(real.node.roles)) {
    if (role.phase === "draining") expect(role.drain!.deadline).toBeGreaterThan(now);
  }
  expectAgrees(m, real);
  });
}

function command(name: string, run: (m: Model, real: Real) => void): fc.Command<Model, Real> {
  return { check: () => true, run, toString: () => name };
}

const optionalMs = fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined });
const commands = [
  fc.tuple(fc.constantFrom(...OWNERS), fc.constantFrom("patching", "capacity"), optionalMs, rolesArb).map(([o, why, e, r]) => cordonCommand(o, why, e, r)),
  fc.tuple(fc.constantFrom(...OWNERS), rolesArb).map(([o, r]) => uncordonCommand(o, r)),
  fc.tuple(fc.constantFrom<EpochChoice>("none", "next", "same", "stale", "jump"), fc.integer({ min: 1, max: 400 }), fc.option(fc.integer({ min: 1, max: 800 }), { nil: undefined }), rolesArb).map(
    ([c, d, e, r]) => drainCommand(c, d, e, r),
  ),
  fc.tuple(fc.constantFrom("drained" as const, "fail" as const), fc.constantFrom<ReportChoice>("none", "current", "stale", "future"), rolesArb).map(([k, c, r]) => finishCommand(k, c, r)),
  rolesArb.map((r) => resumeCommand(r)),
  fc.integer({ min: 0, max: 300 }).map((ms) => advanceCommand(ms)),
];

function freshModel(): Model {
  return { now: 1_000, epoch: 0, roles: new Map(ROLES.map((r) => [r, { phase: "active", epoch: 0, owners: new Map(), drain: undefined }])) };
}

describe("node/role state machine (model-based)", () => {
  it("agrees with the table under any sequence of cordon, uncordon, drain, drained, fail, resume, expiry and clock advance", () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40 }), (cmds) => {
        fc.modelRun(() => ({ model: freshModel(), real: { node: createNodeState(ROLES) } }), cmds);
      }),
      fcParams({ numRuns: 1_000 }),
    );
  });
});
