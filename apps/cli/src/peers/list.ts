import { readAll } from "@drainkit/client";
import type { ControlClient } from "../client.ts";
import { renderTable, tableWidths, type TableLayout } from "../output.ts";
import type { Page, Peer } from "../types.ts";
import { peerTable } from "./table.ts";

/** Peers per request of a listing: the server's pages are read one after another, never the fleet at once. */
export const PEER_PAGE = 500;

type PeerQuery = Record<string, string | number | undefined>;

/** One page of a peer listing: `limit` peers from `cursor` on, and the cursor of the next page when there is one. */
export async function peerPage(client: ControlClient, query: PeerQuery, limit: number, cursor?: string): Promise<Page<Peer>> {
  return (await client.call<Page<Peer>>("GET", "/control/peers", { query: { ...query, limit, ...(cursor ? { cursor } : {}) } })).body;
}

/** Every page of a peer listing, followed through `nextCursor` (for `-o json` and friends: the whole list, in one document). */
export function listAllPeers(client: ControlClient, query: PeerQuery): Promise<Page<Peer>> {
  return readAll((cursor) => peerPage(client, query, PEER_PAGE, cursor));
}

/**
 * The peer table printed page by page as the server sends them: the heading
 * and the column widths come with the first page, each later page's rows are
 * written as soon as it arrives, so the first rows of a 10,000-peer fleet show
 * after one page, and memory holds one page, not the fleet. Returns the number
 * of peers printed.
 */
export async function streamPeerTable(client: ControlClient, query: PeerQuery, layout: TableLayout, write: (text: string) => void, now = Date.now()): Promise<number> {
  let widths: number[] | undefined;
  let printed = 0;
  let cursor: string | undefined;
  do {
    const page = await peerPage(client, query, PEER_PAGE, cursor);
    if (page.items.length > 0) {
      const view = peerTable(page.items, now);
      if (widths === undefined) {
        widths = tableWidths(view, layout);
        write(renderTable(view, { ...layout, widths }));
      } else write(renderTable(view, { ...layout, widths, header: false }));
      printed += page.items.length;
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return printed;
}
