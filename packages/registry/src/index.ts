export type {
  Versioned, Compare, TxnOp, TxnRequest, TxnResult, Change, ListResult, WatchHandle, Leadership, RegistryStore,
} from "./store.ts";
