import { randomUUID } from "node:crypto";
import { type TimerHandle, systemClock, systemRandom } from "@drainkit/core";
import type { Change, Fence, Leadership, ListOptions, ListResult, RegistryStore, TxnRequest, TxnResult, Versioned, WatchHandle } from "@drainkit/registry";
import { Etcd3, EtcdLeaseInvalidError, type ICompare, type IKeyValue, type IRequestOp, type IWatchResponse, type Lease, type Watcher } from "etcd3";
import { EtcdStoreError, classifyEtcdError } from "./errors.ts";
import { makeCaller } from "./caller.ts";
import type { EtcdStoreOptions } from "./EtcdStoreOptions.ts";

/** A {@link RegistryStore} on an etcd v3 cluster. */
export interface EtcdStore extends RegistryStore {
  readonly kind: "etcd";
  /** The key prefix this store owns. */
  readonly prefix: string;
  /**
   * Compacts etcd's history up to `revision` (the whole keyspace: etcd
   * compacts per cluster, not per prefix); watches from an older revision
   * then fail with `history-compacted` and re-list. A revision at or below
   * the last compaction is a no-op; one past the current revision is capped.
   */
  compact(revision: number): Promise<void>;
}

const decoder = new TextDecoder();

/** How long the txn markers of a replica that died without closing its store outlive it. */
const MARKER_TTL_SECONDS = 60;

/** The smallest key greater than every key starting with `prefix` (etcd's range_end for a prefix). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/**
 * Connects to etcd v3 and exposes it as a {@link RegistryStore}: keys under
 * `prefix`, a key's version is its `mod_revision`, the store revision is
 * etcd's header revision, compares are on `mod_revision` (version 0 = the key
 * does not exist), watches resume from a revision, and campaigns use a lease
 * that is kept alive while the process runs. Transient failures are retried
 * with backoff; what remains is mapped to {@link EtcdStoreError}s.
 *
 * A conditional transaction whose answer was lost (a timeout or a member
 * dying after the commit) and that was retried would fail its own compares;
 * a per-attempt marker key under `<prefix>txn/` recognises that case and
 * reports the success it was.
 *
 * @example
 * import { makeEtcdStore } from "@drainkit/store-etcd";
 * const store = makeEtcdStore({ hosts: ["http://127.0.0.1:2379"], prefix: "/drainkit/prod/" });
 * await store.txn({ compare: [{ key: "config", version: 0 }], ops: [{ type: "put", key: "config", value: {} }] });
 * const handle = store.watch("peers/", await store.revision(), (c) => console.log(c.type, c.key));
 * handle.close();
 * await store.close();
 */
export function makeEtcdStore(options: EtcdStoreOptions): EtcdStore {
  const prefix = options.prefix ?? "/drainkit/";
  const hosts = (typeof options.hosts === "string" ? options.hosts.split(",") : [...options.hosts]).map((h) => h.trim()).filter((h) => h !== "");
  if (hosts.length === 0) throw new TypeError("makeEtcdStore needs at least one etcd endpoint in hosts, e.g. http://127.0.0.1:2379");
  const hostsText = hosts.join(",");
  const clock = options.clock ?? systemClock();
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const retry = options.retry === false ? { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 } : options.retry ?? {};
  const attempts = Math.max(1, retry.attempts ?? 8);
  const baseDelayMs = retry.baseDelayMs ?? 50;
  const maxDelayMs = retry.maxDelayMs ?? 1000;
  const deadlineMs = options.deadlineMs;
  if (deadlineMs !== undefined && !(deadlineMs > 0)) throw new TypeError(`deadlineMs must be positive, not ${deadlineMs}`);

  const client = new Etcd3({
    hosts,
    dialTimeout: options.dialTimeoutMs ?? 5000,
    // Unary calls get a deadline so a partitioned member cannot hang a write;
    // streams (watch, lease keep-alive) must stay open.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
  });

  const dataPrefix = Buffer.from(`${prefix}kv/`);
  const electionRoot = `${prefix}election/`;
  const dataKey = (key: string): Buffer => Buffer.concat([dataPrefix, Buffer.from(key)]);
  const userKey = (raw: Buffer): string => decoder.decode(raw.subarray(dataPrefix.length));
  // Encoded, so election "a" never sees the keys of election "a/b".
  const electionPrefix = (election: string): Buffer => Buffer.from(`${electionRoot}${encodeURIComponent(election)}/`);

  let closed = false;
  const watchers = new Set<Watcher>();
  /** Leases of campaigns and leaderships, with what to do when the store closes under them. */
  const leases = new Map<Lease, (reason: Error) => void>();

  const ensureOpen = (): void => {
    if (closed) throw new EtcdStoreError("store-closed", "The etcd store was closed; open a new one with makeEtcdStore.");
  };

  const call = makeCaller({
    clock,
    random: options.random ?? systemRandom(),
    hosts: hostsText,
    attempts,
    baseDelayMs,
    maxDelayMs,
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
    ensureOpen,
    closed: () => closed,
  });

  // A conditional txn whose answer was lost (a timeout, a member dying after
  // commit) and that is then retried fails its own compares. To tell that
  // apart from a real conflict, every conditional txn also writes a unique
  // attempt id to a marker key. Each in-flight txn holds its own marker slot,
  // so concurrent txns never overwrite each other's marker.
  const instance = randomUUID();
  const markerRoot = `${prefix}txn/${instance}/`;
  const freeSlots: number[] = [];
  let slotCount = 0;
  const takeSlot = (): number => freeSlots.pop() ?? slotCount++;
  // Markers hang on a lease of this process, so those of a replica that dies
  // without closing its store vanish with the lease instead of piling up
  // under txn/ forever. A lost lease (a long partition) is granted anew.
  let markerLease: { readonly lease: Lease; readonly id: Promise<string> } | undefined;
  const markerLeaseId = (): Promise<string> => {
    if (markerLease === undefined) {
      const lease = client.lease(MARKER_TTL_SECONDS);
      const entry = { lease, id: lease.grant() };
      const forget = (): void => {
        if (markerLease === entry) markerLease = undefined;
      };
      lease.on("lost", forget);
      entry.id.catch(forget);
      markerLease = entry;
    }
    return markerLease.id;
  };
  const forgetMarkerLease = (): void => {
    markerLease?.lease.release();
    markerLease = undefined;
  };

  const decode = (kv: IKeyValue): Versioned => ({ key: userKey(kv.key), value: JSON.parse(decoder.decode(kv.value)) as unknown, version: Number(kv.mod_revision) });

  const headOfElection = async (election: string): Promise<IKeyValue | undefined> => {
    const key = electionPrefix(election);
    const res = await call(() => client.kv.range({ key, range_end: prefixEnd(key), sort_order: "Ascend", sort_target: "Create", limit: 1 }));
    return res.kvs[0];
  };

  const store: EtcdStore = {
    kind: "etcd",
    maxTxnOps: 128,
    prefix,

    async get(key: string): Promise<Versioned | undefined> {
      const res = await call(() => client.kv.range({ key: dataKey(key) }));
      const kv = res.kvs[0];
      return kv === undefined ? undefined : decode(kv);
    },

    async list(listPrefix: string, options: ListOptions = {}): Promise<ListResult> {
      const start = dataKey(listPrefix);
      const end = prefixEnd(start);
      const items: Versioned[] = [];
      const limit = options.limit === undefined ? Infinity : Math.max(1, Math.floor(options.limit));
      // Page through large ranges, pinned to the first page's revision so the
      // listing is one snapshot.
      const pageSize = 500;
      let from: Buffer =
        options.startAfter !== undefined && options.startAfter >= listPrefix ? Buffer.concat([dataKey(options.startAfter), Buffer.from([0])]) : start;
      let revision: number | undefined;
      for (;;) {
        const pinned = revision;
        const page = Math.min(pageSize, limit - items.length);
        const res = await call(() => client.kv.range({ key: from, range_end: end, limit: page, ...(pinned === undefined ? {} : { revision: pinned }) }));
        revision ??= Number(res.header.revision);
        for (const kv of res.kvs) items.push(decode(kv));
        const last = res.kvs.at(-1);
        if (!res.more || last === undefined || items.length >= limit) break;
        from = Buffer.concat([last.key, Buffer.from([0])]);
      }
      return { items, revision };
    },

    async txn(request: TxnRequest): Promise<TxnResult> {
      // etcd refuses a txn that names a key twice; the last op on a key decides its final state anyway.
      const lastOp = new Map<string, TxnRequest["ops"][number]>();
      for (const op of request.ops) {
        lastOp.delete(op.key);
        lastOp.set(op.key, op);
      }
      const success: IRequestOp[] = [...lastOp.values()].map((op): IRequestOp =>
        op.type === "put"
          ? { request_put: { key: dataKey(op.key), value: Buffer.from(JSON.stringify(op.value) ?? "null") } }
          : { request_delete_range: { key: dataKey(op.key) } },
      );
      const compare: ICompare[] = request.compare.map((c) =>
        c.version === 0
          ? { key: dataKey(c.key), target: "Create", result: "Equal", create_revision: 0 }
          : { key: dataKey(c.key), target: "Mod", result: "Equal", mod_revision: c.version },
      );
      // On failure, read the compared keys back so the caller learns which differed.
      const failure: IRequestOp[] = request.compare.map((c) => ({ request_range: { key: dataKey(c.key), keys_only: true } }));
      const fence = request.fence;
      if (fence !== undefined) {
        // The campaign's election key still exists with the create revision it had when it won: the writer still leads.
        const holder = Buffer.from(fence.holder);
        compare.push({ key: holder, target: "Create", result: "Equal", create_revision: fence.revision });
        failure.push({ request_range: { key: holder, keys_only: true } });
      }
      if (compare.length === 0) {
        const res = await call(() => client.kv.txn({ compare, success, failure }));
        return { ok: true, revision: Number(res.header.revision) };
      }
      const slot = takeSlot();
      // A txn abandoned at the deadline may still commit later and write this
      // slot's marker, so the slot is not handed to another txn.
      let abandoned = false;
      try {
        const marker = Buffer.from(`${markerRoot}${slot}`);
        const attemptId = Buffer.from(randomUUID());
        success.push({ request_put: { key: marker, value: attemptId } });
        failure.push({ request_range: { key: marker } });
        const markerPut = success.at(-1)!.request_put!;
        // Retries happen here and inside etcd3; either way only this attempt's
        // own commit can have left its id in the marker.
        const res = await call(
          async () => {
            markerPut.lease = await markerLeaseId();
            try {
              return await client.kv.txn({ compare, success, failure });
            } catch (error) {
              // etcd refuses the whole txn when the marker's lease expired: take a new lease and send it again.
              if (!(error instanceof EtcdLeaseInvalidError)) throw error;
              forgetMarkerLease();
              markerPut.lease = await markerLeaseId();
              return await client.kv.txn({ compare, success, failure });
            }
          },
          () => {
            abandoned = true;
          },
        );
        const revision = Number(res.header.revision);
        if (res.succeeded) return { ok: true, revision };
        const mark = res.responses[compare.length]?.response_range.kvs[0];
        if (mark !== undefined && mark.value.equals(attemptId)) return { ok: true, revision: Number(mark.mod_revision) };
        if (fence !== undefined && Number(res.responses[request.compare.length]?.response_range.kvs[0]?.create_revision ?? 0) !== fence.revision) {
          throw new EtcdStoreError(
            "fenced",
            `This replica no longer leads "${fence.election}" (its campaign of revision ${fence.revision} is gone), so etcd refused its write; the current leader decides now.`,
            { details: { election: fence.election, revision: fence.revision } },
          );
        }
        const conflicts = request.compare
          .filter((c, i) => Number(res.responses[i]?.response_range.kvs[0]?.mod_revision ?? 0) !== c.version)
          .map((c) => c.key);
        return { ok: false, revision, conflicts };
      } finally {
        if (!abandoned) freeSlots.push(slot);
      }
    },

    async revision(): Promise<number> {
      const res = await call(() => client.kv.range({ key: dataPrefix, count_only: true }));
      return Number(res.header.revision);
    },

    async compact(revision: number): Promise<void> {
      const current = Number((await call(() => client.kv.range({ key: dataPrefix, count_only: true }))).header.revision);
      const target = Math.min(Math.floor(revision), current);
      if (!(target > 0)) return;
      try {
        await call(() => client.kv.compact({ revision: String(target), physical: false }));
      } catch (e) {
        // Already compacted at or past `target` (another replica, an operator): nothing left to do.
        if ((e as { code?: string }).code === "history-compacted") return;
        throw e;
      }
    },

    watch(watchPrefix: string, fromRevision: number, onChange: (change: Change) => void, onError?: (error: Error) => void): WatchHandle {
      ensureOpen();
      let done = false;
      const key = dataKey(watchPrefix);
      // Highest revision fully delivered; a resumed stream can repeat a response.
      let delivered = Math.max(0, fromRevision);
      // Listeners are attached below, before the stream can deliver anything.
      const w = client.watch().inRange({ start: key, end: prefixEnd(key) }).startRevision(String(delivered + 1)).watcher();
      watchers.add(w);
      const fail = (error: Error): void => {
        if (done) return;
        done = true;
        watchers.delete(w);
        void w.cancel().catch(() => undefined);
        onError?.(error);
      };
      const onData = (res: IWatchResponse): void => {
        if (done) return;
        let revision = delivered;
        for (const ev of res.events) {
          const r = Number(ev.kv.mod_revision);
          if (r <= delivered) continue;
          revision = Math.max(revision, r);
          const change: Change =
            ev.type === "Put"
              ? { revision: r, key: userKey(ev.kv.key), value: JSON.parse(decoder.decode(ev.kv.value)) as unknown, type: "put" }
              : { revision: r, key: userKey(ev.kv.key), value: undefined, type: "delete" };
          try {
            onChange(change);
          } catch (error) {
            onError?.(error instanceof Error ? error : new Error(String(error)));
          }
          if (done) return;
        }
        delivered = revision;
      };
      const onWatchError = (error: Error): void => {
        // A cancelled watch does not say why; asking for the first revision it
        // needed tells a compaction apart from other failures.
        void client.kv
          .range({ key: dataPrefix, count_only: true, revision: delivered + 1 })
          .then(
            () => classifyEtcdError(error, hostsText),
            (probe: unknown) => {
              const typed = classifyEtcdError(probe, hostsText);
              return (typed as EtcdStoreError).code === "history-compacted" ? typed : classifyEtcdError(error, hostsText);
            },
          )
          .then(fail, () => fail(classifyEtcdError(error, hostsText)));
      };
      w.on("data", onData);
      w.on("error", onWatchError);
      return {
        close: () => {
          done = true;
          watchers.delete(w);
          void w.cancel().catch(() => undefined);
        },
      };
    },

    async campaign(election: string, candidate: string, campaignOptions: { ttlMs: number; signal?: AbortSignal }): Promise<Leadership> {
      const { ttlMs, signal } = campaignOptions;
      if (!(ttlMs > 0)) throw new TypeError(`ttlMs must be positive, not ${ttlMs}`);
      signal?.throwIfAborted();
      ensureOpen();
      // etcd leases count whole seconds (and raise very short TTLs to its own minimum).
      const ttlSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
      const lease = client.lease(ttlSeconds);
      const controller = new AbortController();
      let expiry: TimerHandle | undefined;
      let retired: Promise<void> | undefined;
      // A lease this process no longer counts as its own must not live on:
      // etcd3 would keep it alive once etcd answers again, its key would stay
      // at the head of the election and nobody would ever be elected (the
      // wedge of issue #23). Keep-alives stop at once (revoke() releases the
      // lease first); the revoke itself is best effort, and if it never
      // arrives the lease expires one TTL after etcd is back.
      const retire = (): Promise<void> => (retired ??= call(() => lease.revoke()).catch(() => undefined));
      const lost = (reason: Error): void => {
        leases.delete(lease);
        if (expiry !== undefined) clock.clearTimer(expiry);
        expiry = undefined;
        lease.release();
        if (!controller.signal.aborted) controller.abort(reason);
        void retire();
      };
      // etcd3 keeps retrying keep-alives through a partition and only reports
      // the loss once it reaches etcd again, by when another candidate may
      // lead. So give up on our own once keep-alives stop arriving: two missed
      // (they go out every third of the TTL) is well before etcd expires it.
      let keepAliveBudgetMs = (ttlSeconds * 1000 * 3) / 4;
      const armExpiry = (grantedTtlSeconds = 0): void => {
        if (controller.signal.aborted) return;
        // etcd may have raised the TTL to its minimum; it answers with the real one.
        keepAliveBudgetMs = (Math.max(ttlSeconds, grantedTtlSeconds) * 1000 * 3) / 4;
        if (expiry !== undefined) clock.clearTimer(expiry);
        expiry = clock.setTimer(keepAliveBudgetMs, () =>
          lost(
            new EtcdStoreError("leadership-lost", `No keep-alive of the lease behind "${election}" reached etcd for ${keepAliveBudgetMs} ms; another candidate may lead now, campaign again.`, {
              details: { election, candidate },
            }),
          ),
        );
      };
      lease.on("keepaliveSucceeded", (res) => armExpiry(Number(res.TTL) || 0));
      leases.set(lease, lost);
      let fence: Fence | undefined;
      lease.on("lost", (error) =>
        lost(new EtcdStoreError("leadership-lost", `The lease behind "${election}" was lost (${error.message}); campaign again.`, { cause: error, details: { election, candidate } })),
      );
      const giveUp = async (): Promise<void> => {
        leases.delete(lease);
        if (expiry !== undefined) clock.clearTimer(expiry);
        expiry = undefined;
        await retire();
      };
      try {
        const id = await call(() => lease.grant());
        armExpiry();
        const ownKey = Buffer.concat([electionPrefix(election), Buffer.from(BigInt(id).toString(16))]);
        const put = await call(() => client.kv.put({ key: ownKey, value: Buffer.from(candidate), lease: id }));
        // The key is new (its name is the fresh lease id), so the put's revision is its create revision: the fencing token.
        fence = { election, holder: ownKey.toString(), revision: Number(put.header.revision) };
        // The oldest key under the election leads; everyone else waits for a key to go.
        for (;;) {
          signal?.throwIfAborted();
          if (controller.signal.aborted) throw controller.signal.reason;
          const head = await headOfElection(election);
          if (head === undefined) throw new EtcdStoreError("leadership-lost", `The campaign key for "${election}" vanished (its lease expired); campaign again.`, { details: { election, candidate } });
          if (Buffer.compare(head.key, ownKey) === 0) break;
          await new Promise<void>((resolve, reject) => {
            const w = client.watch().key(head.key).startRevision(String(Number(head.mod_revision) + 1)).only("delete").watcher();
            watchers.add(w);
            const finish = (then: () => void): void => {
              watchers.delete(w);
              signal?.removeEventListener("abort", onAbort);
              controller.signal.removeEventListener("abort", onLost);
              void w.cancel().catch(() => undefined);
              then();
            };
            const onAbort = (): void => finish(() => reject(signal?.reason));
            const onLost = (): void => finish(() => reject(controller.signal.reason));
            signal?.addEventListener("abort", onAbort, { once: true });
            controller.signal.addEventListener("abort", onLost, { once: true });
            w.on("delete", () => finish(resolve));
            // Errors (including compaction of the start revision) just mean: look again.
            w.on("error", () => finish(resolve));
          });
        }
      } catch (error) {
        await giveUp();
        throw error;
      }
      return {
        signal: controller.signal,
        candidate,
        ...(fence === undefined ? {} : { fence }),
        resign: async () => {
          lost(new EtcdStoreError("leadership-lost", `Resigned leadership of "${election}".`, { details: { election, candidate, resigned: true } }));
          await retire();
        },
      };
    },

    async leader(election: string): Promise<string | undefined> {
      const head = await headOfElection(election);
      return head === undefined ? undefined : decoder.decode(head.value);
    },

    async ping(): Promise<boolean> {
      if (closed) return false;
      try {
        await client.kv.range({ key: dataPrefix, count_only: true }, { deadline: Date.now() + Math.min(requestTimeoutMs, 2000) });
        return true;
      } catch {
        return false;
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      for (const w of watchers) void w.cancel().catch(() => undefined);
      watchers.clear();
      // Hand leases back so successors need not wait for them to expire.
      const held = [...leases];
      for (const [, lost] of held) lost(new EtcdStoreError("leadership-lost", "The store holding this leadership was closed.", {}));
      await Promise.all(held.map(([l]) => l.revoke({ deadline: Date.now() + 1000 }).catch(() => undefined)));
      leases.clear();
      if (markerLease !== undefined) await markerLease.lease.revoke({ deadline: Date.now() + 1000 }).catch(() => undefined);
      if (slotCount > 0) {
        const root = Buffer.from(markerRoot);
        await client.kv.deleteRange({ key: root, range_end: prefixEnd(root) }, { deadline: Date.now() + 1000 }).catch(() => undefined);
      }
      closed = true;
      client.close();
    },
  };
  return store;
}
