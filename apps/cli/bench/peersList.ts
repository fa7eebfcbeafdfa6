// `drainctl peers list` of 10,000 peers against a real control plane (SQLite
// file, 127.0.0.1): the table streamed page by page as the command prints it
// (time to the first rows, and to the last), beside reading every page first
// and rendering the whole table at the end (what the command did before), in
// the same run. Prints figures; asserts nothing about time.
//
//   DRAINKIT_BENCH_LIST=1 tsx bench/index.ts     (from `pnpm bench`)
//   DRAINKIT_BENCH_LIST_PEERS=10000 tsx bench/peersList.ts
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { figure, median } from "@drainkit/bench";
import { startControlPlane } from "@drainkit/control-plane";
import { RestControlClient } from "../src/client.ts";
import { renderTable } from "../src/output.ts";
import { listAllPeers, streamPeerTable } from "../src/peers/list.ts";
import { peerTable } from "../src/peers/table.ts";

const TOKEN = "bench-admin-token-0123456789abcdef";
const PEERS = Number(process.env["DRAINKIT_BENCH_LIST_PEERS"] ?? 10_000);
const RUNS = 5;
const WIDTH = 120;

const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-list-"));
const cp = await startControlPlane({
  store: `sqlite:${join(dir, "drainkit.db")}`,
  listen: "127.0.0.1:0",
  adminToken: TOKEN,
  tokenFile: join(dir, "tokens.json"),
  logLevel: "warn",
  logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
});
try {
  const ops = { id: "ops", scopes: ["mesh.operate" as const] };
  for (let i = 0; i < PEERS; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, PEERS - i) }, (_, j) => i + j).map((n) =>
        cp.registry.registerPeer(ops, { id: `node-${String(n).padStart(5, "0")}`, address: `10.0.${n >> 8}.${n & 255}:8080`, pools: [`pool-${n % 8}`], roles: ["edge"], labels: { zone: `z${n % 3}` } }),
      ),
    );
  }
  const client = new RestControlClient({ server: cp.url, token: TOKEN, context: undefined });
  const streamed: { firstMs: number; totalMs: number }[] = [];
  const whole: { totalMs: number; renderMs: number }[] = [];
  for (let r = 0; r <= RUNS; r++) {
    let first = 0;
    let start = performance.now();
    let bytes = 0;
    await streamPeerTable(client, {}, { width: WIDTH }, (text) => {
      if (first === 0) first = performance.now() - start;
      bytes += text.length;
    });
    const s = { firstMs: first, totalMs: performance.now() - start };
    start = performance.now();
    const page = await listAllPeers(client, {});
    const rendered = performance.now();
    bytes += renderTable(peerTable(page.items), { width: WIDTH }).length;
    const w = { totalMs: performance.now() - start, renderMs: performance.now() - rendered };
    // The first round warms up both paths.
    if (r > 0 && bytes > 0) {
      streamed.push(s);
      whole.push(w);
    }
  }
  const m = (xs: number[]): number => Math.round(median(xs) * 10) / 10;
  figure(`cli.peers-list.${PEERS}.first-rows`, m(streamed.map((x) => x.firstMs)), "ms", { baseline: m(whole.map((x) => x.totalMs)), baselineIs: "every page read, then the whole table rendered", target: 50, width: WIDTH, runs: RUNS });
  figure(`cli.peers-list.${PEERS}.streamed-total`, m(streamed.map((x) => x.totalMs)), "ms", { baseline: m(whole.map((x) => x.totalMs)), wholeRenderMs: m(whole.map((x) => x.renderMs)), width: WIDTH, runs: RUNS, pageSize: 500 });
} finally {
  await cp.shutdown("bench done");
  await rm(dir, { recursive: true, force: true });
}
