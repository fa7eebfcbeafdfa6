// @ts-nocheck
import { DrainkitError } from "../errors/DrainkitError.ts";

/** The numbers a `pool-depletion` refusal carries. */
export type PoolDepletionDetails = {
  readonly pool: string;
  /** Members available now. */
  readonly available: number;
  /** Members that must stay available (or schedulable, when `bound` is `"schedulable"`). */
  readonly required: number;
  /** Members draining now. */
  readonly drainsInFlight: number;
  /** Members that would be left if the request went through. */
  readonly availableAfter: number;
  /** Which bound the request breaks. */
  readonly bound: "available" | "schedulable";
  /** The nodes the request asked for. */
  readonly nodes: readonly string[];
};

/**
 * A drain or cordon would take a pool below its budget. Retryable: the same
 * request can pass once in-flight drains finish or capacity is added.
 *
 * @example
 * const d = admit(pool, fleet, { kind: "drain", node: "n1" });
 * if (d.outcome === "refused") throw d.error; // 409 pool-depletion, details.available/required
 */
export class PoolDepletionError extends DrainkitError {
  declare readonly details: PoolDepletionDetails;

  constructor(details: PoolDepletionDetails) {
    const what = details.bound === "available" ? "available" : "schedulable";
    super(
      "pool-depletion",
      `Pool "${details.pool}" would drop to ${details.availableAfter} ${what} member(s), below the ${details.required} it requires ` +
        `(${what} now: ${details.available}, drains in flight: ${details.drainsInFlight}). ` +
        `Wait for in-flight drains to finish, add capacity to the pool, or have an admin force it with a reason.`,
      { retryable: true, details },
    );
  }
}
