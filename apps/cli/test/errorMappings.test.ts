import { catalogue, DrainkitError, type ErrorCode } from "@drainkit/core";
import { ControlError, grpcStatusFor } from "@drainkit/grpc";
import { problemFromError } from "@drainkit/http";
import { describe, expect, it } from "vitest";
import { EXIT_BY_STATUS, exitCodeForCode, ProblemError } from "../src/errors.ts";
import { cliErrorFromGrpc } from "../src/grpcErrors.ts";

// The codes a client invents when no drainkit server answered; the CLI reports them as "server unavailable".
const TRANSPORT: ReadonlySet<string> = new Set(["unavailable", "deadline-exceeded", "cancelled", "unimplemented"]);
const codes = Object.keys(catalogue) as ErrorCode[];
/** INTERNAL (the CLI does not load grpc-js itself). */
const INTERNAL = 13;

/**
 * Every code of core's catalogue, through every surface: a code that lacks a
 * mapping anywhere (HTTP status, gRPC status, CLI exit class) fails here.
 * Expected values are read from the catalogue row, not from the code under test.
 */
describe("every error code has a mapping on every surface", () => {
  it("answers each code over REST with the catalogue's status, title and next step", () => {
    const wrong = codes.filter((code) => {
      const p = problemFromError(new DrainkitError(code, "x"));
      const row = catalogue[code];
      return p.status !== row.status || p.title !== row.title || p.next !== row.next || p.retryable !== row.retryable;
    });
    expect(wrong).toEqual([]);
  });

  it("gives each code a gRPC status of its class (INTERNAL only for a 500)", () => {
    const wrong = codes.filter((code) => (grpcStatusFor(code) === INTERNAL) !== (catalogue[code].status === 500));
    expect(wrong).toEqual([]);
  });

  it("gives each code's HTTP status an explicit CLI exit class", () => {
    expect(codes.filter((code) => EXIT_BY_STATUS[catalogue[code].status] === undefined)).toEqual([]);
  });

  it("exits the same for a code whether it came over REST or gRPC", () => {
    const wrong = codes.filter((code) => {
      if (TRANSPORT.has(code)) return false;
      const viaGrpc = cliErrorFromGrpc(new ControlError(code, "x", grpcStatusFor(code), { retryable: catalogue[code].retryable, details: {} }), "127.0.0.1:1");
      const viaRest = new ProblemError(catalogue[code].status, { code, status: catalogue[code].status, title: catalogue[code].title, next: catalogue[code].next });
      return !(viaGrpc instanceof ProblemError) || viaGrpc.exitCode !== viaRest.exitCode || viaGrpc.exitCode !== exitCodeForCode(code) || viaGrpc.title !== catalogue[code].title;
    });
    expect(wrong).toEqual([]);
  });
});
