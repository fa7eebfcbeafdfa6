/**
 * One node's place in a pooled DNS name: `pool` (e.g. `web.example.test`)
 * carries every serving node's addresses; `node` (e.g. `web-1.example.test`)
 * carries this node's alone and is never removed, so operators and health
 * checks still reach a drained node by name.
 */
// @ts-nocheck

export interface DnsPoolEntry {
  readonly pool: string;
  readonly node: string;
  /** IPv4 and/or IPv6 addresses: A and AAAA records. */
  readonly addresses: readonly string[];
  /** TTL of records written. Default: the provider's. */
  readonly ttl?: number;
}

/**
 * The DNS pool port: takes a node's addresses out of a pooled name and puts
 * them back. Both calls are idempotent (withdrawing twice, or restoring a
 * node already in the pool, changes nothing), so a caller may simply repeat
 * them after a failure. {@link makeRfc2136Provider} implements it with
 * dynamic updates; a cloud DNS API would be another adapter.
 *
 * @example
 * await provider.withdraw({ pool: "web.example.test", node: "web-1.example.test", addresses: ["10.0.0.1"] });
 */
export interface DnsPoolProvider {
  /** Human-readable kind, e.g. "rfc2136". */
  readonly kind: string;
  /** Removes the node's addresses from the pooled name; its per-node record stays. */
  withdraw(entry: DnsPoolEntry): Promise<void>;
  /** Adds the node's addresses to the pooled name and makes sure its per-node record exists. */
  restore(entry: DnsPoolEntry): Promise<void>;
  close(): Promise<void>;
}
