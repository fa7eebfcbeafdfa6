/**
 * Server-Sent Events over fetch(). EventSource cannot send an Authorization
 * header, so the dashboard reads `/control/events` as a stream, parses it
 * here, and resumes with Last-Event-ID after a break.
 */

/** One message of the stream (comments and empty messages are dropped). */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
  readonly retry?: number;
}

/** An incremental parser: feed it chunks as they arrive, get the complete messages back. */
export interface SseParser {
  push(chunk: string): SseMessage[];
}

/**
 * Parses the `text/event-stream` format (WHATWG HTML § 9.2.6): lines end in
 * LF, CR or CRLF, `:` starts a comment, `data` lines join with LF, a blank
 * line dispatches. Chunks may split anywhere, even between CR and LF.
 *
 * @example
 * const parser = createSseParser();
 * parser.push("id: 7\nevent: peer\nda"); // []
 * parser.push("ta: {}\n\n"); // [{ id: "7", event: "peer", data: "{}" }]
 */
export function createSseParser(): SseParser {
  let buffer = "";
  let data: string[] = [];
  let event = "";
  let id: string | undefined;
  let retry: number | undefined;
  let skipLf = false;
  const line = (text: string, out: SseMessage[]): void => {
    if (text === "") {
      if (data.length > 0 || retry !== undefined) {
        if (data.length > 0) out.push({ event: event || "message", data: data.join("\n"), ...(id !== undefined ? { id } : {}), ...(retry !== undefined ? { retry } : {}) });
        else out.push({ event: "retry", data: "", retry: retry! });
      }
      data = [];
      event = "";
      retry = undefined;
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id" && !value.includes("\0")) id = value;
    else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
  };
  return {
    push(chunk) {
      const out: SseMessage[] = [];
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (skipLf) {
          skipLf = false;
          if (c === "\n") {
            start = i + 1;
            continue;
          }
        }
        if (c === "\n" || c === "\r") {
          line(buffer.slice(start, i), out);
          start = i + 1;
          if (c === "\r") skipLf = true;
        }
      }
      buffer = buffer.slice(start);
      return out;
    },
  };
}

/** Settings of {@link followEvents}. */
export interface FollowOptions {
  /** e.g. `http://127.0.0.1:7400/control/events` (or a relative URL in the browser). */
  readonly url: string;
  readonly token: string;
  /** Resume after this revision. */
  readonly lastEventId: number;
  readonly onMessage: (message: SseMessage) => void;
  /** Connected (true) or broken and retrying (false). */
  readonly onStatus?: (connected: boolean, detail: string) => void;
  /** The server lost our history: re-list and call again from the listing's revision. */
  readonly onReset?: () => void;
  readonly signal: AbortSignal;
  readonly fetch?: typeof fetch;
  /** Waits `ms` (tests shorten it). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Follows the event feed until `signal` aborts: reconnects after any break
 * with the last id seen (so nothing is lost or repeated), waits the server's
 * `retry:` hint (doubling up to 10 s while it keeps failing), and stops on a
 * `reset` (history lost), leaving the re-listing to the caller.
 */
export async function followEvents(options: FollowOptions): Promise<void> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const sleep = options.sleep ?? pause;
  let last = options.lastEventId;
  let retryMs = 1000;
  let failures = 0;
  while (!options.signal.aborted) {
    let why = "stream ended";
    try {
      const res = await doFetch(options.url, {
        headers: { authorization: `Bearer ${options.token}`, accept: "text/event-stream", "last-event-id": String(last) },
        signal: options.signal,
        cache: "no-store",
      });
      if (!res.ok || !res.body) {
        why = `HTTP ${res.status}`;
        if (res.status === 401 || res.status === 403) {
          options.onStatus?.(false, `${why}: the token was refused`);
          return;
        }
      } else {
        failures = 0;
        options.onStatus?.(true, "live");
        const parser = createSseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const m of parser.push(value)) {
            if (m.retry !== undefined) retryMs = m.retry;
            if (m.event === "retry") continue;
            if (m.event === "reset") {
              options.onStatus?.(false, "history lost; reloading");
              options.onReset?.();
              return;
            }
            if (m.event === "reconnect" || m.event === "overflow") {
              why = m.event;
              continue;
            }
            if (m.id !== undefined && /^\d+$/.test(m.id)) last = Number(m.id);
            options.onMessage(m);
          }
        }
      }
    } catch (e) {
      if (options.signal.aborted) return;
      why = e instanceof Error ? e.message : String(e);
    }
    if (options.signal.aborted) return;
    failures++;
    options.onStatus?.(false, `reconnecting (${why})`);
    await sleep(Math.min(10_000, retryMs * 2 ** Math.max(0, failures - 1)), options.signal);
  }
}
