/** One page of a paged listing, as every `/control` list answers it. */
export interface PageOf<T> {
  readonly items: readonly T[];
  /** Present while more pages follow. */
  readonly nextCursor?: string | undefined;
  readonly revision?: number;
}

/**
 * Every page of a paged listing, in order, following `nextCursor` until a
 * page has none. `fetchPage` is called with `undefined` for the first page.
 *
 * @example
 * for await (const page of pages((cursor) => client.listPeers({ limit: 500, ...(cursor === undefined ? {} : { cursor }) }))) {
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

/**
 * Every item of a paged listing, and the revision of its first page: the
 * safe revision to follow the event stream from, since changes after it are
 * replayed and none is missed.
 *
 * @example
 * const { items, revision } = await readAll((cursor) => client.listPeers({ limit: 500, ...(cursor === undefined ? {} : { cursor }) }));
 */
export async function readAll<T>(fetchPage: (cursor: string | undefined) => Promise<PageOf<T>>): Promise<{ readonly items: T[]; readonly revision: number }> {
  const items: T[] = [];
  let revision: number | undefined;
  for await (const page of pages(fetchPage)) {
    revision ??= page.revision;
    items.push(...page.items);
  }
  return { items, revision: revision ?? 0 };
}
