// @ts-nocheck
import { describe, expect, it } from "vitest";
import { catalogue, httpStatusFor, isErrorCode } from "@drainkit/core";
import { EtagMismatchError, ForbiddenError, StoreUnavailableError, WriteContentionError } from "../src/index.ts";

describe("httpStatusFor", () => {
  it("maps each registry error code to the status the control-plane API documents", () => {
    expect(httpStatusFor(new ForbiddenError("drain", "mesh.operate").code)).toBe(403);
    expect(httpStatusFor(new EtagMismatchError("peer/a", '"1"', '"2"').code)).toBe(412);
    expect(httpStatusFor("pool-depletion")).toBe(409);
    expect(httpStatusFor("invalid-transition")).toBe(409);
    expect(httpStatusFor("precondition-required")).toBe(428);
    expect(httpStatusFor("no-such-code")).toBe(500);
  });

  it("marks store trouble and lost write races retryable with 503", () => {
    for (const e of [new StoreUnavailableError(), new WriteContentionError("drain", 32)]) {
      expect(e.retryable).toBe(true);
      expect(httpStatusFor(e.code)).toBe(503);
    }
  });
});

describe("registry errors and the catalogue", () => {
  it("has every registry error class agree with its code's row about retrying", async () => {
    const r = await import("../src/index.ts");
    const errors = [
      new r.NotFoundError("peer", "a"),
      new r.NotFoundError("move", "m-1"),
      new r.NotFoundError("rollout"),
      new r.ValidationError("reason", "is empty"),
      new r.UnauthenticatedError(),
      new r.ForbiddenError("drain", "mesh.operate"),
      new r.OnlySchedulableNodeError("a", "edge"),
      new r.LastActiveClusterError("east"),
      new r.ConfirmationRequiredError("demote"),
      new r.IdempotencyConflictError("k"),
      new r.EtagMismatchError("peer/a", '"1"', '"2"'),
      new r.PreconditionRequiredError("patch"),
      new r.StoreUnavailableError(),
      new r.WriteContentionError("drain", 3),
      new r.NotLeaderError(),
      new r.CompactedError(1, 5),
      new r.StoreClosedError(),
      new r.RolloutInProgressError("r-1", "running"),
      new r.RolloutTransitionError("r-1", "resume", "running", ["pause", "abort"]),
      new r.MoveStateConflictError("m-1", "done", "serving"),
      new r.MovePlanConflictError("m-1"),
    ];
    const disagree = errors.filter((e) => !isErrorCode(e.code) || catalogue[e.code].retryable !== e.retryable).map((e) => `${e.name} (${e.code})`);
    expect(disagree).toEqual([]);
  });
});
