// @ts-nocheck
import { DrainkitError } from "../errors/DrainkitError.ts";

/**
 * Draining the target would leave no schedulable node in the whole fleet for
 * its workloads (the Drain Capture plan's elector rule). Retryable once
 * another node is schedulable again. Not the registry's
 * `OnlySchedulableNodeError`, which is per role and final.
 *
 * @example
 * try { scheduler.startDrain({ target: "n1", deadline }); }
 * catch (e) { if (e instanceof LastSchedulableNodeError) console.log(e.details.target); }
 */
export class LastSchedulableNodeError extends DrainkitError {
  constructor(target: string) {
    super(
      "last-schedulable-node",
      `Node "${target}" is the only schedulable node left; draining it would strand its workloads. ` +
        `Uncordon or add another node first, then retry the drain.`,
      { retryable: true, details: { target } },
    );
  }
}

/** The scope already drains as many targets as it allows at once. Retry when one finishes. */
export class DrainLimitError extends DrainkitError {
  constructor(target: string, scope: string, draining: readonly string[], limit: number) {
    super(
      "drain-limit-reached",
      `Scope "${scope}" already drains ${draining.length} node(s) (${draining.join(", ")}), its limit of ${limit}. ` +
        `Wait for one to finish, or raise maxDrainsPerScope, then retry draining "${target}".`,
      { retryable: true, details: { target, scope, draining: [...draining], limit } },
    );
  }
}

/** A request named a node the fleet view does not hold. */
export class NodeNotInFleetError extends DrainkitError {
  constructor(node: string) {
    super("node-not-in-fleet", `Node "${node}" is not in the fleet view. Register it (or refresh the view), then retry.`, {
      retryable: false,
      details: { node },
    });
  }
}
