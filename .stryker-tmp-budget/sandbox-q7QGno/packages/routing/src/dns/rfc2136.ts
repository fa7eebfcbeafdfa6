// @ts-nocheck
import { systemClock, systemRandom, type Clock, type Random } from "@drainkit/core";
import { DnsUpdateError } from "../errors.ts";
import type { DnsPoolEntry, DnsPoolProvider } from "./DnsPoolProvider.ts";
import { exchange, type DnsServer } from "./transport.ts";
import { addressRecord, CLASS, decodeResponse, encodeUpdate, rcodeName, signTsig, type ResourceRecord, type TsigKey } from "./wire.ts";

/** Options of {@link makeRfc2136Provider}. */
export interface Rfc2136Options {
  /** The primary server that accepts updates for `zone`. */
  readonly server: DnsServer;
  /** The zone the pooled and per-node names live in, e.g. `example.test`. */
  readonly zone: string;
  /** The TSIG key the server's `update-policy` / `allow-update` grants (HMAC-SHA256). */
  readonly key: TsigKey;
  /** TTL of records added, seconds. Default 30: short, so a withdrawal takes effect soon. */
  readonly ttl?: number;
  /** Wait for each answer. Default 3 000 ms. */
  readonly timeoutMs?: number;
  /** For TSIG's time-signed and timeouts; the system clock by default (the server checks the time within its fudge). */
  readonly clock?: Clock;
  /** For message ids; seeded from the OS by default. */
  readonly random?: Random;
}

/**
 * A {@link DnsPoolProvider} that sends RFC 2136 dynamic updates signed with
 * TSIG (HMAC-SHA256) to a primary such as BIND 9. `withdraw` deletes the
 * node's A/AAAA records from the pooled name only; `restore` adds them back
 * and (re)adds the per-node record. Adding an existing record or deleting an
 * absent one is a no-op in RFC 2136, so both calls are idempotent. The
 * server's TSIG on the reply is checked, so a forged "NOERROR" is refused.
 *
 * @example
 * const dns = makeRfc2136Provider({
 *   server: { host: "127.0.0.1", port: 53 },
 *   zone: "example.test",
 *   key: { name: "drainkit", secret: process.env.TSIG_SECRET! },
 * });
 * await dns.withdraw({ pool: "web.example.test", node: "web-1.example.test", addresses: ["10.0.0.1"] });
 */
export function makeRfc2136Provider(options: Rfc2136Options): DnsPoolProvider {
  const clock = options.clock ?? systemClock();
  const random = options.random ?? systemRandom();
  const ttl = options.ttl ?? 30;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const inZone = (name: string): string => {
    const n = name.replace(/\.$/, "").toLowerCase();
    const z = options.zone.replace(/\.$/, "").toLowerCase();
    if (n !== z && !n.endsWith(`.${z}`)) throw new RangeError(`"${name}" is not in zone "${options.zone}"; name a record inside the zone the provider updates`);
    return n;
  };

  async function send(updates: readonly ResourceRecord[], what: string): Promise<void> {
    const id = random.int(0, 0xffff);
    const { signed, mac } = signTsig(encodeUpdate(id, options.zone, updates), options.key, Math.floor(clock.now() / 1000));
    let response;
    try {
      response = decodeResponse(await exchange(options.server, signed, clock, timeoutMs), options.key, mac);
      if (response.truncated) response = decodeResponse(await exchange({ ...options.server, transport: "tcp" }, signed, clock, timeoutMs), options.key, mac);
    } catch (e) {
      if (e instanceof DnsUpdateError) throw e;
      throw new DnsUpdateError("malformed", `The server's reply to ${what} could not be read; check that ${options.server.host}:${options.server.port} is a DNS server.`, { cause: e });
    }
    const tsigError = response.tsig?.error ?? 0;
    if (response.rcode === 9 || tsigError !== 0) {
      const rcode = rcodeName(tsigError !== 0 ? tsigError : response.rcode);
      throw new DnsUpdateError("tsig", `The server rejected the TSIG signature of ${what} (${rcode}); check the key name and secret match the server's, and that clocks agree.`, { rcode });
    }
    if (response.tsig === undefined || !response.tsig.verified) {
      throw new DnsUpdateError("tsig", `The reply to ${what} is not signed with our key; it may be forged or from another server. Check the server address.`);
    }
    if (response.rcode !== 0) {
      const rcode = rcodeName(response.rcode);
      throw new DnsUpdateError("refused", `The server refused ${what} with ${rcode}; check that the key may update zone "${options.zone}" (update-policy / allow-update).`, { rcode });
    }
  }

  return {
    kind: "rfc2136",
    async withdraw(entry: DnsPoolEntry): Promise<void> {
      const pool = inZone(entry.pool);
      const updates = entry.addresses.map((a) => ({ name: pool, class: CLASS.NONE, ttl: 0, ...addressRecord(a) }));
      if (updates.length > 0) await send(updates, `withdrawing ${entry.node} from ${pool}`);
    },
    async restore(entry: DnsPoolEntry): Promise<void> {
      const pool = inZone(entry.pool);
      const node = inZone(entry.node);
      const t = entry.ttl ?? ttl;
      const updates = entry.addresses.flatMap((a) => {
        const rr = addressRecord(a);
        return [
          { name: pool, class: CLASS.IN, ttl: t, ...rr },
          { name: node, class: CLASS.IN, ttl: t, ...rr },
        ];
      });
      if (updates.length > 0) await send(updates, `restoring ${entry.node} to ${pool}`);
    },
    close: () => Promise.resolve(),
  };
}
