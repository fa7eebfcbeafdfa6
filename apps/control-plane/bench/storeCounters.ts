import type { RegistryStore } from "@drainkit/registry";

/** What a store did, counted from outside it: commits, the operations and JSON bytes they wrote, reads, and the time spent in each. */
export interface StoreCounters {
  txns: number;
  ops: number;
  bytes: number;
  txnMs: number;
  gets: number;
  lists: number;
  listedItems: number;
  readMs: number;
  /** JSON bytes written per key family (the part of the key before the first `/`). */
  readonly bytesByFamily: Map<string, number>;
}

/** `store`, counting every call (the same object, its methods wrapped), and the counters. */
export function countingStore<S extends RegistryStore>(store: S): { store: S; counters: StoreCounters } {
  const counters: StoreCounters = { txns: 0, ops: 0, bytes: 0, txnMs: 0, gets: 0, lists: 0, listedItems: 0, readMs: 0, bytesByFamily: new Map() };
  const txn = store.txn.bind(store);
  const get = store.get.bind(store);
  const list = store.list.bind(store);
  const own: Partial<RegistryStore> = {
    async txn(request) {
      const start = performance.now();
      try {
        return await txn(request);
      } finally {
        counters.txnMs += performance.now() - start;
        counters.txns++;
        counters.ops += request.ops.length;
        for (const op of request.ops) {
          if (op.type !== "put") continue;
          const b = JSON.stringify(op.value)?.length ?? 0;
          counters.bytes += b;
          const family = op.key.split("/", 1)[0]!;
          counters.bytesByFamily.set(family, (counters.bytesByFamily.get(family) ?? 0) + b);
        }
      }
    },
    async get(key) {
      const start = performance.now();
      try {
        return await get(key);
      } finally {
        counters.readMs += performance.now() - start;
        counters.gets++;
      }
    },
    async list(prefix, options) {
      const start = performance.now();
      try {
        const r = await list(prefix, options);
        counters.listedItems += r.items.length;
        return r;
      } finally {
        counters.readMs += performance.now() - start;
        counters.lists++;
      }
    },
  };
  // A proxy, not a copy: stores may be classes with private fields, so every other method runs on the store itself.
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === "txn" || prop === "get" || prop === "list") return own[prop];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, counters };
}
