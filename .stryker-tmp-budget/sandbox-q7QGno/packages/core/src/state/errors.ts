// @ts-nocheck
import { DrainkitError } from "../errors/DrainkitError.ts";
import type { RolePhase } from "./phase.ts";
import type { RoleEventType } from "./RoleEvent.ts";

/**
 * An event the state machine refuses in the current phase (a ✗ in the table
 * of ARCHITECTURE.md). Nothing was changed; `allowed` names the events the
 * role accepts now.
 *
 * @example
 * const r = transition(state, { type: "uncordon", owner: "ops" });
 * if (!r.ok && r.error.code === "invalid-transition") console.log(r.error.allowed);
 */
export class InvalidTransitionError extends DrainkitError {
  readonly from: RolePhase;
  readonly event: RoleEventType;
  readonly allowed: readonly RoleEventType[];
  readonly role: string;

  constructor(input: { role: string; from: RolePhase; event: RoleEventType; allowed: readonly RoleEventType[]; why?: string }) {
    const why = input.why === undefined ? "" : ` (${input.why})`;
    super(
      "invalid-transition",
      `Cannot ${input.event} role "${input.role}" while it is ${input.from}${why}. ` +
        `Allowed now: ${input.allowed.join(", ")}. Read the current state, then send one of those events.`,
      { retryable: false, details: { role: input.role, from: input.from, event: input.event, allowed: [...input.allowed] } },
    );
    this.from = input.from;
    this.event = input.event;
    this.allowed = input.allowed;
    this.role = input.role;
  }
}

/**
 * An event named a role the node does not have. Roles are fixed when the node
 * is created (`createNodeState(roles)`).
 *
 * @example
 * const r = transitionNode(node, { type: "resume", roles: ["gpu"] });
 * if (!r.ok && r.error.code === "unknown-role") console.log(r.error.message);
 */
export class UnknownRoleError extends DrainkitError {
  readonly role: string;
  constructor(role: string, known: readonly string[]) {
    super(
      "unknown-role",
      `Role "${role}" is not one of this node's roles (${known.join(", ") || "none"}). Name an existing role, or create the node with it.`,
      { retryable: false, details: { role, known: [...known] } },
    );
    this.role = role;
  }
}
