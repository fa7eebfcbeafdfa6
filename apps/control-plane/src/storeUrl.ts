import { resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DrainkitError } from "@drainkit/core";
import { makeEtcdStore, type EtcdStore } from "@drainkit/store-etcd";
import { makeSqliteStore, type SqliteStore } from "@drainkit/store-sqlite";

/** Where the registry lives, parsed from `--store`. */
export type StoreLocation =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "etcd"; readonly hosts: readonly string[]; readonly prefix: string };

/**
 * Parses `sqlite:./data/drainkit.db` or `etcd://host:2379[,host:2379…][/prefix]`.
 *
 * @example
 * parseStoreUrl("etcd://127.0.0.1:2379,127.0.0.1:22379/prod"); // { kind: "etcd", hosts: [...], prefix: "/prod/" }
 */
export function parseStoreUrl(url: string): StoreLocation {
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "") throw new DrainkitError("validation", "--store sqlite: needs a file path, e.g. sqlite:./data/drainkit.db");
    return { kind: "sqlite", path: path === ":memory:" ? path : resolve(path) };
  }
  if (url.startsWith("etcd://")) {
    const rest = url.slice("etcd://".length);
    const slash = rest.indexOf("/");
    const hostPart = slash === -1 ? rest : rest.slice(0, slash);
    const prefix = slash === -1 ? "/drainkit/" : `/${rest.slice(slash + 1).replace(/^\/+|\/+$/g, "")}/`;
    const hosts = hostPart.split(",").filter(Boolean).map((h) => `http://${h}`);
    if (hosts.length === 0 || !hosts.every((h) => /^http:\/\/[^/:]+:\d{1,5}$/.test(h))) {
      throw new DrainkitError("validation", `--store ${url}: expected etcd://host:port[,host:port…][/prefix]`);
    }
    return { kind: "etcd", hosts, prefix };
  }
  throw new DrainkitError("validation", `--store ${url}: use sqlite:<path> or etcd://host:port[,…]`);
}

/**
 * Opens the store a location names; the SQLite directory is created when
 * missing. `deadlineMs` bounds each etcd operation, retries included (the
 * API's store: a 503 before the client gives up); without it an operation
 * retries through an etcd election (the leader's controllers' store).
 */
export function openStore(location: StoreLocation, options: { readonly deadlineMs?: number } = {}): SqliteStore | EtcdStore {
  if (location.kind === "sqlite") {
    if (location.path !== ":memory:") mkdirSync(dirname(location.path), { recursive: true });
    return makeSqliteStore({ path: location.path });
  }
  const deadline = options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs, requestTimeoutMs: Math.min(5000, options.deadlineMs) };
  return makeEtcdStore({ hosts: [...location.hosts], prefix: location.prefix, ...deadline });
}
