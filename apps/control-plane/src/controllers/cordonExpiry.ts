import { pages, type Clock, type Logger } from "@drainkit/core";
import type { DrainWriter, PeerReader, Principal } from "@drainkit/registry";
import { startSweeper } from "./startSweeper.ts";

/** Settings of {@link startCordonExpiry}. */
export interface CordonExpiryOptions {
  /** Reads peers to find expired cordons and lifts them: nothing else of the registry. */
  readonly registry: PeerReader & DrainWriter;
  readonly clock: Clock;
  readonly principal: Principal;
  readonly logger: Logger;
  /** How often to sweep. Default 5 s. */
  readonly intervalMs?: number;
}

/**
 * The expiry sweeper: removes cordons whose `expiresAt` has passed. Expired
 * cordons already stop counting when read; the sweep makes that visible in
 * the spec, the event feed and the audit log. Each removal carries an
 * idempotency key from peer, owner and placement time, so overlapping
 * leaders write it once.
 */
export function startCordonExpiry(options: CordonExpiryOptions): { stop(): void } {
  const { registry, clock, principal, logger } = options;
  return startSweeper({
    clock,
    logger,
    intervalMs: options.intervalMs ?? 5000,
    what: "cordon expiry sweep",
    round: async (stopped) => {
      for await (const page of pages((cursor) => registry.listPeers(principal, { limit: 500, ...(cursor ? { cursor } : {}) }))) {
        for (const peer of page.items) {
          for (const [owner, cordon] of Object.entries(peer.spec.cordons)) {
            if (stopped() || cordon.expiresAt === undefined || cordon.expiresAt > clock.now()) continue;
            await registry.uncordon(principal, peer.id, { owner }, { idempotencyKey: `cordon-expiry:${peer.id}:${owner}:${cordon.at}`, reason: "cordon expired" });
            logger.info({ peer: peer.id, owner }, "expired cordon removed");
          }
        }
        if (stopped()) break;
      }
    },
  });
}
