// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import { catalogue } from "@drainkit/core";
import { describe, expect, it } from "vitest";
import { grpcStatusFor } from "../src/index.ts";
import { GRPC_STATUS_BY_HTTP } from "../src/errors.ts";

describe("grpcStatusFor", () => {
  it("maps every registry error code by its REST status class", () => {
    const byHttp: Record<number, string> = {
      400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "FAILED_PRECONDITION",
      410: "OUT_OF_RANGE", 412: "ABORTED", 428: "FAILED_PRECONDITION", 503: "UNAVAILABLE", 507: "RESOURCE_EXHAUSTED",
    };
    for (const [code, { status }] of Object.entries(catalogue)) if (status in byHttp) expect(grpc.status[grpcStatusFor(code)], code).toBe(byHttp[status]);
  });

  it("has a gRPC status for the HTTP status of every code in the catalogue", () => {
    const missing = Object.entries(catalogue).filter(([, { status }]) => GRPC_STATUS_BY_HTTP[status] === undefined).map(([code, { status }]) => `${code} (${status})`);
    expect(missing).toEqual([]);
    // Only a 500 may answer INTERNAL: any other class needs a gRPC status that says what it is.
    const internal = Object.entries(catalogue).filter(([code, { status }]) => status !== 500 && grpcStatusFor(code) === grpc.status.INTERNAL).map(([code]) => code);
    expect(internal).toEqual([]);
  });

  it("gives the codes the issue names their gRPC status", () => {
    expect(grpcStatusFor("validation")).toBe(grpc.status.INVALID_ARGUMENT);
    expect(grpcStatusFor("unauthenticated")).toBe(grpc.status.UNAUTHENTICATED);
    expect(grpcStatusFor("forbidden")).toBe(grpc.status.PERMISSION_DENIED);
    expect(grpcStatusFor("not-found")).toBe(grpc.status.NOT_FOUND);
    expect(grpcStatusFor("pool-depletion")).toBe(grpc.status.FAILED_PRECONDITION);
    expect(grpcStatusFor("etag-mismatch")).toBe(grpc.status.ABORTED);
    expect(grpcStatusFor("not-leader")).toBe(grpc.status.UNAVAILABLE);
    // Workload moves: REST answers 409, so gRPC answers what it answers every 409.
    expect(grpcStatusFor("move-state-conflict")).toBe(grpc.status.FAILED_PRECONDITION);
    expect(grpcStatusFor("move-plan-conflict")).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it("answers INTERNAL for a code nobody registered, UNAVAILABLE for a closed gate", () => {
    expect(grpcStatusFor("no-such-code")).toBe(grpc.status.INTERNAL);
    expect(grpcStatusFor("gate-closed")).toBe(grpc.status.UNAVAILABLE);
  });
});
