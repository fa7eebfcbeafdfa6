import type { ControlClient } from "../client.ts";
import type { Page, Peer } from "../types.ts";

/** Every page of a peer listing, followed through `nextCursor`. */
export async function listAllPeers(client: ControlClient, query: Record<string, string | number | undefined>): Promise<Page<Peer>> {
  const items: Peer[] = [];
  let cursor: string | undefined;
  let revision = 0;
  for (;;) {
    const { body } = await client.call<Page<Peer>>("GET", "/control/peers", { query: { ...query, limit: 500, ...(cursor ? { cursor } : {}) } });
    if (revision === 0) revision = body.revision;
    items.push(...body.items);
    if (body.nextCursor === undefined) break;
    cursor = body.nextCursor;
  }
  return { items, revision };
}
