// @ts-nocheck
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
  | "pruneAudit"
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
  /** True for a dry run: what the server would have decided; nothing was written. */
  readonly dryRun?: true;
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

/**
 * A signed statement that the chain had entry `seq` with `hash` (written at
 * `at`) when it was signed at `signedAt`. Kept outside the store, it proves
 * later that nothing up to `seq` was rewritten and nothing was cut from the
 * end. Unsigned (no `alg`) when the server has no checkpoint key.
 */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly hash: string;
  /** Time of entry `seq` (0 for the empty chain). */
  readonly at: number;
  readonly signedAt: number;
  /** `hmac-sha256` (a shared secret) or `ed25519` (verify with the public key). */
  readonly alg?: "hmac-sha256" | "ed25519";
  /** First 16 hex digits of sha256 over the key (HMAC) or the public key (Ed25519, DER): which key signed. */
  readonly keyId?: string;
  /** Base64 signature over {@link checkpointPayload}. */
  readonly signature?: string;
}

/** The chain head, and the checkpoint of the pruned prefix when retention removed older entries. */
export interface AuditHeadView {
  readonly seq: number;
  readonly hash: string;
  /** Time of the head entry (0 for the empty chain). */
  readonly at: number;
  /** Entries up to `checkpoint.seq` were pruned; the chain starts after it. */
  readonly checkpoint?: AuditCheckpoint;
}

/** What one {@link AuditPruner.pruneAudit} call removed. */
export interface AuditPrune {
  readonly pruned: number;
  /** Entries still due after this call (counted up to 1 000). */
  readonly remaining: number;
  /** The stored checkpoint of the pruned prefix after this call. */
  readonly checkpoint?: AuditCheckpoint;
}

/** Which entries retention removes: older than `before` (epoch ms) and/or beyond the newest `keepEntries`. */
export interface AuditRetention {
  readonly before?: number;
  readonly keepEntries?: number;
  /**
   * Prune only when at least this many entries are due (default 1). Each
   * prune writes an entry of its own, so `keepEntries` alone with 1 would
   * prune one entry every round forever; 2 or more lets it settle.
   */
  readonly minBatch?: number;
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly from?: number }
  | { readonly ok: false; readonly entries: number; readonly firstBad: { readonly seq: number; readonly id: string; readonly reason: string } };
