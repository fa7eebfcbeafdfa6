import type { Scope } from "./principal.ts";

/** The audit log: one hash-chained entry per attempt, allowed or refused. */

export type AuditOutcome = "ok" | "refused" | "error";

export type AuditAction =
  | "registerPeer"
  | "reportStatus"
  | "cordon"
  | "uncordon"
  | "drain"
  | "resume"
  | "patchPeer"
  | "promote"
  | "demote"
  | "patchConfig"
  | "failDrain"
  | (string & {});

/** One attempt, allowed or refused. Hash-chained: `hash = sha256(content, prevHash)`. */
export interface AuditEntry {
  /** 1, 2, 3… with no gaps. */
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  /** Principal id, or "anonymous" for unauthenticated attempts. */
  readonly actor: string;
  readonly scopes: readonly Scope[];
  readonly action: AuditAction;
  /** e.g. `peer/<id>`, `cluster/<id>`, `config`. */
  readonly target: string;
  readonly reason?: string;
  readonly ticket?: string;
  readonly idempotencyKey?: string;
  readonly outcome: AuditOutcome;
  /** The error code when the outcome is refused or error. */
  readonly errorCode?: string;
  readonly latencyMs: number;
  readonly etagBefore?: string;
  readonly etagAfter?: string;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditQuery {
  readonly target?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly outcome?: AuditOutcome;
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
  readonly limit?: number;
  readonly cursor?: string;
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly firstBad: { readonly seq: number; readonly id: string; readonly reason: string } };
