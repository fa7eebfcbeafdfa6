// @ts-nocheck
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSseParser, type SseMessage } from "../src/index.ts";
import { seed } from "./seed.ts";

const parseAll = (chunks: readonly (string | Uint8Array)[], retries: number[] = []): SseMessage[] => {
  const out: SseMessage[] = [];
  const parse = createSseParser((m) => out.push(m), { onRetry: (ms) => retries.push(ms) });
  for (const c of chunks) parse(c);
  return out;
};

const STREAM =
  "retry: 1000\n: resuming after revision 4\n\n" +
  'id: 5\nevent: peer\ndata: {"revision":5}\n\n' +
  ": heartbeat\n\n" +
  "id: 6\r\nevent: audit\r\ndata: line one\r\ndata: line two\r\n\r\n" +
  "data: bare\rdata: cr\r\r" +
  'event: reconnect\nretry: 1500\ndata: {"reason":"draining"}\n\n';

// Written out by hand from the WHATWG event-stream rules, not by running a parser.
const EXPECTED: SseMessage[] = [
  { event: "peer", data: '{"revision":5}', id: "5" },
  { event: "audit", data: "line one\nline two", id: "6" },
  { event: "message", data: "bare\ncr" },
  { event: "reconnect", data: '{"reason":"draining"}' },
];

/** Cuts `whole` at the given offsets (deduplicated, in order). */
function cut<T extends string | Uint8Array>(whole: T, offsets: readonly number[]): T[] {
  const at = [...new Set(offsets.map((o) => o % (whole.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((from, i) => whole.slice(from, at[i] ?? whole.length) as T);
}

describe("createSseParser", () => {
  it("reads ids, event names, multi-line data and retry hints; skips comments and data-less blocks; accepts LF, CR and CRLF", () => {
    const retries: number[] = [];
    expect(parseAll([STREAM], retries)).toEqual(EXPECTED);
    expect(retries).toEqual([1000, 1500]);
  });

  it("gives the same messages however the text is cut into chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: STREAM.length }), { maxLength: 20 }), (cuts) => {
        expect(parseAll(cut(STREAM, cuts))).toEqual(EXPECTED);
      }),
      { seed, numRuns: 300 },
    );
  });

  it("waits for the blank line before dispatching", () => {
    expect(parseAll(['id: 7\nevent: peer\ndata: {"a":1}\n'])).toEqual([]);
  });

  it("decodes a multi-byte character whose bytes arrive in two chunks", () => {
    const bytes = new TextEncoder().encode('id: 1\nevent: peer\ndata: {"reason":"café ☕"}\n\n');
    const e = bytes.indexOf(0xc3); // first byte of "é" (0xC3 0xA9)
    expect(parseAll([bytes.slice(0, e + 1), bytes.slice(e + 1)])).toEqual([{ id: "1", event: "peer", data: '{"reason":"café ☕"}' }]);
  });

  it("gives the same messages however the bytes of any text are cut, with LF, CR or CRLF line ends", () => {
    const message = fc.record({ id: fc.option(fc.nat(), { nil: undefined }), event: fc.constantFrom("peer", "audit", "rollout"), data: fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !/[\r\n]/.test(s)) });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 8 }), fc.constantFrom("\n", "\r", "\r\n"), fc.array(fc.nat(), { maxLength: 12 }), (messages, eol, cuts) => {
        const text = messages.map((m) => `${m.id === undefined ? "" : `id: ${m.id}${eol}`}event: ${m.event}${eol}data: ${m.data}${eol}${eol}`).join("");
        const want = messages.map((m) => ({ event: m.event, data: m.data, ...(m.id === undefined ? {} : { id: String(m.id) }) }));
        expect(parseAll(cut(new TextEncoder().encode(text), cuts))).toEqual(want);
      }),
      { seed, numRuns: 300 },
    );
  });
});
