/** What every mutation takes beside its input and gives back, and a page of a listing. */
// @ts-nocheck


/** Settings every mutation accepts beside its own input. */
export interface MutationOptions {
  /** Same key + same request returns the stored outcome; same key + other request is `idempotency-conflict`. */
  readonly idempotencyKey?: string;
  /** The ETag (`"<version>"`) the caller last read; stale → `etag-mismatch`. */
  readonly ifMatch?: string;
  readonly reason?: string;
  readonly ticket?: string;
  /** Explicit confirmation for destructive verbs (forced drain, demote, config). */
  readonly confirm?: boolean;
  /** Runs every check and returns the would-be outcome without writing or auditing. */
  readonly dryRun?: boolean;
}

/** What every successful (or no-op) mutation returns. */
export interface MutationOutcome<T> {
  readonly value: T;
  /** `"<version>"` of the target after the mutation. */
  readonly etag: string;
  /** False for an idempotent no-op: no new epoch, no second change. */
  readonly changed: boolean;
  /** The audit entry written for this attempt ("" for a dry run). */
  readonly auditId: string;
  /** True when returned from the idempotency record of an earlier attempt. */
  readonly replayed?: boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
  /** Store revision the page was read at (resume the change feed from here). */
  readonly revision: number;
}
