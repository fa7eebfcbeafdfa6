import { DrainkitError } from "@drainkit/core";
import type { Change, Leadership, ListOptions, ListResult, RegistryStore, TxnRequest, TxnResult, Versioned, WatchHandle } from "./store.ts";

/** Options of {@link makeMemoryStore}. */
export interface MemoryStoreOptions {
  /** At least this many recent changes stay available to `watch` from an older revision; older ones are compacted. Default 100 000. */
  readonly historyLimit?: number;
}

/** A {@link RegistryStore} held in process memory, plus `connect()` for a second client of the same data. */
export interface MemoryStore extends RegistryStore {
  /**
   * Another client on the same data, as a second control-plane replica would
   * see it; closing it drops its leaderships (as a lost etcd lease would).
   */
  connect(): MemoryStore;
}

/** Watching from a revision older than the kept history. */
export class CompactedError extends DrainkitError {
  constructor(fromRevision: number, oldest: number) {
    super("history-compacted", `History before revision ${oldest} was compacted; re-list and watch from the listing's revision (asked for ${fromRevision}).`, {
      details: { fromRevision, oldest },
    });
  }
}

/** Using a store after `close()`. */
export class StoreClosedError extends DrainkitError {
  constructor() {
    super("store-closed", "The store was closed; create a new one.", { retryable: false });
  }
}

interface Entry {
  readonly value: unknown;
  readonly version: number;
}

interface Watcher {
  readonly prefix: string;
  readonly onChange: (change: Change) => void;
  closed: boolean;
}

interface Candidate {
  readonly candidate: string;
  readonly client: Client;
  readonly grant: () => void;
}

interface Election {
  holder: { readonly candidate: string; readonly client: Client; readonly controller: AbortController } | undefined;
  readonly queue: Candidate[];
}

interface Client {
  closed: boolean;
  readonly watchers: Set<Watcher>;
}

/**
 * A deep-frozen copy with JSON semantics (undefined members dropped, non-finite
 * numbers as null), so the store's data can never be changed through a value
 * it handed out. Already-frozen subtrees are shared rather than copied: they
 * are immutable, and a registry write is mostly subtrees of an earlier read.
 */
function freezeCopy(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "object":
      break;
    default:
      return undefined;
  }
  const v = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (Object.isFrozen(v)) return v;
  if (typeof v.toJSON === "function") return freezeCopy(JSON.parse(JSON.stringify(v)));
  if (Array.isArray(v)) return Object.freeze(v.map((x) => freezeCopy(x) ?? null));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    const c = freezeCopy(v[key]);
    if (c === undefined) continue;
    // A plain assignment (several times cheaper than defineProperty on every write); only `__proto__` would set the prototype instead of a member.
    if (key === "__proto__") Object.defineProperty(out, key, { value: c, enumerable: true, writable: true, configurable: true });
    else out[key] = c;
  }
  return Object.freeze(out);
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The keys of one bucket (keys up to their first `/`: `peers/`, `audit/`, …),
 * sorted for prefix listing; may hold deleted keys, and keys written since
 * wait in `#added` until the next listing merges them in, so a write costs
 * O(1) however many keys the store holds (a splice into the sorted array
 * cost O(keys) per new key). Bucketed so that listing peers never merges in
 * the audit entries written since the last listing.
 */
class SortedKeys {
  #sorted: string[] = [];
  /** Keys in `#sorted`, deleted ones included. */
  readonly #inSorted = new Set<string>();
  #added: string[] = [];
  #deleted = 0;

  put(key: string, existed: boolean): void {
    if (!this.#inSorted.has(key) && !existed) this.#added.push(key);
  }

  delete(key: string): void {
    if (this.#inSorted.has(key)) this.#deleted++;
  }

  /** Every live key of the bucket (and perhaps some deleted ones), sorted. */
  keys(entries: ReadonlyMap<string, Entry>): readonly string[] {
    if (this.#added.length > 0 || this.#deleted > this.#sorted.length >> 2) {
      // A key put, deleted and put again before a merge is in `#added` twice.
      const added = [...new Set(this.#added)].filter((k) => entries.has(k)).sort();
      const kept = this.#deleted > 0 ? this.#sorted.filter((k) => entries.has(k)) : this.#sorted;
      if (kept.length !== this.#sorted.length) for (const k of this.#sorted) if (!entries.has(k)) this.#inSorted.delete(k);
      const merged: string[] = [];
      let i = 0;
      for (const k of added) {
        while (i < kept.length && kept[i]! < k) merged.push(kept[i++]!);
        merged.push(k);
        this.#inSorted.add(k);
      }
      while (i < kept.length) merged.push(kept[i++]!);
      this.#sorted = merged;
      this.#added = [];
      this.#deleted = 0;
    }
    return this.#sorted;
  }
}

/** A key's bucket: up to and including its first `/`, or the whole key. Buckets in name order hold the keys in key order. */
function bucketOf(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? key : key.slice(0, slash + 1);
}

class MemoryData {
  readonly entries = new Map<string, Entry>();
  readonly #buckets = new Map<string, SortedKeys>();
  /** Bucket names, sorted (undefined: a bucket was added since). */
  #bucketNames: string[] | undefined = [];
  readonly history: Change[] = [];
  readonly elections = new Map<string, Election>();
  readonly watchers = new Set<Watcher>();
  revision = 0;
  readonly historyLimit: number;

  constructor(historyLimit: number) {
    this.historyLimit = historyLimit;
  }

  /**
   * The sorted key lists a listing of `prefix` walks, in key order: the one
   * bucket of a prefix with a `/`, else every bucket whose name starts with it.
   */
  sortedKeys(prefix: string): (readonly string[])[] {
    const slash = prefix.indexOf("/");
    if (slash >= 0) {
      const bucket = this.#buckets.get(prefix.slice(0, slash + 1));
      return bucket === undefined ? [] : [bucket.keys(this.entries)];
    }
    this.#bucketNames ??= [...this.#buckets.keys()].sort();
    const out: (readonly string[])[] = [];
    for (const name of this.#bucketNames) if (name.startsWith(prefix)) out.push(this.#buckets.get(name)!.keys(this.entries));
    return out;
  }

  oldestKept(): number {
    return this.history[0]?.revision ?? this.revision + 1;
  }

  txn(request: TxnRequest): TxnResult {
    const conflicts: string[] = [];
    for (const c of request.compare) {
      if ((this.entries.get(c.key)?.version ?? 0) !== c.version) conflicts.push(c.key);
    }
    if (conflicts.length > 0) return { ok: false, revision: this.revision, conflicts };
    if (request.ops.length === 0) return { ok: true, revision: this.revision };
    // One revision per transaction, like etcd: every key it writes shares it.
    const revision = ++this.revision;
    const changes: Change[] = [];
    for (const op of request.ops) {
      if (op.type === "put") {
        const value = freezeCopy(op.value);
        const name = bucketOf(op.key);
        let bucket = this.#buckets.get(name);
        if (bucket === undefined) {
          this.#buckets.set(name, (bucket = new SortedKeys()));
          this.#bucketNames = undefined;
        }
        bucket.put(op.key, this.entries.has(op.key));
        this.entries.set(op.key, { value, version: revision });
        changes.push({ revision, key: op.key, value, type: "put" });
      } else if (this.entries.delete(op.key)) {
        this.#buckets.get(bucketOf(op.key))?.delete(op.key);
        changes.push({ revision, key: op.key, value: undefined, type: "delete" });
      }
    }
    for (const change of changes) this.history.push(change);
    // Trimmed in batches: shifting a 100k-entry array on every write would dominate the write cost.
    if (this.history.length > this.historyLimit + (this.historyLimit >> 2)) {
      this.history.splice(0, this.history.length - this.historyLimit);
    }
    for (const w of this.watchers) for (const change of changes) if (change.key.startsWith(w.prefix)) deliver(w, change);
    return { ok: true, revision };
  }
}

/** Watchers hear changes after the writing transaction returns, in revision order. */
function deliver(w: Watcher, change: Change): void {
  queueMicrotask(() => {
    if (!w.closed) w.onChange(change);
  });
}

class MemoryClient implements MemoryStore {
  readonly kind = "memory";
  readonly maxTxnOps = Number.POSITIVE_INFINITY;
  readonly #data: MemoryData;
  readonly #client: Client = { closed: false, watchers: new Set() };

  constructor(data: MemoryData) {
    this.#data = data;
  }

  connect(): MemoryStore {
    return new MemoryClient(this.#data);
  }

  #open(): void {
    if (this.#client.closed) throw new StoreClosedError();
  }

  async get(key: string): Promise<Versioned | undefined> {
    this.#open();
    const e = this.#data.entries.get(key);
    return e === undefined ? undefined : { key, value: e.value, version: e.version };
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.#open();
    const { entries } = this.#data;
    const items: Versioned[] = [];
    const { startAfter, limit = Infinity } = options;
    for (const keys of this.#data.sortedKeys(prefix)) {
      let i = lowerBound(keys, prefix);
      if (startAfter !== undefined && startAfter >= prefix) {
        i = lowerBound(keys, startAfter);
        if (keys[i] === startAfter) i++;
      }
      for (; i < keys.length && items.length < limit; i++) {
        const key = keys[i]!;
        if (!key.startsWith(prefix)) break;
        const e = entries.get(key);
        // A key deleted since the last merge is still in the sorted array.
        if (e === undefined) continue;
        items.push({ key, value: e.value, version: e.version });
      }
      if (items.length >= limit) break;
    }
    return { items, revision: this.#data.revision };
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    this.#open();
    return this.#data.txn(request);
  }

  async revision(): Promise<number> {
    this.#open();
    return this.#data.revision;
  }

  watch(prefix: string, fromRevision: number, onChange: (change: Change) => void, onError?: (error: Error) => void): WatchHandle {
    const data = this.#data;
    const w: Watcher = { prefix, onChange, closed: false };
    const close = (): void => {
      w.closed = true;
      data.watchers.delete(w);
      this.#client.watchers.delete(w);
    };
    if (this.#client.closed) {
      queueMicrotask(() => onError?.(new StoreClosedError()));
      return { close };
    }
    if (fromRevision + 1 < data.oldestKept() && fromRevision < data.revision) {
      const error = new CompactedError(fromRevision, data.oldestKept());
      queueMicrotask(() => onError?.(error));
      return { close };
    }
    // History is queued before the watcher joins, so live changes follow it in order.
    for (const change of data.history) {
      if (change.revision > fromRevision && change.key.startsWith(prefix)) deliver(w, change);
    }
    data.watchers.add(w);
    this.#client.watchers.add(w);
    return { close };
  }

  campaign(election: string, candidate: string, options: { ttlMs: number; signal?: AbortSignal }): Promise<Leadership> {
    return new Promise<Leadership>((resolve, reject) => {
      if (this.#client.closed) return reject(new StoreClosedError());
      const { signal } = options;
      if (signal?.aborted) return reject(signal.reason);
      const e = this.#election(election);
      const entry: Candidate = {
        candidate,
        client: this.#client,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.#lead(election, candidate));
        },
      };
      const onAbort = (): void => {
        const i = e.queue.indexOf(entry);
        if (i >= 0) e.queue.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      e.queue.push(entry);
      this.#promoteNext(election);
    });
  }

  async leader(election: string): Promise<string | undefined> {
    this.#open();
    return this.#data.elections.get(election)?.holder?.candidate;
  }

  async ping(): Promise<boolean> {
    return !this.#client.closed;
  }

  async close(): Promise<void> {
    if (this.#client.closed) return;
    this.#client.closed = true;
    for (const w of this.#client.watchers) {
      w.closed = true;
      this.#data.watchers.delete(w);
    }
    for (const [name, e] of this.#data.elections) {
      for (let i = e.queue.length - 1; i >= 0; i--) if (e.queue[i]!.client === this.#client) e.queue.splice(i, 1);
      if (e.holder?.client === this.#client) {
        const lost = e.holder;
        e.holder = undefined;
        lost.controller.abort(new StoreClosedError());
        this.#promoteNext(name);
      }
    }
  }

  #election(name: string): Election {
    let e = this.#data.elections.get(name);
    if (e === undefined) {
      e = { holder: undefined, queue: [] };
      this.#data.elections.set(name, e);
    }
    return e;
  }

  #promoteNext(name: string): void {
    const e = this.#election(name);
    if (e.holder !== undefined) return;
    const next = e.queue.shift();
    if (next === undefined) return;
    e.holder = { candidate: next.candidate, client: next.client, controller: new AbortController() };
    next.grant();
  }

  #lead(name: string, candidate: string): Leadership {
    const e = this.#election(name);
    const holder = e.holder!;
    return {
      signal: holder.controller.signal,
      candidate,
      resign: async () => {
        if (e.holder !== holder) return;
        e.holder = undefined;
        holder.controller.abort(new Error(`${candidate} resigned leadership of ${name}`));
        this.#promoteNext(name);
      },
    };
  }
}

/**
 * An in-memory {@link RegistryStore}: for tests, the simulator and single-process
 * demos. Transactions are atomic and linearizable; values are stored as frozen
 * JSON copies; watch replays the kept history then follows live changes.
 *
 * @example
 * const store = makeMemoryStore();
 * await store.txn({ compare: [{ key: "a", version: 0 }], ops: [{ type: "put", key: "a", value: 1 }] });
 * (await store.get("a"))?.version; // 1
 */
export function makeMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryClient(new MemoryData(options.historyLimit ?? 100_000));
}
