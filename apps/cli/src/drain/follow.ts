import type { ControlClient } from "../client.ts";
import { CliError, EXIT, ProblemError } from "../errors.ts";
import type { DrainStatus, MoveChange, RegistryChange, WorkloadMove } from "../types.ts";
import type { DrainDisplay } from "./display.ts";
import { countMoves, mergeMove, type MoveCounts } from "./moves.ts";

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

/** A followed drain's last status, with its workload moves when the control plane reports them. */
export type DrainProgress = DrainStatus & { readonly moves?: MoveCounts };

export const isSettled = (s: DrainStatus): boolean => s.status !== "draining";

/**
 * True when the moves API is not there to ask: a control plane from before
 * workload moves (404), or `--grpc` alone to one from before the move RPCs.
 * Progress then shows what it showed before, without moves.
 */
function movesUnavailable(e: unknown): boolean {
  if (e instanceof ProblemError) return e.status === 404 || e.status === 405;
  return e instanceof CliError && e.exitCode === EXIT.usage;
}

/**
 * Waits until every peer's drain is drained, failed or gone, showing progress.
 * The event feed says when something changed; the status itself is always
 * read from GET /control/peers/{id}/drain, so the CLI never re-derives it.
 * Workload moves come from GET /control/moves?peer=<id>, kept current by the
 * feed's `move` events, and are counted per drain (its peer and epoch).
 * Resolves with the last status of each peer (fewer when aborted).
 */
export async function followDrains(o: FollowOptions): Promise<DrainProgress[]> {
  const latest = new Map<string, DrainStatus>();
  const wanted = new Set(o.peers);
  /** Every move from or to each followed peer, newest generation of each. */
  const moves = new Map<string, Map<string, WorkloadMove>>(o.peers.map((p) => [p, new Map()]));
  let movesKnown = true;
  const feed = new AbortController();
  const stopFeed = (): void => feed.abort();
  o.signal.addEventListener("abort", stopFeed, { once: true });

  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const done = (): boolean => o.peers.every((p) => latest.has(p) && isSettled(latest.get(p)!));

  const countsOf = (peer: string): MoveCounts | undefined => {
    const s = latest.get(peer);
    return !movesKnown || s === undefined ? undefined : countMoves(moves.get(peer)!.values(), peer, s.epoch);
  };
  const show = (peer: string): void => {
    const s = latest.get(peer);
    if (s !== undefined) o.display.update(s, countsOf(peer));
  };

  const refresh = async (peer: string): Promise<void> => {
    if (feed.signal.aborted) return;
    const { body } = await o.client.call<DrainStatus>("GET", `/control/peers/${encodeURIComponent(peer)}/drain`, { signal: feed.signal });
    latest.set(peer, body);
    show(peer);
    if (done()) settle();
  };

  const refreshMoves = async (peer: string): Promise<void> => {
    if (feed.signal.aborted || !movesKnown) return;
    const { body } = await o.client.call<{ items: readonly WorkloadMove[] }>("GET", "/control/moves", { query: { peer }, signal: feed.signal });
    const known = moves.get(peer)!;
    let changed = false;
    for (const m of body.items) changed = mergeMove(known, m) || changed;
    if (changed) show(peer);
  };

  let failure: unknown;
  const fail = (e: unknown): void => {
    if (feed.signal.aborted) return;
    failure = e;
    settle();
  };

  // Ask once whether moves can be read at all; the feed then carries them too.
  try {
    await refreshMoves(o.peers[0]!);
  } catch (e) {
    if (!movesUnavailable(e)) throw e;
    movesKnown = false;
  }
  if (movesKnown) await Promise.all(o.peers.slice(1).map((p) => refreshMoves(p)));

  const listen = (async () => {
    const filter = movesKnown ? { kinds: ["peer", "move"], ...(o.peers.length === 1 ? { peer: o.peers[0]! } : {}) } : { kinds: ["peer"] };
    for await (const ev of o.client.events({ ...filter, ...(o.since === undefined ? {} : { since: o.since }), signal: feed.signal })) {
      const change = ev.data as RegistryChange | MoveChange;
      if (change.kind === "move") {
        const m = change.value as WorkloadMove | undefined;
        if (m === undefined) continue;
        for (const p of new Set([m.from, m.to])) if (wanted.has(p) && mergeMove(moves.get(p)!, m)) show(p);
      } else if (change.kind === "peer" && wanted.has(change.id)) await refresh(change.id);
    }
  })().catch(fail);

  const poll = setInterval(() => {
    for (const p of o.peers) void Promise.all([refresh(p), refreshMoves(p)]).catch(fail);
  }, o.pollMs ?? 5000);

  try {
    await Promise.all(o.peers.map((p) => refresh(p)));
    if (!done()) await Promise.race([settled, new Promise<void>((r) => o.signal.addEventListener("abort", () => r(), { once: true }))]);
    // The summary counts every move of the drain, including any the feed had not yet delivered when it settled.
    if (failure === undefined && !o.signal.aborted) await Promise.all(o.peers.map((p) => refreshMoves(p)));
  } finally {
    clearInterval(poll);
    feed.abort();
    o.signal.removeEventListener("abort", stopFeed);
    await listen;
    o.display.stop();
  }
  if (failure !== undefined && !o.signal.aborted) throw failure;
  return o.peers.flatMap((p) => {
    const s = latest.get(p);
    if (s === undefined) return [];
    const counts = countsOf(p);
    return [counts === undefined ? s : { ...s, moves: counts }];
  });
}
