// @ts-nocheck
import { backoff, DEFAULT_BACKOFF, type BackoffPolicy, type Clock, type Random } from "@drainkit/core";
import { defaultClock, defaultRandom } from "./defaults.ts";
import { ControlPlaneError, HistoryLostError } from "./errors.ts";
import { problemError, unreachableError } from "./problemError.ts";
import { createSseParser, type SseMessage } from "./createSseParser.ts";
import type { ChangeKind } from "./types.ts";

/** Connection state of an event stream: `streaming` once the server answered, `down` between attempts. */
export type StreamState = "streaming" | "down";

/** Which part of `/control/events` to follow: the watch filter the server applies. */
export interface WatchFilter {
  /** Kinds of change to receive. Default every kind. */
  readonly kinds?: readonly ChangeKind[] | readonly string[];
  /**
   * Follow one peer (`?peer=`): peer changes of other peers and moves neither
   * from nor to it are not sent; other kinds are unchanged. An agent may
   * only name its own peer.
   */
  readonly peer?: string;
}

/** Settings of {@link streamEvents}. */
export interface EventStreamOptions extends WatchFilter {
  /** Base URL of the control plane (`http://127.0.0.1:7400`, or `""` for the page's own origin). */
  readonly url: string;
  /** Bearer token; none sends no Authorization header. */
  readonly token?: string | undefined;
  /** Resume after this revision (sent as `Last-Event-ID`); none starts from now. */
  readonly lastEventId?: number | string | undefined;
  readonly signal: AbortSignal;
  /** Told whenever the stream goes up or down. */
  readonly onState?: (state: StreamState, error?: unknown) => void;
  /** Waits between failed attempts; default 200 ms doubling to 5 s, jittered. The server's `retry:` hint does not override it. */
  readonly backoff?: BackoffPolicy;
  /** Give up (throw the last error) after this many failed attempts in a row. Default never. */
  readonly giveUpAfter?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
  readonly clock?: Clock;
  readonly random?: Random;
}

/** Events the server sends to steer the stream; they end it and are not changes. */
const CONTROL_EVENTS = new Set(["reconnect", "overflow"]);

/**
 * Follows `/control/events` until `signal` aborts, as one async stream of
 * messages: reconnects after every end or break with `Last-Event-ID` set to
 * the last id seen, so no change is lost or repeated; an end the server chose
 * (`event: reconnect`) reconnects at once, a failure waits a jittered backoff
 * on the injected clock. Throws {@link HistoryLostError} on `event: reset`
 * (re-read, then follow from a fresh revision) and a {@link ControlPlaneError}
 * for an answer not worth retrying (401, 403, 404) or after `giveUpAfter`
 * failures. Runs on `fetch`, so it works in a browser too.
 *
 * @example
 * const signal = AbortSignal.timeout(60_000);
 * for await (const m of streamEvents({ url: "http://127.0.0.1:7400", token, lastEventId: 0, kinds: ["peer"], signal })) {
 *   console.log(m.id, m.event, JSON.parse(m.data));
 * }
 */
export async function* streamEvents(options: EventStreamOptions): AsyncGenerator<SseMessage, void, undefined> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const clock = options.clock ?? defaultClock();
  const random = options.random ?? defaultRandom();
  const policy = options.backoff ?? DEFAULT_BACKOFF;
  const base = options.url.replace(/\/+$/, "");
  const query = new URLSearchParams({
    ...(options.kinds === undefined ? {} : { kinds: options.kinds.join(",") }),
    ...(options.peer === undefined ? {} : { peer: options.peer }),
  }).toString();
  const url = `${base}/control/events${query === "" ? "" : `?${query}`}`;
  const outer = options.signal;
  let last = options.lastEventId === undefined ? undefined : String(options.lastEventId);
  let attempt = 0;

  while (!outer.aborted) {
    // Our own controller, so leaving the loop (a consumer's break or throw) also closes the connection.
    const connection = new AbortController();
    const stop = (): void => connection.abort(outer.reason);
    outer.addEventListener("abort", stop, { once: true });
    let failure: unknown;
    try {
      let res: Response;
      try {
        res = await doFetch(url, {
          headers: {
            accept: "text/event-stream",
            ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
            ...(last === undefined ? {} : { "last-event-id": last }),
            ...options.headers,
          },
          signal: connection.signal,
          cache: "no-store",
        });
      } catch (cause) {
        if (outer.aborted) return;
        throw unreachableError(base, "GET /control/events", cause);
      }
      if (!res.ok || res.body === null) {
        throw problemError(res.status, await res.text().catch(() => ""), "GET /control/events");
      }
      attempt = 0;
      options.onState?.("streaming");
      const reader = res.body.getReader();
      const received: SseMessage[] = [];
      const parse = createSseParser((m) => received.push(m));
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (cause) {
            if (outer.aborted) return;
            throw unreachableError(base, "GET /control/events (stream)", cause);
          }
          if (chunk.done) break;
          parse(chunk.value);
          while (received.length > 0) {
            const m = received.shift()!;
            if (m.event === "reset") throw new HistoryLostError(m.data);
            if (CONTROL_EVENTS.has(m.event)) continue;
            // Several changes share one revision; resuming after it is still exact because the server never cuts a stream inside one.
            if (m.id !== undefined) last = m.id;
            yield m;
            if (outer.aborted) return;
          }
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
    } catch (error) {
      if (outer.aborted) return;
      if (error instanceof HistoryLostError || (error instanceof ControlPlaneError && !error.retryable)) {
        options.onState?.("down", error);
        throw error;
      }
      failure = error;
    } finally {
      outer.removeEventListener("abort", stop);
      connection.abort();
    }
    options.onState?.("down", failure);
    if (failure !== undefined) {
      attempt++;
      if (options.giveUpAfter !== undefined && attempt > options.giveUpAfter) throw failure;
    }
    try {
      await backoff(attempt, policy, { clock, random, signal: outer });
    } catch {
      return;
    }
  }
}
