import type { Fence, RegistryStore, TxnRequest } from "@drainkit/registry";

/**
 * The store as one leader term sees it: every transaction carries the term's
 * fence, so once the term is over (even if this replica has not noticed yet)
 * the store refuses its writes with `fenced` instead of letting a stale
 * leader overwrite its successor's decisions. Without a fence (a store that
 * does not fence) it is the store itself.
 *
 * @example
 * const leaderRegistry = createRegistry({ store: fencedStore(store, term.fence), clock });
 */
export function fencedStore(store: RegistryStore, fence: Fence | undefined): RegistryStore {
  if (fence === undefined) return store;
  return {
    kind: store.kind,
    ...(store.maxTxnOps === undefined ? {} : { maxTxnOps: store.maxTxnOps }),
    get: (key) => store.get(key),
    list: (prefix, options) => store.list(prefix, options),
    txn: (request: TxnRequest) => store.txn({ ...request, fence }),
    revision: () => store.revision(),
    watch: (prefix, fromRevision, onChange, onError) => store.watch(prefix, fromRevision, onChange, onError),
    campaign: (election, candidate, options) => store.campaign(election, candidate, options),
    leader: (election) => store.leader(election),
    ping: () => store.ping(),
    // The term's view never owns the connection: closing it is the replica's business.
    close: async () => {},
  };
}
