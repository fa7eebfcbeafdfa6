import type { AuditFields } from "./api.ts";
import { auditBody } from "./api.ts";

/** The verbs the page offers, with the request drainctl sends for each. */
export type Verb = "cordon" | "uncordon" | "drain" | "resume" | "pause-rollout" | "resume-rollout" | "approve-change" | "reject-change";

export interface Action {
  readonly verb: Verb;
  /** Button text. */
  readonly label: string;
  /** The confirmation question, as drainctl asks it. */
  readonly question: string;
  /** drainctl refuses these without --reason; so does the page. */
  readonly reasonRequired: boolean;
  readonly path: string;
  readonly body: Record<string, unknown>;
}


/**
 * The verbs the node/role state machine accepts in the peer's phase (the
 * architecture's table), so the panel never offers one the server would
 * answer with `invalid-transition`: uncordon only a cordoned peer, drain
 * an active or cordoned one (or retry a failed one), resume anything not
 * already active.
 *
 * @example
 * verbsFor({ phase: "draining", spec: { cordons: {} } }); // ["resume"]
 */
export function verbsFor(peer: { readonly phase: string; readonly spec: { readonly cordons?: Readonly<Record<string, unknown>> } }): Verb[] {
  const cordoned = Object.keys(peer.spec.cordons ?? {}).length > 0;
  switch (peer.phase) {
    case "active":
      return cordoned ? ["uncordon", "drain"] : ["cordon", "drain"];
    case "cordoned":
      return ["uncordon", "drain", "resume"];
    case "failed":
      return ["drain", "resume"];
    case "draining":
    case "partially-drained":
    case "drained":
      return ["resume"];
    default:
      return ["resume"];
  }
}

const peerPath = (id: string, verb: string): string => `/control/peers/${encodeURIComponent(id)}:${verb}`;

/**
 * The request for `verb` on `target` (a peer id, or a rollout id) with the
 * operator's reason and ticket; the same paths and bodies as drainctl.
 *
 * @example
 * actionFor("cordon", "web-1", { reason: "kernel upgrade", ticket: "CHG-7" });
 * // { path: "/control/peers/web-1:cordon", body: { reason: "kernel upgrade", ticket: "CHG-7" }, … }
 */
export function actionFor(verb: Verb, target: string, fields: AuditFields = {}): Action {
  const body = auditBody(fields);
  const why = body["reason"] !== undefined ? ` (reason: ${body["reason"]})` : "";
  switch (verb) {
    case "cordon":
      return { verb, label: "Cordon", question: `Cordon peer ${target}${why}? No new placements; traffic continues.`, reasonRequired: true, path: peerPath(target, "cordon"), body };
    case "uncordon":
      return { verb, label: "Uncordon", question: `Remove your cordon from peer ${target}${why}?`, reasonRequired: false, path: peerPath(target, "uncordon"), body };
    case "drain":
      return { verb, label: "Drain", question: `Drain peer ${target}${why}? In-flight work finishes and workloads move away.`, reasonRequired: true, path: peerPath(target, "drain"), body };
    case "resume":
      return { verb, label: "Resume", question: `Resume peer ${target}${why}? It goes back to active (ends a drain, lifts every cordon).`, reasonRequired: false, path: peerPath(target, "resume"), body };
    case "pause-rollout":
      return { verb, label: "Pause rollout", question: `Pause rollout ${target}${why}? Steps under way finish; no new wave starts.`, reasonRequired: false, path: "/control/upgrade:pause", body: { id: target, ...body } };
    case "resume-rollout":
      return { verb, label: "Resume rollout", question: `Resume rollout ${target}${why}?`, reasonRequired: false, path: "/control/upgrade/resume", body: { id: target, ...body } };
    case "approve-change":
      return { verb, label: "Approve", question: `Approve change ${target}${why}? It is applied now, checked against the pool budgets again.`, reasonRequired: true, path: `/control/approvals/${encodeURIComponent(target)}:approve`, body };
    case "reject-change":
      return { verb, label: "Reject", question: `Reject change ${target}${why}? Nothing of it is applied.`, reasonRequired: true, path: `/control/approvals/${encodeURIComponent(target)}:reject`, body };
  }
}

/** True when the principal's scopes allow the operator verbs. */
export function canOperate(scopes: readonly string[]): boolean {
  return scopes.includes("mesh.operate") || scopes.includes("mesh.admin");
}
