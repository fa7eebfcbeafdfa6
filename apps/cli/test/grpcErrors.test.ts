import { catalogue } from "@drainkit/core";
import { problem } from "@drainkit/http";
import { ControlError } from "@drainkit/grpc";
import { describe, expect, it } from "vitest";
import { EXIT, ProblemError } from "../src/errors.ts";
import { cliErrorFromGrpc } from "../src/grpcErrors.ts";

describe("cliErrorFromGrpc", () => {
  it("knows every code with the status, title and next step the REST API answers", () => {
    for (const [code, { status, title, next }] of Object.entries(catalogue)) {
      const rest = problem(code, "x");
      expect({ code, status, title, next }).toEqual({ code, status: rest.status, title: rest.title, next: rest.next });
    }
  });

  it("turns a refused call into the problem REST would have sent, with the same exit code", () => {
    const e = cliErrorFromGrpc(new ControlError("pool-depletion", "web would drop below 2 available", 9, { retryable: false, details: { pool: "web" } }), "127.0.0.1:7401");
    expect(e).toBeInstanceOf(ProblemError);
    const p = e as ProblemError;
    expect([p.status, p.exitCode, p.title, p.message, p.code]).toEqual([409, EXIT.conflict, "Pool would be depleted", "web would drop below 2 available", "pool-depletion"]);
    expect(p.problem.details).toEqual({ pool: "web" });
  });

  it("reports a server nobody answered on as unavailable (exit 6)", () => {
    const e = cliErrorFromGrpc(new ControlError("unavailable", "No connection established", 14, { retryable: true, details: {} }), "127.0.0.1:1");
    expect(e).toMatchObject({ title: "Server unavailable", exitCode: EXIT.unavailable });
  });
});
