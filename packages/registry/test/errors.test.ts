import { describe, expect, it } from "vitest";
import { httpStatusFor } from "@drainkit/core";
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
