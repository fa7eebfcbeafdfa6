// Port changes: `list` takes optional `ListOptions` (startAfter, limit) so the
// registry reads one page of the audit log instead of all of it; a store that
// ignores them still works (the registry trims), just slower.
// What the registry relies on, and the conformance suite checks
// (`runRegistryStoreConformance` from "@drainkit/registry/testing"):
// - a get/list after a txn resolves sees that txn (linearizable reads);
// - every key written by one txn gets the same version, the txn's revision;
// - watch("") (empty prefix) follows every key, in revision order;
// - a second client (`connect` in StoreUnderTest) lets the suite check lease
//   hand-over when a leader's client closes.
/**
 * The storage port every registry store implements: a versioned key/value map
 * with atomic compare-and-swap transactions, a revision-ordered change feed
 * and leases for leader election. All domain logic (state machine, capacity
 * guard, idempotency, audit chain) lives in the registry on top of this, so a
 * store adapter stays small and one conformance suite covers them all.
 *
 * Keys are strings such as `peers/<id>`, `clusters/<id>`, `config`,
 * `idem/<principal>/<key>`, `idem-by-time/<at>/…`, `audit/<seq>`,
 * `audit-by-target/<target>/<seq>`, `audit-head`, `audit-index`. Values are
 * JSON-serialisable.
 */
export interface Versioned<T = unknown> {
  readonly key: string;
  readonly value: T;
  /** Revision of the last write to this key (etcd's mod_revision); > 0. */
  readonly version: number;
}

/** A transaction guard: the key's current version must equal `version` (0 = key absent). */
export interface Compare {
  readonly key: string;
  readonly version: number;
}

export type TxnOp =
  | { readonly type: "put"; readonly key: string; readonly value: unknown }
  | { readonly type: "delete"; readonly key: string };

/**
 * Proof that a write comes from the current holder of a leadership: the
 * {@link Leadership.fence} of a campaign. A store that supports fencing
 * rejects a fenced txn once that leadership is gone (expired, revoked,
 * resigned) with a `fenced` error, so a leader that lost its lease without
 * noticing cannot overwrite what its successor wrote. A store with a single
 * writer (memory, SQLite) may ignore it.
 */
export interface Fence {
  readonly election: string;
  /** Store-specific identity of the campaign (for etcd: its election key). */
  readonly holder: string;
  /** Store-specific term of the campaign (for etcd: the election key's create revision). */
  readonly revision: number;
}

export interface TxnRequest {
  /** Every compare must hold, or nothing is written. */
  readonly compare: readonly Compare[];
  /** Applied atomically, in order, when every compare holds. */
  readonly ops: readonly TxnOp[];
  /** Leader writes: applied only while this leadership still holds; see {@link Fence}. */
  readonly fence?: Fence;
}

export type TxnResult =
  | { readonly ok: true; readonly revision: number }
  /** A compare failed; `conflicts` names the keys whose version differed. */
  | { readonly ok: false; readonly revision: number; readonly conflicts: readonly string[] };

export interface Change {
  readonly revision: number;
  readonly key: string;
  /** The new value, or undefined when the key was deleted. */
  readonly value: unknown;
  readonly type: "put" | "delete";
}

/** Paging of {@link RegistryStore.list}; both optional, so `list(prefix)` still lists everything. */
export interface ListOptions {
  /** Only keys after this one (typically the last key of the previous page). */
  readonly startAfter?: string;
  /** At most this many items (a whole number >= 1); the listing stops there. */
  readonly limit?: number;
}

export interface ListResult {
  readonly items: readonly Versioned[];
  /** Store revision the listing was read at. */
  readonly revision: number;
}

export interface WatchHandle {
  close(): void;
}

/** A held lease: leadership or any other exclusive role with a TTL. */
export interface Leadership {
  /** Aborted when leadership is lost (lease expired, store unreachable, resigned). */
  readonly signal: AbortSignal;
  readonly candidate: string;
  /** Set by stores that fence leader writes: pass it with every txn the leader decides. */
  readonly fence?: Fence;
  resign(): Promise<void>;
}

export interface RegistryStore {
  /** Human-readable kind, e.g. "memory", "sqlite", "etcd". */
  readonly kind: string;
  /**
   * Most operations (puts and deletes) one {@link RegistryStore.txn} may
   * carry: etcd's `--max-txn-ops` (128 by default); `Infinity` for a store
   * with no such limit (memory, SQLite). Left out, the registry assumes
   * etcd's 128, so a store that does not say is never sent more.
   */
  readonly maxTxnOps?: number;
  get(key: string): Promise<Versioned | undefined>;
  /**
   * Keys starting with `prefix`, in key order: every one, or with `options`
   * only those after `startAfter`, at most `limit` of them. A store must read
   * no more than the page it returns (plus a bounded read-ahead).
   */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Atomic compare-and-swap over any number of keys. */
  txn(request: TxnRequest): Promise<TxnResult>;
  /** Current store revision (0 when empty). */
  revision(): Promise<number>;
  /**
   * Calls `onChange` for every change to keys under `prefix` with a revision
   * greater than `fromRevision`, in revision order: first the history still
   * kept, then live changes. `onError` receives a typed error when the
   * history was compacted past `fromRevision` or the store fails.
   */
  watch(prefix: string, fromRevision: number, onChange: (change: Change) => void, onError?: (error: Error) => void): WatchHandle;
  /**
   * Campaigns for leadership of `election`; resolves once `candidate` leads.
   * Rejects when `signal` aborts first.
   */
  campaign(election: string, candidate: string, options: { ttlMs: number; signal?: AbortSignal }): Promise<Leadership>;
  /** The current leader's candidate id, if any. */
  leader(election: string): Promise<string | undefined>;
  /** True when the store answers (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
