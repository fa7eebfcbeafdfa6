// @ts-nocheck
import { pages, type PageOf } from "@drainkit/core";

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
