/**
 * The phase of one role on one node (see the table in ARCHITECTURE.md).
 *
 * - `active`: schedulable, takes new traffic.
 * - `cordoned`: no new placements; traffic continues.
 * - `draining`: no new traffic; in-flight work finishing.
 * - `drained`: nothing in flight; safe to stop or upgrade.
 * - `failed`: the drain missed its deadline or a participant failed; the role
 *   stays quiesced until an operator resumes or retries.
 */
// @ts-nocheck

export type RolePhase = "active" | "cordoned" | "draining" | "drained" | "failed";

/** Every role phase, in table order. */
export const ROLE_PHASES: readonly RolePhase[] = Object.freeze(["active", "cordoned", "draining", "drained", "failed"]);

/**
 * The phase of a whole node, derived from its roles: a role phase when it
 * speaks for the node, or `partially-drained` when some roles are drained and
 * the others still serve.
 */
export type NodePhase = RolePhase | "partially-drained";

/** Roles every drainkit deployment knows; any other string is a valid user-defined role. */
export const PREDEFINED_ROLES: readonly string[] = Object.freeze(["ingest", "edge", "storage", "processing"]);

/**
 * Derives a node's phase from its role phases. Failure is never hidden (any
 * failed role makes the node `failed`), an unfinished drain shows next, and a
 * node is `drained` only when every role is.
 *
 * @example
 * derivePhase(["drained", "drained"]);  // "drained"
 * derivePhase(["drained", "active"]);   // "partially-drained"
 * derivePhase(["cordoned", "active"]);  // "cordoned"
 */
export function derivePhase(phases: Iterable<RolePhase>): NodePhase {
  let failed = false;
  let draining = false;
  let drained = 0;
  let cordoned = false;
  let count = 0;
  for (const p of phases) {
    count++;
    if (p === "failed") failed = true;
    else if (p === "draining") draining = true;
    else if (p === "drained") drained++;
    else if (p === "cordoned") cordoned = true;
  }
  if (failed) return "failed";
  if (draining) return "draining";
  if (count > 0 && drained === count) return "drained";
  if (drained > 0) return "partially-drained";
  return cordoned ? "cordoned" : "active";
}
