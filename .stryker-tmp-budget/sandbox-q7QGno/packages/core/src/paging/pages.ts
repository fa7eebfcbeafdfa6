/** One page of a paged listing, as every `/control` list and every registry list read answers it. */
// @ts-nocheck

export interface PageOf<T> {
  readonly items: readonly T[];
  /** Present while more pages follow. */
  readonly nextCursor?: string | undefined;
  readonly revision?: number;
}

/**
 * Every page of a paged listing, in order, following `nextCursor` until a
 * page has none. `fetchPage` is called with `undefined` for the first page.
 * The one paging loop of drainkit: the client pages the remote API with it,
 * the control plane's controllers page the in-process registry.
 *
 * @example
 * for await (const page of pages((cursor) => registry.listPeers(principal, { limit: 500, ...(cursor === undefined ? {} : { cursor }) }))) {
 *   for (const peer of page.items) console.log(peer.id);
 * }
 */
export async function* pages<T, P extends PageOf<T> = PageOf<T>>(fetchPage: (cursor: string | undefined) => Promise<P>): AsyncGenerator<P, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield page;
    cursor = page.nextCursor;
  } while (cursor !== undefined && cursor !== "");
}
