import type { AuditAction, AuditEntry } from "./types/audit.ts";
import type { MutationOptions, MutationOutcome } from "./types/mutation.ts";
import type { Principal } from "./types/principal.ts";

/**
 * What a mutation decided, before it is written: a verb returns a plan and
 * the {@link GroupCommit} writer commits it with its audit entry.
 */
export type Plan<T> =
  | {
      readonly write: true;
      /** The key written; absent for a plan that only deletes. */
      readonly key?: string;
      /** Version the decision was based on: 0 = absent, negative = staged by an earlier mutation of the same batch. */
      readonly readVersion?: number;
      readonly record?: unknown;
      /** Keys deleted in the same transaction, each compared at the version read. */
      readonly deletes?: readonly { readonly key: string; readonly readVersion: number }[];
      /** Further keys written in the same transaction, each compared at the version read (negative: not compared). */
      readonly puts?: readonly { readonly key: string; readonly record: unknown; readonly readVersion: number }[];
      readonly etagBefore?: string;
      readonly etagAfter: string;
      readonly result: T;
    }
  | { readonly write: false; readonly etag: string; readonly result: T };

/** One audited attempt: who asked for what, on which target. */
export interface Attempt {
  readonly principal: Principal | undefined;
  readonly action: AuditAction;
  readonly target: string;
  readonly options: MutationOptions;
  /** The request's content, hashed for the idempotency record. */
  readonly request: unknown;
  /** Known before the plan (refusals before any read). */
  readonly etagBefore?: () => string | undefined;
  readonly onCommitted?: (entry: AuditEntry) => void;
  /**
   * False to audit the key without pinning an outcome to it: transport
   * refusals, and agents' move reports (their state machine makes a repeat a no-op).
   */
  readonly remember?: boolean;
  /**
   * False for observed state (agent status reports): a successful attempt is
   * written without an audit entry, so heartbeats never drown operator actions
   * in the chain. A refused attempt is still audited.
   */
  readonly audited?: boolean;
}

/** Queues an attempt and its planner; resolves once the batch holding it committed. */
export type Mutate = <T>(attempt: Attempt, plan: () => Promise<Plan<T>>) => Promise<MutationOutcome<T>>;
