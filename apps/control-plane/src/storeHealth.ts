import { isDrainkitError, type Clock } from "@drainkit/core";
import type { RegistryStore } from "@drainkit/registry";

/** What `/readyz` says about the store. */
export interface StoreStatus {
  readonly status: "ok" | "unreachable" | "writes-failing";
  /** The error code of the failing writes, e.g. `store-full`. */
  readonly error?: string;
  readonly detail?: string;
}

/** A store whose writes are watched; see {@link watchStoreWrites}. */
export interface WatchedStore {
  /** Use this one: it is the store, with every write's outcome noted. */
  readonly store: RegistryStore;
  /**
   * Reachable and writable now. While writes fail it writes a probe key
   * itself (the failing writes may not be retried by anyone), so readiness
   * comes back as soon as the store takes writes again.
   */
  status(): Promise<StoreStatus>;
}

// Failures of the store itself; a refused compare, a fenced or invalid request is the store working.
const STORE_FAILURES = new Set(["store-full", "store-unavailable", "store-busy", "store-closed", "store-corrupt", "store-error", "store-forbidden"]);

/**
 * Notes the outcome of every write so `/readyz` can fail while writes fail
 * (a full disk, an etcd over its quota) even though reads and pings answer.
 *
 * @example
 * const watched = watchStoreWrites(openStore(location), { clock, probeKey: `health/${replicaId}` });
 * const registry = createRegistry({ store: watched.store, clock });
 * await watched.status(); // { status: "ok" }
 */
export function watchStoreWrites(store: RegistryStore, options: { readonly clock: Clock; readonly probeKey: string }): WatchedStore {
  let failing: { code: string; message: string } | undefined;
  const note = (error: unknown): void => {
    if (isDrainkitError(error) && STORE_FAILURES.has(error.code)) failing = { code: error.code, message: error.message };
  };
  const watched: RegistryStore = {
    kind: store.kind,
    ...(store.maxTxnOps === undefined ? {} : { maxTxnOps: store.maxTxnOps }),
    get: (key) => store.get(key),
    list: (prefix, o) => store.list(prefix, o),
    txn: async (request) => {
      try {
        const result = await store.txn(request);
        failing = undefined;
        return result;
      } catch (error) {
        note(error);
        throw error;
      }
    },
    revision: () => store.revision(),
    watch: (prefix, from, onChange, onError) => store.watch(prefix, from, onChange, onError),
    campaign: (election, candidate, o) => store.campaign(election, candidate, o),
    leader: (election) => store.leader(election),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  return {
    store: watched,
    async status() {
      if (!(await store.ping().catch(() => false))) return { status: "unreachable" };
      if (failing !== undefined) {
        await watched.txn({ compare: [], ops: [{ type: "put", key: options.probeKey, value: { at: options.clock.now() } }] }).catch(() => undefined);
      }
      const now = failing;
      return now === undefined ? { status: "ok" } : { status: "writes-failing", error: now.code, detail: now.message };
    },
  };
}
