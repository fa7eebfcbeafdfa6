import type { ControlClient } from "../client.ts";
import type { DrainStatus, RegistryChange } from "../types.ts";
import type { DrainDisplay } from "./display.ts";

export interface FollowOptions {
  readonly client: ControlClient;
  readonly peers: readonly string[];
  /** Store revision to follow the event feed from, read before the drains were requested, so no change is missed. */
  readonly since: number | undefined;
  readonly display: DrainDisplay;
  /** Ctrl-C: stop following; the drains go on server-side. */
  readonly signal: AbortSignal;
  /** Safety net if the event feed is cut: re-read every status this often. Default 5 s. */
  readonly pollMs?: number;
}

export const isSettled = (s: DrainStatus): boolean => s.status !== "draining";

/**
 * Waits until every peer's drain is drained, failed or gone, showing progress.
 * The event feed says when something changed; the status itself is always
 * read from GET /control/peers/{id}/drain, so the CLI never re-derives it.
 * Resolves with the last status of each peer (fewer when aborted).
 */
export async function followDrains(o: FollowOptions): Promise<DrainStatus[]> {
  const latest = new Map<string, DrainStatus>();
  const wanted = new Set(o.peers);
  const feed = new AbortController();
  const stopFeed = (): void => feed.abort();
  o.signal.addEventListener("abort", stopFeed, { once: true });

  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const done = (): boolean => o.peers.every((p) => latest.has(p) && isSettled(latest.get(p)!));

  const refresh = async (peer: string): Promise<void> => {
    if (feed.signal.aborted) return;
    const { body } = await o.client.call<DrainStatus>("GET", `/control/peers/${encodeURIComponent(peer)}/drain`, { signal: feed.signal });
    latest.set(peer, body);
    o.display.update(body);
    if (done()) settle();
  };

  let failure: unknown;
  const fail = (e: unknown): void => {
    if (feed.signal.aborted) return;
    failure = e;
    settle();
  };

  const listen = (async () => {
    for await (const ev of o.client.events({ kinds: ["peer"], ...(o.since === undefined ? {} : { since: o.since }), signal: feed.signal })) {
      const change = ev.data as RegistryChange;
      if (wanted.has(change.id)) await refresh(change.id);
    }
  })().catch(fail);

  const poll = setInterval(() => {
    for (const p of o.peers) void refresh(p).catch(fail);
  }, o.pollMs ?? 5000);

  try {
    await Promise.all(o.peers.map((p) => refresh(p)));
    if (!done()) await Promise.race([settled, new Promise<void>((r) => o.signal.addEventListener("abort", () => r(), { once: true }))]);
  } finally {
    clearInterval(poll);
    feed.abort();
    o.signal.removeEventListener("abort", stopFeed);
    await listen;
    o.display.stop();
  }
  if (failure !== undefined && !o.signal.aborted) throw failure;
  return o.peers.flatMap((p) => (latest.has(p) ? [latest.get(p)!] : []));
}
