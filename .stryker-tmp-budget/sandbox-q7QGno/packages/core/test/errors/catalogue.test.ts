// @ts-nocheck
import { describe, expect, it } from "vitest";
import {
  AttemptTimeoutError,
  catalogue,
  ComponentStartError,
  DependencyCycleError,
  DrainConfigError,
  DrainkitError,
  DrainLimitError,
  DrainStoppedError,
  DuplicateComponentError,
  errorEntry,
  GateClosedError,
  httpStatusFor,
  InvalidRetryPolicyError,
  InvalidTransitionError,
  isErrorCode,
  LastSchedulableNodeError,
  LifecycleAbortedError,
  LifecycleStateError,
  LifecycleStopError,
  MissingDependencyError,
  NodeNotInFleetError,
  PoolDepletionError,
  ResumeFailedError,
  StaleEpochError,
  UnknownRoleError,
} from "../../src/index.ts";

describe("the error catalogue", () => {
  it("gives every code an HTTP error status, a title, a next step and a kebab-case name", () => {
    for (const [code, row] of Object.entries(catalogue)) {
      expect(code, code).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(row.status >= 400 && row.status <= 599, `${code} status ${row.status}`).toBe(true);
      expect(row.title.length, code).toBeGreaterThan(0);
      expect(row.next.length, code).toBeGreaterThan(0);
    }
  });

  it("answers unknown codes with 500 and no row", () => {
    expect(httpStatusFor("no-such-code")).toBe(500);
    expect(errorEntry("no-such-code")).toBeUndefined();
    expect(isErrorCode("no-such-code")).toBe(false);
    expect(isErrorCode("pool-depletion")).toBe(true);
    expect(httpStatusFor("pool-depletion")).toBe(409);
  });

  it("takes retryable from the catalogue unless an error says otherwise", () => {
    expect(new DrainkitError("store-busy", "x").retryable).toBe(true);
    expect(new DrainkitError("validation", "x").retryable).toBe(false);
    expect(new DrainkitError("validation", "x", { retryable: true }).retryable).toBe(true);
    expect(new DrainkitError<string>("from-a-newer-server", "x").retryable).toBe(false);
  });

  it("has every core error class agree with its code's row about retrying", () => {
    const errors: DrainkitError[] = [
      new PoolDepletionError({ pool: "web", available: 1, required: 1, drainsInFlight: 0, availableAfter: 0, bound: "available", nodes: ["a"] }),
      new InvalidTransitionError({ role: "edge", from: "draining", event: "uncordon", allowed: ["resume"] }),
      new UnknownRoleError("gpu", ["edge"]),
      new GateClosedError("http"),
      new StaleEpochError(1, 2),
      new ResumeFailedError([{ participant: "http", error: new Error("x") }]),
      new DrainConfigError("x"),
      new DrainStoppedError(1, "x"),
      new LastSchedulableNodeError("a"),
      new DrainLimitError("a", "default", ["b"], 1),
      new NodeNotInFleetError("a"),
      new DependencyCycleError(["a", "b", "a"]),
      new MissingDependencyError("a", "b"),
      new DuplicateComponentError("a"),
      new InvalidRetryPolicyError("attempts", 0, "a whole number >= 1"),
      new LifecycleStateError("start", "running"),
      new AttemptTimeoutError("a", "start", 10),
      new LifecycleAbortedError("start", new Error("x")),
      new ComponentStartError("a", 1, new Error("x")),
      new LifecycleStopError([]),
    ];
    const disagree = errors.filter((e) => !isErrorCode(e.code) || catalogue[e.code].retryable !== e.retryable).map((e) => `${e.name} (${e.code})`);
    expect(disagree).toEqual([]);
  });
});
