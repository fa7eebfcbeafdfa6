// What an operator waits on locally: rendering a big fleet and verifying a long audit chain.
// One JSON line per figure; nothing here asserts on time.
import { createHash } from "node:crypto";
import { figure } from "@drainkit/bench";
import { canonicalJson, GENESIS_HASH, verifyChain } from "../src/audit/verifyChain.ts";
import { peerTable } from "../src/commands/peers.ts";
import { renderTable } from "../src/output.ts";
import type { Peer } from "../src/types.ts";

const fleet = (n: number): Peer[] => Array.from({ length: n }, (_, i) => ({
  id: `node-${String(i).padStart(4, "0")}`,
  address: `10.0.${i >> 8}.${i & 255}:8080`,
  pools: [`pool-${i % 8}`],
  roles: ["edge", "ingest"],
  labels: { zone: `z${i % 3}` },
  spec: { cordons: {} },
  status: { roles: {}, inFlight: { http: i % 7 }, workloads: { owners: 2, children: 4 }, epoch: 0, heartbeatAt: 0 },
  phase: "active",
  epoch: 0,
  version: 1,
}));
const peers = fleet(1000);
const peers10k = fleet(10_000);
/** Runs one heavy call `n` times (after one warm-up); calls per second. */
function rate(fn: () => void, n: number): number {
  fn();
  const start = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (n * 1000) / (performance.now() - start);
}

const table = rate(() => void renderTable(peerTable(peers, 0)), 5);
figure("cli.render.peers-1000-table", table, "renders/s", { baseline: rate(() => void JSON.stringify({ items: peers }, null, 2), 5) });
// The budget: 10,000 peers within 50 ms at a terminal's width (printed as ms per render; the baseline is JSON of the same page).
/** Median of `n` timed runs (after one warm-up), in ms: a shared machine's noise moves the mean more than the median. */
const ms = (fn: () => void, n: number): number => {
  fn();
  const times = Array.from({ length: n }, () => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  }).sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
};
figure("cli.render.peers-10000-table-120cols", ms(() => void renderTable(peerTable(peers10k, 0), { width: 120 }), 9), "ms/render", {
  baseline: ms(() => void JSON.stringify({ items: peers10k }, null, 2), 9),
  target: 50,
});

const entries: Record<string, unknown>[] = [];
let prevHash = GENESIS_HASH;
for (let seq = 1; seq <= 10_000; seq++) {
  const content = { seq, id: `a${seq}`, at: seq, actor: "admin", action: "drain", target: `peer/n${seq % 100}`, outcome: "ok", latencyMs: 1, prevHash };
  const hash = createHash("sha256").update(canonicalJson(content)).digest("hex");
  entries.push({ ...content, hash });
  prevHash = hash;
}
figure("cli.audit.verify-entries", rate(() => void verifyChain(entries), 3) * entries.length, "entries/s");

// `drainctl peers list` of 10,000 peers from a real server, streamed page by page: seconds of setup, so behind a switch.
if (process.env["DRAINKIT_BENCH_LIST"] === "1") await import("./peersList.ts");
