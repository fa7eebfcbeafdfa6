// @ts-nocheck
// How fast the agent's SSE parser reads the change feed, beside a bare split
// on blank lines over the same bytes. Prints figures only.
import { figure } from "@drainkit/bench";
import { createSseParser } from "@drainkit/client";

const change = (i: number): string => `id: ${i}\nevent: peer\ndata: ${JSON.stringify({ revision: i, kind: "peer", id: `web-${i % 100}`, value: { id: `web-${i % 100}`, version: i, phases: { edge: "active" } } })}\n\n`;
const N = 100_000;
const text = Array.from({ length: N }, (_, i) => change(i + 1)).join("");
// Cut into 16 KiB chunks, as a socket would deliver them, so lines straddle chunks.
const chunks: string[] = [];
for (let i = 0; i < text.length; i += 16_384) chunks.push(text.slice(i, i + 16_384));

const time = (fn: () => number): { perSec: number; count: number } => {
  const t0 = performance.now();
  const count = fn();
  return { perSec: (count / (performance.now() - t0)) * 1000, count };
};
for (let warm = 0; warm < 2; warm++) {
  const baseline = time(() => text.split("\n\n").length - 1);
  const parsed = time(() => {
    let n = 0;
    const parse = createSseParser(() => n++);
    for (const c of chunks) parse(c);
    return n;
  });
  if (warm === 1) figure("agent.sse_parser.messages", parsed.perSec, "msgs/s", { baseline: baseline.perSec, baselineName: "split on blank lines", messages: parsed.count });
}
