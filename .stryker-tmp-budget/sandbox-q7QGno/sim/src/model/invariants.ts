// @ts-nocheck
import type { RolePhase } from "@drainkit/core";

/** Names of the invariants the simulator checks after every event. */
export type InvariantName =
  | "valid-transition"
  | "pool-availability"
  | "no-lost-request"
  | "no-route-to-draining"
  | "no-lost-workload"
  | "drain-ends-by-deadline"
  | "epoch-monotonic"
  | "forced-admission"
  | "drain-truthful"
  | "stale-leader-write";

/** One broken invariant: where in the run it happened and what was seen. */
export interface InvariantViolation {
  readonly invariant: InvariantName;
  readonly message: string;
  /** Index of the event after which the check failed (0-based). */
  readonly eventIndex: number;
  /** Virtual time, ms. */
  readonly atMs: number;
  readonly node?: string;
  readonly pool?: string;
}

// The oracle: phase changes the table of ARCHITECTURE.md allows. It is the spec
// the checker holds core to, so it is written out here rather than asked of core.
const LEGAL: ReadonlySet<string> = new Set([
  "active>cordoned",
  "active>draining",
  "cordoned>active",
  "cordoned>draining",
  "draining>draining",
  "draining>drained",
  "draining>failed",
  "draining>active",
  "drained>active",
  "failed>draining",
  "failed>active",
]);

/** True when the node/role state machine may move a role from `from` to `to`. */
export function isLegalPhaseChange(from: RolePhase, to: RolePhase): boolean {
  return LEGAL.has(`${from}>${to}`);
}

/**
 * Collects invariant violations. The model reports facts as they happen
 * (a phase change, a request arriving, a node going down); the cheap checks
 * run right there, and `firstViolation` stops the run after the event.
 */
export class InvariantChecker {
  readonly violations: InvariantViolation[] = [];
  eventIndex = 0;
  atMs = 0;
  /** Stop at the first violation (the CLI does); tests may collect them all. */
  readonly stopAtFirst: boolean;

  constructor(options: { stopAtFirst?: boolean } = {}) {
    this.stopAtFirst = options.stopAtFirst ?? true;
  }

  get failed(): boolean {
    return this.violations.length > 0;
  }

  report(invariant: InvariantName, message: string, where: { node?: string; pool?: string } = {}): void {
    this.violations.push({ invariant, message, eventIndex: this.eventIndex, atMs: this.atMs, ...where });
  }

  /** A role changed phase (and epoch). */
  phaseChange(node: string, role: string, from: RolePhase, to: RolePhase, fromEpoch: number, toEpoch: number): void {
    if (from === to && from !== "draining") return;
    if (from === to && toEpoch === fromEpoch) return;
    if (!isLegalPhaseChange(from, to)) this.report("valid-transition", `role ${role} of ${node} moved ${from} → ${to}, which the state machine forbids`, { node });
    if (toEpoch < fromEpoch) this.report("epoch-monotonic", `role ${role} of ${node} went from epoch ${fromEpoch} back to ${toEpoch}`, { node });
    if (from === "draining" && to === "draining" && toEpoch <= fromEpoch) {
      this.report("epoch-monotonic", `role ${role} of ${node} restarted its drain without a newer epoch (${fromEpoch} → ${toEpoch})`, { node });
    }
  }

  /** Core refused a transition that the control flow must be able to make. */
  refusedTransition(node: string, message: string): void {
    this.report("valid-transition", `${node}: ${message}`, { node });
  }
}
