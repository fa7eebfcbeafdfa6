import { describe, expect, it } from "vitest";
import { EXIT, exitCodeForStatus, ProblemError } from "../src/errors.ts";

describe("exit codes by class", () => {
  it.each([
    [400, EXIT.usage],
    [401, EXIT.auth],
    [403, EXIT.auth],
    [404, EXIT.notFound],
    [409, EXIT.conflict],
    [412, EXIT.conflict],
    [428, EXIT.conflict],
    [429, EXIT.auth],
    [500, EXIT.unavailable],
    [503, EXIT.unavailable],
  ])("HTTP %i exits %i", (status, code) => {
    expect(exitCodeForStatus(status)).toBe(code);
  });

  it("tells an operator the drainctl command to run next, not the HTTP call", () => {
    const e = new ProblemError(404, { code: "not-found", title: "Not found", detail: 'No peer "x"', next: "Check the id; list what exists with GET /control/peers." });
    expect(e.next).toContain("drainctl peers list");
    expect(e.message).toBe('No peer "x"');
  });

  it("lists field errors under the detail", () => {
    const e = new ProblemError(400, { code: "validation", title: "Invalid request", detail: "Invalid body.reason", errors: [{ field: "body.reason", message: "must NOT have fewer than 1 characters" }] });
    expect(e.message).toBe("Invalid body.reason\n  body.reason: must NOT have fewer than 1 characters");
    expect(e.exitCode).toBe(EXIT.usage);
  });
});
