import * as grpc from "@grpc/grpc-js";
import { httpStatusByCode } from "@drainkit/registry";
import { describe, expect, it } from "vitest";
import { grpcStatusFor } from "../src/index.ts";

describe("grpcStatusFor", () => {
  it("maps every registry error code the way the issue asks", () => {
    const table = Object.fromEntries(Object.keys(httpStatusByCode).map((code) => [code, grpc.status[grpcStatusFor(code)]]));
    expect(table).toEqual({
      validation: "INVALID_ARGUMENT",
      "confirmation-required": "INVALID_ARGUMENT",
      "unknown-role": "INVALID_ARGUMENT",
      unauthenticated: "UNAUTHENTICATED",
      forbidden: "PERMISSION_DENIED",
      "not-found": "NOT_FOUND",
      "invalid-transition": "FAILED_PRECONDITION",
      "pool-depletion": "FAILED_PRECONDITION",
      "only-schedulable-node": "FAILED_PRECONDITION",
      "last-active-cluster": "FAILED_PRECONDITION",
      "idempotency-conflict": "FAILED_PRECONDITION",
      "etag-mismatch": "ABORTED",
      compacted: "OUT_OF_RANGE",
      "precondition-required": "FAILED_PRECONDITION",
      "store-unavailable": "UNAVAILABLE",
      "store-busy": "UNAVAILABLE",
      "store-closed": "UNAVAILABLE",
      "store-full": "RESOURCE_EXHAUSTED",
      "write-contention": "UNAVAILABLE",
      "not-leader": "UNAVAILABLE",
    });
  });

  it("answers INTERNAL for a code nobody registered, UNAVAILABLE for a closed gate", () => {
    expect(grpcStatusFor("no-such-code")).toBe(grpc.status.INTERNAL);
    expect(grpcStatusFor("gate-closed")).toBe(grpc.status.UNAVAILABLE);
  });
});
