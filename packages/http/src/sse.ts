import type { ServerResponse } from "node:http";
import { passesWatchFilter, type ApprovalChange, type ChangeFilter, type MoveChange, type PlacementChange, type Registry, type RegistryChange, type RolloutChange } from "@drainkit/registry";

/** One change `/control/events` can carry. */
export type FeedChange = RegistryChange | RolloutChange | MoveChange | ApprovalChange;

/** What `/control/events` can carry: every registry change kind, plus rollouts, workload moves and staged approvals. */
export type EventKind = FeedChange["kind"];

/** Which changes one subscriber receives beside its kinds: the registry's {@link ChangeFilter}. */
export type FeedFilter = ChangeFilter;

/** True when `change` passes `filter`: the registry's one watch filter, which gRPC's `WatchEvents` applies too. */
export const passesFilter: (change: FeedChange, filter: FeedFilter) => boolean = passesWatchFilter;

/** Settings of the event feed. */
export interface EventFeedOptions {
  /** A comment line is sent this often so proxies keep the stream open. Default 15 s. */
  readonly heartbeatMs?: number;
  /**
   * Bytes a subscriber may have queued and unsent. Past it the stream is cut;
   * the client reconnects with Last-Event-ID and loses nothing, because the
   * replay comes from the store, not from this buffer. Default 1 MiB.
   */
  readonly maxBufferedBytes?: number;
  /** `retry:` hint sent to clients, in ms. Default 1000. */
  readonly retryMs?: number;
}

/** Why a stream ended, for metrics and logs. */
export type StreamEnd = "client-closed" | "overflow" | "draining" | "history-lost" | "server-closed";

/** Open streams of `/control/events`; the HTTP drain participant ends them on drain. */
export interface EventFeed {
  /** Streams currently open. */
  readonly open: number;
  /**
   * Serves one subscriber on `res` from `fromRevision` (exclusive). Resolves
   * when the stream ends.
   */
  serve(res: ServerResponse, fromRevision: number, kinds: ReadonlySet<EventKind> | undefined, filter?: FeedFilter): Promise<StreamEnd>;
  /** Tells every subscriber to reconnect elsewhere, then ends their streams. */
  closeAll(reason: "draining" | "server-closed"): void;
}

const FLUSH_GRACE_MS = 10_000;

/** Formats one SSE message; `data` never contains a raw newline because it is JSON. */
export function sseMessage(fields: { id?: number; event?: string; data: unknown; retry?: number }): string {
  let out = "";
  if (fields.retry !== undefined) out += `retry: ${fields.retry}\n`;
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event !== undefined) out += `event: ${fields.event}\n`;
  return `${out}data: ${JSON.stringify(fields.data)}\n\n`;
}

/**
 * The registry change feed as Server-Sent Events. Each subscriber gets its own
 * registry watch from its Last-Event-ID (event ids are store revisions), so a
 * reconnect resumes exactly where the client stopped, on any replica.
 *
 * @example
 * const feed = createEventFeed(registry, { heartbeatMs: 10_000 });
 * await feed.serve(reply.raw, lastEventId ?? currentRevision, undefined);
 */
export function createEventFeed(registry: Pick<Registry, "watch"> & Partial<Pick<Registry, "watchAll">>, options: EventFeedOptions = {}): EventFeed {
  // Rollout progress rides the same revision-ordered feed when the registry offers it.
  const watchAll = registry.watchAll?.bind(registry) ?? ((from: number, on: (c: FeedChange) => void, err?: (e: Error) => void) => registry.watch(from, on, err));
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
  const retryMs = options.retryMs ?? 1000;
  const streams = new Set<(reason: "draining" | "server-closed") => void>();
  // The registry hands every subscriber the same change object (memory and SQLite stores): it is serialised once for all.
  const messages = new WeakMap<object, string>();
  const messageOf = (change: FeedChange): string => {
    let text = messages.get(change);
    if (text === undefined) {
      text = sseMessage({ id: change.revision, event: change.kind, data: change });
      messages.set(change, text);
    }
    return text;
  };

  return {
    get open() {
      return streams.size;
    },
    serve(res, fromRevision, kinds, filter = {}) {
      return new Promise<StreamEnd>((resolve) => {
        let ended = false;
        const handle: { watch?: { close(): void } } = {};
        const finish = (why: StreamEnd, last?: string): void => {
          if (ended) return;
          ended = true;
          clearInterval(heartbeat);
          streams.delete(tell);
          handle.watch?.close();
          if (!res.destroyed) {
            const unsent = pending;
            pending = "";
            res.end(unsent + (last ?? ""));
            // What is already queued may flush; a reader that never drains it must not hold it forever.
            const guard = setTimeout(() => res.destroy(), FLUSH_GRACE_MS);
            guard.unref();
            res.once("close", () => clearTimeout(guard));
          }
          resolve(why);
        };
        // Several changes can share one revision (a peer and its audit entry), and
        // Last-Event-ID resumes *after* a revision: so a lagging stream is only cut
        // between revisions, never inside one.
        let lastRevision = -1;
        let behind = false;
        /** Messages written in this tick, sent together on the next. */
        let pending = "";
        const flush = (): void => {
          if (pending === "" || ended) return;
          const out = pending;
          pending = "";
          res.write(out);
        };
        const overflow = (): void =>
          finish("overflow", sseMessage({ event: "overflow", retry: retryMs, data: { reason: "overflow", detail: "You fell too far behind; reconnect with Last-Event-ID to resume without loss." } }));
        const write = (chunk: string, revision?: number): void => {
          if (ended) return;
          if (behind && revision !== lastRevision) {
            overflow();
            return;
          }
          if (revision !== undefined) lastRevision = revision;
          // Every message of one delivery (a revision's changes, a replay) leaves in one socket write, not one each.
          if (pending === "") process.nextTick(flush);
          pending += chunk;
          if (res.writableLength + pending.length > maxBuffered) behind = true;
        };
        const tell = (reason: "draining" | "server-closed"): void =>
          finish(reason, sseMessage({ event: "reconnect", retry: retryMs, data: { reason, detail: "This replica is going away; reconnect (to another replica) with Last-Event-ID." } }));
        streams.add(tell);

        res.writeHead(200, {
          // A stream ends only when the server wants the client elsewhere; never keep its socket for reuse.
          ...(res.req.httpVersionMajor === 1 ? { connection: "close" } : {}),
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache, no-transform",
          "x-accel-buffering": "no",
        });
        res.write(`retry: ${retryMs}\n: resuming after revision ${fromRevision}\n\n`);
        const heartbeat = setInterval(() => (behind ? overflow() : write(`: heartbeat\n\n`)), heartbeatMs);
        heartbeat.unref();
        res.on("close", () => finish("client-closed"));

        const watch = watchAll(
          fromRevision,
          (change: FeedChange | PlacementChange) => {
            // A placement can be hundreds of KB and changes with every move: readers fetch it (GET /control/peers/{id}/placement) instead.
            if (change.kind === "placement") return;
            if (kinds && !kinds.has(change.kind)) return;
            if (!passesFilter(change, filter)) return;
            write(messageOf(change), change.revision);
          },
          (error) => {
            // History before `fromRevision` is gone: the client must re-list, then follow from the listing's revision.
            finish("history-lost", sseMessage({ event: "reset", data: { reason: "history-lost", detail: `${error.message} Re-list with GET /control/peers and reconnect with Last-Event-ID set to its revision.` } }));
          },
        );
        // History can be replayed synchronously and end the stream before watch() returns.
        if (ended) watch.close();
        else handle.watch = watch;
      });
    },
    closeAll(reason) {
      for (const tell of [...streams]) tell(reason);
    },
  };
}
