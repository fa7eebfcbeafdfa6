import { createServer, request, type Server as HttpServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, drainctl, json, startServer, type Server } from "./harness.ts";

// Three server pages of 500 and a partial fourth: the listing must cross page boundaries.
const PEERS = 1203;
const ids = Array.from({ length: PEERS }, (_, i) => `pg-${String(i).padStart(5, "0")}`);

let server: Server;
/** A pass-through proxy in front of the real server: it records the peer listings the CLI asks for. */
let proxy: HttpServer;
let proxied: Server;
const listings: URLSearchParams[] = [];

beforeAll(async () => {
  server = await startServer();
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  for (let i = 0; i < PEERS; i += 100) {
    await Promise.all(
      ids.slice(i, i + 100).map(async (id, j) => {
        const r = await fetch(`${server.url}/control/peers/${id}`, { method: "PUT", headers, body: JSON.stringify({ address: `10.9.${(i + j) >> 8}.${(i + j) & 255}:80`, pools: ["paged"], roles: ["edge"] }) });
        if (r.status >= 300) throw new Error(`PUT ${id}: ${r.status} ${await r.text()}`);
      }),
    );
  }
  const target = new URL(server.url);
  proxy = createServer((req, res) => {
    const url = new URL(req.url ?? "/", server.url);
    if (url.pathname === "/control/peers") listings.push(url.searchParams);
    const out = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(out);
  });
  await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
  const { port } = proxy.address() as { port: number };
  proxied = { ...server, url: `http://127.0.0.1:${port}` };
}, 300_000);

afterAll(async () => {
  await new Promise((ok) => proxy?.close(ok));
  await server?.stop();
});

const rowsOf = (stdout: string): string[] => stdout.split("\n").filter((l) => l.startsWith("pg-"));

describe("drainctl peers list pages from the server", () => {
  it("streams the table page by page: one heading, every peer in order, columns aligned across pages", async () => {
    listings.length = 0;
    const run = await drainctl(proxied, ["peers", "list", "--pool", "paged"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.filter((l) => l.startsWith("NAME")).length).toBe(1);
    expect(lines[0]).toMatch(/^NAME\s+PHASE\s+POOLS/);
    const rows = rowsOf(run.stdout);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(ids);
    // Every row's PHASE starts under the heading's, whichever page it came in.
    const phaseAt = lines[0]!.indexOf("PHASE");
    // (No agent reports for these peers: each shows as "unknown (active)".)
    for (const r of rows) expect(r.slice(phaseAt)).toMatch(/^unknown \(active\) /);
    // Pages of 500, each from where the last ended: never the fleet in one answer.
    expect(listings.map((q) => q.get("limit"))).toEqual(["500", "500", "500"]);
    expect(listings[0]!.get("cursor")).toBeNull();
    expect(listings.slice(1).every((q) => q.get("cursor") !== null)).toBe(true);
  });

  it("keeps -o json complete: every peer in one document, read page by page", async () => {
    listings.length = 0;
    const run = await drainctl(proxied, ["peers", "list", "--pool", "paged", "-o", "json"]);
    expect(run.code).toBe(0);
    const page = json<{ items: { id: string }[]; nextCursor?: string }>(run);
    expect(page.items.map((p) => p.id)).toEqual(ids);
    expect(page.nextCursor).toBeUndefined();
    expect(listings.length).toBe(3);
  });

  it("--limit prints one page and, on stderr, the command for the next; following it walks the fleet without gaps or repeats", async () => {
    const first = await drainctl(proxied, ["peers", "list", "--pool", "paged", "--limit", "400"]);
    expect(first.code).toBe(0);
    expect(rowsOf(first.stdout).map((r) => r.split(/\s+/)[0])).toEqual(ids.slice(0, 400));
    const hint = /drainctl peers list (.*--limit 400 --cursor \S+)/.exec(first.stderr);
    expect(hint?.[1]).toContain("--pool paged");
    const seen = rowsOf(first.stdout).map((r) => r.split(/\s+/)[0]!);
    let args = hint![1]!.split(" ");
    for (let i = 0; i < 5; i++) {
      const next = await drainctl(proxied, ["peers", "list", ...args]);
      expect(next.code).toBe(0);
      seen.push(...rowsOf(next.stdout).map((r) => r.split(/\s+/)[0]!));
      const more = /drainctl peers list (.*--limit 400 --cursor \S+)/.exec(next.stderr);
      if (more === null) break;
      args = more[1]!.split(" ");
    }
    expect(seen).toEqual(ids);
    // As data: the page and its cursor, for a script to follow.
    const data = json<{ items: { id: string }[]; nextCursor?: string }>(await drainctl(proxied, ["peers", "list", "--pool", "paged", "--limit", "2", "-o", "json"]));
    expect(data.items.map((p) => p.id)).toEqual(ids.slice(0, 2));
    expect(typeof data.nextCursor).toBe("string");
  });

  it("refuses a --limit that is no page size", async () => {
    const run = await drainctl(proxied, ["peers", "list", "--limit", "0"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("--limit 0");
  });
});
