// @ts-nocheck
import { isDrainkitError, noopMetrics, nullEventSink, silentLogger, type Clock, type EventSink, type Logger, type Metrics, type TimerHandle } from "@drainkit/core";
import type { Router } from "../Router.ts";
import type { RouteMember } from "../types.ts";
import type { DnsPoolEntry, DnsPoolProvider } from "./DnsPoolProvider.ts";

/** Events of a {@link DnsPoolSync}. */
export type DnsPoolSyncEvent =
  | { readonly type: "dns-pool-withdrawn"; readonly pool: string; readonly peer: string; readonly node: string }
  | { readonly type: "dns-pool-restored"; readonly pool: string; readonly peer: string; readonly node: string }
  | { readonly type: "dns-pool-sync-failed"; readonly pool: string; readonly peer: string; readonly code: string; readonly message: string; readonly retryInMs: number };

/** Options of {@link startDnsPoolSync}. */
export interface DnsPoolSyncOptions {
  readonly router: Router;
  readonly provider: DnsPoolProvider;
  readonly clock: Clock;
  /** The role whose routable set the pooled name follows. */
  readonly role: string;
  /** The pooled name, e.g. `web.example.test`. */
  readonly pool: string;
  /** A member's per-node name and addresses; undefined leaves the member out of DNS. */
  readonly entryOf: (member: RouteMember) => { readonly node: string; readonly addresses: readonly string[] } | undefined;
  /** Wait before retrying after the provider failed. Default 2 000 ms. */
  readonly retryDelayMs?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly events?: EventSink<DnsPoolSyncEvent>;
}

/** A running sync of one role's routable set into one pooled DNS name. */
export interface DnsPoolSync {
  /** Resolves once DNS matches the routable set as of now (every update applied). */
  settled(): Promise<void>;
  close(): void;
}

type Want = "in" | "out";

/**
 * Keeps a pooled DNS name in step with a role's routable set: a member that
 * leaves it (draining, drained, failed, gone) is withdrawn from the pooled
 * name at once, so resolvers stop sending it new clients while its existing
 * ones finish; its per-node record stays. A member that comes back (resume)
 * is restored. Updates run one at a time; a failed one is reported and retried
 * after `retryDelayMs`, since both provider calls are idempotent.
 *
 * @example
 * const sync = startDnsPoolSync({ router, provider, clock, role: "edge", pool: "web.example.test",
 *   entryOf: (m) => ({ node: `${m.id}.example.test`, addresses: [m.labels["ip"]!] }) });
 */
export function startDnsPoolSync(options: DnsPoolSyncOptions): DnsPoolSync {
  const { router, provider, clock, role, pool } = options;
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  const logger = options.logger ?? silentLogger;
  const events: EventSink<DnsPoolSyncEvent> = options.events ?? nullEventSink;
  const metrics = options.metrics ?? noopMetrics;
  const updates = metrics.counter("routing_dns_updates_total", "DNS pool updates applied, by kind");
  const failures = metrics.counter("routing_dns_update_failures_total", "DNS pool updates that failed and will be retried");

  const want = new Map<string, Want>();
  const applied = new Map<string, Want>();
  const entries = new Map<string, DnsPoolEntry>();
  const idle: (() => void)[] = [];
  let running = false;
  let retry: TimerHandle | undefined;
  let closed = false;

  const note = (member: RouteMember | undefined, id: string, routable: boolean): void => {
    if (member !== undefined) {
      const e = options.entryOf(member);
      if (e !== undefined) entries.set(id, { pool, node: e.node, addresses: e.addresses });
    }
    if (!entries.has(id)) return;
    want.set(id, routable ? "in" : "out");
  };

  const pending = (): string[] => [...want].filter(([id, w]) => applied.get(id) !== w).map(([id]) => id);

  const run = async (): Promise<void> => {
    if (running || closed || retry !== undefined) return;
    running = true;
    try {
      for (let ids = pending(); ids.length > 0 && !closed; ids = pending()) {
        const id = ids[0]!;
        const target = want.get(id)!;
        const entry = entries.get(id)!;
        try {
          if (target === "in") await provider.restore(entry);
          else await provider.withdraw(entry);
        } catch (e) {
          const code = isDrainkitError(e) ? e.code : "dns-update-error";
          const message = e instanceof Error ? e.message : String(e);
          failures.inc({ pool });
          events.emit({ type: "dns-pool-sync-failed", pool, peer: id, code, message, retryInMs: retryDelayMs });
          logger.warn({ pool, peer: id, code, error: message }, "DNS pool update failed; retrying");
          retry = clock.setTimer(retryDelayMs, () => {
            retry = undefined;
            void run();
          });
          return;
        }
        applied.set(id, target);
        updates.inc({ pool, kind: target === "in" ? "restore" : "withdraw" });
        events.emit({ type: target === "in" ? "dns-pool-restored" : "dns-pool-withdrawn", pool, peer: id, node: entry.node });
        if (target === "out" && router.member(role, id) === undefined) {
          // Gone from the source and out of DNS: nothing more to remember.
          want.delete(id);
          applied.delete(id);
          entries.delete(id);
        }
      }
    } finally {
      running = false;
    }
    if (pending().length === 0) for (const resolve of idle.splice(0)) resolve();
  };

  const routableNow = new Set(router.members(role).map((m) => m.id));
  for (const member of router.known(role)) note(member, member.id, routableNow.has(member.id));
  const unsubscribe = router.subscribe((change) => {
    if (change.role !== role) return;
    note(change.member, change.peer, change.routable);
    void run();
  });
  void run();

  return {
    settled() {
      if (pending().length === 0 && !running) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    close() {
      closed = true;
      unsubscribe();
      if (retry !== undefined) clock.clearTimer(retry);
      for (const resolve of idle.splice(0)) resolve();
    },
  };
}
