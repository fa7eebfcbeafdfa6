import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { createSseParser, type SseMessage } from "../src/index.ts";

const parseAll = (chunks: readonly string[]): SseMessage[] => {
  const out: SseMessage[] = [];
  const parse = createSseParser((m) => out.push(m));
  for (const c of chunks) parse(c);
  return out;
};

const STREAM =
  "retry: 1000\n: resuming after revision 4\n\n" +
  'id: 5\nevent: peer\ndata: {"revision":5}\n\n' +
  ": heartbeat\n\n" +
  "id: 6\r\nevent: audit\r\ndata: line one\r\ndata: line two\r\n\r\n" +
  'event: reconnect\nretry: 1000\ndata: {"reason":"draining"}\n\n';

const EXPECTED: SseMessage[] = [
  { event: "message", data: "", retry: 1000 },
  { event: "peer", data: '{"revision":5}', id: "5" },
  { event: "audit", data: "line one\nline two", id: "6" },
  { event: "reconnect", data: '{"reason":"draining"}', retry: 1000 },
];

describe("createSseParser", () => {
  it("reads ids, event names, multi-line data and retry hints; skips comments; accepts CRLF", () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it("gives the same messages however the bytes are cut into chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: STREAM.length }), { maxLength: 20 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => STREAM.slice(from, at[i] ?? STREAM.length));
        expect(parseAll(chunks)).toEqual(EXPECTED);
      }),
      fcParams({ numRuns: 300 }),
    );
  });

  it("waits for the blank line before dispatching", () => {
    expect(parseAll(['id: 7\nevent: peer\ndata: {"a":1}\n'])).toEqual([]);
  });
});
