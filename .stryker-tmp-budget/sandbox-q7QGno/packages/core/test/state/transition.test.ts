// @ts-nocheck
import { describe, expect, it } from "vitest";
import {
  ALLOWED_EVENTS,
  createRoleState,
  expireRole,
  InvalidTransitionError,
  isDrainkitError,
  transition,
  type RoleEvent,
  type RolePhase,
  type RoleState,
} from "../../src/index.ts";

function must(state: RoleState, event: RoleEvent): RoleState {
  const r = transition(state, event);
  if (!r.ok) throw r.error;
  return r.state;
}

const DEADLINE = 10_000;
const drain: RoleEvent = { type: "drain", reason: "upgrade", deadline: DEADLINE };

function inPhase(phase: RolePhase): RoleState {
  const active = createRoleState("ingest");
  switch (phase) {
    case "active":
      return active;
    case "cordoned":
      return must(active, { type: "cordon", owner: "ops", reason: "patching" });
    case "draining":
      return must(active, drain);
    case "drained":
      return must(must(active, drain), { type: "drained", epoch: 1 });
    case "failed":
      return must(must(active, drain), { type: "fail", epoch: 1, reason: "deadline" });
  }
}

const events: Record<string, RoleEvent> = {
  cordon: { type: "cordon", owner: "ops", reason: "patching" },
  uncordon: { type: "uncordon", owner: "ops" },
  drain,
  drained: { type: "drained" },
  fail: { type: "fail", reason: "participant error" },
  resume: { type: "resume" },
};

// The table of ARCHITECTURE.md, cell by cell: next phase, "noop", or "x".
const TABLE: Record<RolePhase, Record<string, RolePhase | "noop" | "x">> = {
  active: { cordon: "cordoned", uncordon: "noop", drain: "draining", drained: "x", fail: "x", resume: "noop" },
  cordoned: { cordon: "noop", uncordon: "active", drain: "draining", drained: "x", fail: "x", resume: "active" },
  draining: { cordon: "noop", uncordon: "x", drain: "noop", drained: "drained", fail: "failed", resume: "active" },
  drained: { cordon: "noop", uncordon: "x", drain: "noop", drained: "noop", fail: "x", resume: "active" },
  failed: { cordon: "noop", uncordon: "x", drain: "draining", drained: "x", fail: "noop", resume: "active" },
};

describe("transition (role machine)", () => {
  for (const [from, row] of Object.entries(TABLE) as [RolePhase, Record<string, RolePhase | "noop" | "x">][]) {
    for (const [name, expected] of Object.entries(row)) {
      it(`${from} + ${name} → ${expected}`, () => {
        const state = inPhase(from);
        const r = transition(state, events[name]!);
        if (expected === "x") {
          expect(r.ok).toBe(false);
          if (r.ok) return;
          expect(r.error).toBeInstanceOf(InvalidTransitionError);
          expect(isDrainkitError(r.error)).toBe(true);
          expect(r.error.code).toBe("invalid-transition");
          expect(r.error.retryable).toBe(false);
          expect(r.error.from).toBe(from);
          expect(r.error.allowed).toEqual(ALLOWED_EVENTS[from]);
          expect(r.error.message).toContain(`Allowed now: ${ALLOWED_EVENTS[from].join(", ")}`);
          return;
        }
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        // A cordon by the same owner with the same reason is a true no-op; the
        // table's "no-op" for cordon on a quiesced role keeps the phase.
        if (expected === "noop") expect(r.state.phase).toBe(from);
        else expect(r.state.phase).toBe(expected);
      });
    }
  }

  it("no-ops return the same state, no effects and changed=false (no audit duplicate)", () => {
    for (const [state, event] of [
      [inPhase("active"), events.uncordon!],
      [inPhase("active"), events.resume!],
      [inPhase("cordoned"), events.cordon!],
      [inPhase("draining"), drain],
      [inPhase("drained"), drain],
      [inPhase("drained"), events.drained!],
      [inPhase("failed"), events.fail!],
    ] as const) {
      const r = transition(state, event);
      expect(r).toMatchObject({ ok: true, changed: false, effects: [] });
      if (r.ok) expect(r.state).toBe(state);
    }
  });

  it("a new drain takes the next epoch and asks to close the gates; a retry after failure takes a newer one", () => {
    const r1 = transition(createRoleState("edge"), drain);
    expect(r1.ok && r1.state.epoch).toBe(1);
    expect(r1.ok && r1.effects.map((e) => e.type)).toEqual(["close-gates", "report"]);
    const failed = must(r1.ok ? r1.state : createRoleState("edge"), { type: "fail", reason: "deadline" });
    const retry = must(failed, drain);
    expect(retry.phase).toBe("draining");
    expect(retry.epoch).toBe(2);
  });

  it("ignores drained/fail reports from an older drain, or from the latest after it was resumed", () => {
    const second = must(must(must(createRoleState("ingest"), drain), { type: "resume" }), drain);
    expect(second.epoch).toBe(2);
    const stale = transition(second, { type: "drained", epoch: 1 });
    expect(stale).toMatchObject({ ok: true, changed: false });
    const resumed = must(second, { type: "resume" });
    expect(transition(resumed, { type: "fail", epoch: 2, reason: "late" })).toMatchObject({ ok: true, changed: false });
    const future = transition(second, { type: "drained", epoch: 3 });
    expect(future.ok).toBe(false);
  });

  it("ignores a drain request whose explicit epoch is not newer, and lets a newer one replace a drain in progress", () => {
    const draining = must(createRoleState("ingest"), { ...drain, epoch: 5 });
    expect(transition(must(draining, { type: "resume" }), { ...drain, epoch: 5 })).toMatchObject({ ok: true, changed: false });
    const replaced = transition(draining, { ...drain, epoch: 6, deadline: 20_000 });
    expect(replaced.ok && replaced.state.drain?.deadline).toBe(20_000);
    expect(replaced.ok && replaced.effects.map((e) => e.type)).toEqual(["clear-deadline", "close-gates", "report"]);
  });

  it("keeps the role cordoned while any owner holds a cordon; an owner's uncordon releases only its own", () => {
    let s = must(createRoleState("storage"), { type: "cordon", owner: "ops", reason: "disk swap" });
    s = must(s, { type: "cordon", owner: "autoscaler", reason: "scale-in" });
    s = must(s, { type: "uncordon", owner: "ops" });
    expect(s.phase).toBe("cordoned");
    expect(s.cordons.map((c) => c.owner)).toEqual(["autoscaler"]);
    s = must(s, { type: "uncordon", owner: "ops" });
    expect(s.phase).toBe("cordoned");
    s = must(s, { type: "uncordon", owner: "autoscaler" });
    expect(s.phase).toBe("active");
  });

  it("fails a drain past its deadline and lets forgotten cordons and drains lapse at expiresAt", () => {
    const draining = must(createRoleState("ingest"), drain);
    expect(expireRole(draining, DEADLINE - 1).changed).toBe(false);
    const late = expireRole(draining, DEADLINE);
    expect(late.state.phase).toBe("failed");
    expect(late.state.drain?.failure).toMatch(/deadline/);

    const cordoned = must(createRoleState("ingest"), { type: "cordon", owner: "ops", reason: "x", expiresAt: 500 });
    expect(expireRole(cordoned, 500).state.phase).toBe("active");

    const held = must(must(createRoleState("ingest"), { type: "cordon", owner: "ops", reason: "x" }), { ...drain, expiresAt: 700 });
    const lapsed = expireRole(must(held, { type: "drained" }), 700);
    expect(lapsed.state.phase).toBe("cordoned");
    expect(lapsed.effects.map((e) => e.type)).toEqual(["open-gates", "report"]);
  });
});
