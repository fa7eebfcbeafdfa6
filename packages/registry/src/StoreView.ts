import { isDrainkitError } from "@drainkit/core";
import { StoreUnavailableError } from "./errors.ts";
import { AUDIT_HEAD } from "./keys.ts";
import type { ListOptions, RegistryStore, TxnOp, Versioned } from "./store.ts";

/** Marks a key deleted by an earlier mutation of the batch being planned. */
export const TOMBSTONE: unique symbol = Symbol("deleted");

/** A driver error as the registry reports it: `store-unavailable`, retryable. */
export function toStoreError(error: unknown): Error {
  if (isDrainkitError(error)) return error;
  return new StoreUnavailableError(`The registry store failed: ${error instanceof Error ? error.message : String(error)}; retry shortly.`, error);
}

/**
 * The registry's reads of its store. Plain reads (`get`, `list`) go to the
 * store; reads for the write path (`getForWrite`, `listForWrite`) also see
 * what earlier mutations of the batch being planned staged, and what this
 * registry's own last commits wrote to keys every transaction compares.
 */
export class StoreView {
  readonly #store: RegistryStore;
  /** Writes of the batch being planned, keyed by store key; undefined outside planning. */
  #staged: Map<string, Versioned> | undefined;
  /**
   * What this registry's own last commit wrote to the audit head, which every
   * later transaction compares, so a registry that is the only writer skips
   * that read. A stale entry can only make that compare fail, and any lost
   * race or store error empties it. Peer records are not kept: another
   * registry of the same store (the leader's beside the API's, another
   * replica) writes them too, and a mutation that decides from a stale record
   * to change nothing commits that decision, audited, with no compare to
   * catch it (a silence never marked, a cordon said to be there already).
   */
  readonly #written = new Map<string, Versioned>();

  constructor(store: RegistryStore) {
    this.#store = store;
  }

  async get(key: string): Promise<Versioned | undefined> {
    try {
      return await this.#store.get(key);
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async list(prefix: string, options?: ListOptions): Promise<{ items: readonly Versioned[]; revision: number }> {
    try {
      return await (options === undefined ? this.#store.list(prefix) : this.#store.list(prefix, options));
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async revision(): Promise<number> {
    try {
      return await this.#store.revision();
    } catch (e) {
      throw toStoreError(e);
    }
  }

  /**
   * A read for the write path: what an earlier mutation of the batch being
   * planned wrote (negative version: not in the store yet), else what this
   * registry's own last commit wrote (the audit head only), else the store.
   */
  async getForWrite(key: string): Promise<Versioned | undefined> {
    const staged = this.#staged?.get(key);
    if (staged !== undefined) return staged.value === TOMBSTONE ? undefined : staged;
    return this.#written.get(key) ?? (await this.get(key));
  }

  /** A listing for the write path, with the batch's staged writes laid over it. */
  async listForWrite(prefix: string): Promise<{ items: readonly Versioned[]; revision: number }> {
    const listed = await this.list(prefix);
    const staged = this.#staged;
    if (staged === undefined || staged.size === 0) return listed;
    let merged: Map<string, Versioned> | undefined;
    for (const [key, v] of staged) {
      if (!key.startsWith(prefix)) continue;
      merged ??= new Map(listed.items.map((i) => [i.key, i]));
      if (v.value === TOMBSTONE) merged.delete(key);
      else merged.set(key, v);
    }
    if (merged === undefined) return listed;
    return { items: [...merged.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), revision: listed.revision };
  }

  /** Starts planning a batch: `getForWrite` sees what is staged in the returned map until {@link endBatch}. */
  beginBatch(): Map<string, Versioned> {
    const staged = new Map<string, Versioned>();
    this.#staged = staged;
    return staged;
  }

  endBatch(): void {
    this.#staged = undefined;
  }

  /** After a commit at `revision`: keeps what it wrote to the keys every transaction compares. */
  remember(ops: readonly TxnOp[], revision: number): void {
    if (this.#written.size > 10_000) this.#written.clear();
    for (const op of ops) {
      if (op.type === "put" && op.key === AUDIT_HEAD) this.#written.set(op.key, { key: op.key, value: op.value, version: revision });
    }
  }

  /** After a lost race or a store error: what this registry wrote may no longer be current. */
  forget(): void {
    this.#written.clear();
  }
}
