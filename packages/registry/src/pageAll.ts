import type { Page } from "./types/mutation.ts";

/**
 * Every page of a paged registry read, in order, following `nextCursor`
 * until a page has none; `readPage` gets `undefined` for the first page.
 * The first page's revision is the oldest read: resuming the change feed
 * there replays whatever later pages already saw, which is harmless.
 *
 * @example
 * for await (const page of pageAll((cursor) => registry.listPeers(principal, { limit: 500, ...(cursor === undefined ? {} : { cursor }) }))) {
 *   for (const peer of page.items) console.log(peer.id);
 * }
 */
export async function* pageAll<T>(readPage: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<Page<T>, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await readPage(cursor);
    yield page;
    cursor = page.nextCursor;
  } while (cursor !== undefined && cursor !== "");
}
