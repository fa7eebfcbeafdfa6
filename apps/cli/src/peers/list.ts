import { readAll } from "@drainkit/client";
import type { ControlClient } from "../client.ts";
import type { Page, Peer } from "../types.ts";

/** Every page of a peer listing, followed through `nextCursor`. */
export function listAllPeers(client: ControlClient, query: Record<string, string | number | undefined>): Promise<Page<Peer>> {
  return readAll(async (cursor) => (await client.call<Page<Peer>>("GET", "/control/peers", { query: { ...query, limit: 500, ...(cursor ? { cursor } : {}) } })).body);
}
