/** One Server-Sent Events message, as the WHATWG event-stream format defines it. */
export interface SseMessage {
  /** `event:` field; "message" when the server named none. */
  readonly event: string;
  /** `data:` lines joined with "\n". */
  readonly data: string;
  /** `id:` field of this message, when it had one. */
  readonly id?: string;
  /** `retry:` hint in ms, when the message carried one. */
  readonly retry?: number;
}

/**
 * An incremental event-stream parser: feed it text chunks as they arrive (cut
 * anywhere, even inside a line) and it calls `onMessage` for each complete
 * message. Comments (`: heartbeat`) are skipped.
 *
 * @example
 * const parse = createSseParser((m) => console.log(m.event, m.id, JSON.parse(m.data)));
 * for await (const chunk of body) parse(chunk);
 */
export function createSseParser(onMessage: (message: SseMessage) => void): (chunk: string) => void {
  // Per parser: a regex with the g flag carries state (lastIndex).
  const EOL = /\r\n|\r|\n/g;
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  let retry: number | undefined;

  const dispatch = (): void => {
    if (data.length > 0 || id !== undefined || retry !== undefined) {
      onMessage({ event: event || "message", data: data.join("\n"), ...(id === undefined ? {} : { id }), ...(retry === undefined ? {} : { retry }) });
    }
    event = "";
    data = [];
    id = undefined;
    retry = undefined;
  };

  const line = (text: string): void => {
    if (text === "") return dispatch();
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
    else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
  };

  return (chunk) => {
    buffer += chunk;
    let start = 0;
    EOL.lastIndex = 0;
    for (let m = EOL.exec(buffer); m !== null; m = EOL.exec(buffer)) {
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (m[0] === "\r" && m.index === buffer.length - 1) break;
      line(buffer.slice(start, m.index));
      start = m.index + m[0].length;
    }
    buffer = buffer.slice(start);
  };
}
