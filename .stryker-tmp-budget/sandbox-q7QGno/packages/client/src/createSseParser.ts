// @ts-nocheck
import { createParser } from "eventsource-parser";

/** One Server-Sent Events message, as the WHATWG event-stream format defines it. */
export interface SseMessage {
  /** `event:` field; "message" when the server named none. */
  readonly event: string;
  /** `data:` lines joined with "\n". */
  readonly data: string;
  /** `id:` field of this message, when it had one. */
  readonly id?: string;
}

/** Callbacks of {@link createSseParser} besides the messages. */
export interface SseParserOptions {
  /** The server's `retry:` hint, ms. */
  readonly onRetry?: (ms: number) => void;
}

/**
 * An incremental event-stream parser on `eventsource-parser`: feed it the
 * response body's chunks as they arrive, bytes or text, cut anywhere (inside
 * a line, between CR and LF, inside a multi-byte UTF-8 character) and it
 * calls `onMessage` for each complete message. Comments (`: heartbeat`) and
 * blocks without data are not messages.
 *
 * @example
 * const parse = createSseParser((m) => console.log(m.event, m.id, JSON.parse(m.data)));
 * for await (const chunk of response.body) parse(chunk);
 */
export function createSseParser(onMessage: (message: SseMessage) => void, options: SseParserOptions = {}): (chunk: Uint8Array | string) => void {
  // One decoder for the whole stream: decoding each chunk alone would garble a character whose bytes span two chunks.
  const decoder = new TextDecoder("utf-8");
  const parser = createParser({
    onEvent: (m) => onMessage({ event: m.event ?? "message", data: m.data, ...(m.id === undefined ? {} : { id: m.id }) }),
    ...(options.onRetry === undefined ? {} : { onRetry: options.onRetry }),
  });
  return (chunk) => parser.feed(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
}
