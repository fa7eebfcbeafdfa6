import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { api, serversPerTest } from "./e2e/serve.ts";

const TOKEN = "metrics-e2e-admin-token-0123456789";

const servers = serversPerTest("drainkit-metrics-");

/** One sample of the text exposition, e.g. `sample(text, 'drainkit_workload_moves_total{outcome="done"}')`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    if (line.slice(0, cut) === series) return Number(line.slice(cut + 1));
  }
  return undefined;
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await sleep(50);
  }
}

interface Move {
  readonly id: string;
  readonly workload: string;
  readonly owner?: string;
  readonly from: string;
  readonly to: string;
  readonly state: string;
}

describe("/metrics of drainkit serve", () => {
  it("counts the leader's workload moves: done and failed, none left in flight, one duration per served move", async () => {
    const s = await servers.start(["--move-batch", "2"], { DRAINKIT_ADMIN_TOKEN: TOKEN });
    const scrape = async (): Promise<string> => (await fetch(`${s.url}/metrics`)).text();
    const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const r = await api(s.url, TOKEN, method, path, body);
      if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };

    // Before any move, every series is there at 0.
    const idle = await scrape();
    expect(sample(idle, 'drainkit_workload_moves_total{outcome="done"}')).toBe(0);
    expect(sample(idle, 'drainkit_workload_moves_total{outcome="failed"}')).toBe(0);
    expect(sample(idle, "drainkit_workload_moves_in_flight")).toBe(0);
    expect(sample(idle, "drainkit_workload_move_duration_seconds_count")).toBe(0);

    // Three peers; a holds three owners with a child each. The admin plays the agents.
    const held = new Map<string, Map<string, { id: string; owner?: string }>>([["a", new Map()], ["b", new Map()], ["c", new Map()]]);
    for (const id of held.keys()) await call("PUT", `/control/peers/${id}`, { address: `${id}.test:80`, pools: ["web"], roles: ["storage"] });
    for (let i = 0; i < 3; i++) {
      held.get("a")!.set(`o${i}`, { id: `o${i}` });
      held.get("a")!.set(`o${i}c0`, { id: `o${i}c0`, owner: `o${i}` });
    }
    const report = async (peer: string): Promise<Record<string, unknown>> => {
      const { epoch } = (await call("GET", `/control/peers/${peer}`)) as { epoch: number };
      return call("PUT", `/control/peers/${peer}/status`, { roles: {}, epoch, placement: [...held.get(peer)!.values()] });
    };
    for (const id of held.keys()) await report(id);
    await until("a leader", async () => (await (await fetch(`${s.url}/readyz`)).json()) as { checks?: { leader?: boolean } }, (r) => r.checks?.leader === true);

    await call("POST", "/control/peers/a:drain", { reason: "kernel upgrade", deadlineMs: 600_000 });

    // Carry out every move the leader plans; the first one's destination refuses it.
    let failed = 0;
    const handled = new Set<string>();
    await until(
      "a to be empty",
      async () => {
        const moves = (await call("GET", "/control/moves?active=true"))["items"] as Move[];
        for (const m of moves) {
          if (handled.has(`${m.id}:${m.state}`)) continue;
          handled.add(`${m.id}:${m.state}`);
          const w = m.owner === undefined ? { id: m.workload } : { id: m.workload, owner: m.owner };
          if (m.state === "starting" && failed === 0) {
            failed++;
            await call("POST", `/control/moves/${m.id}:report`, { state: "failed", reason: "disk full" });
          } else if (m.state === "starting") {
            held.get(m.to)!.set(w.id, w);
            await report(m.to);
            await call("POST", `/control/moves/${m.id}:report`, { state: "serving" });
          } else if (m.state === "serving") {
            held.get(m.from)!.delete(w.id);
            await report(m.from);
            await call("POST", `/control/moves/${m.id}:report`, { state: "done" });
          }
        }
        return held.get("a")!.size;
      },
      (n) => n === 0,
    );

    // What the registry persisted is what /metrics counts.
    const moves = (await call("GET", "/control/moves"))["items"] as Move[];
    const done = moves.filter((m) => m.state === "done").length;
    expect(done).toBe(6);
    expect(moves.filter((m) => m.state === "failed")).toHaveLength(1);
    const text = await until("the leader to count every move", scrape, (t) => sample(t, 'drainkit_workload_moves_total{outcome="done"}') === done);
    expect(sample(text, 'drainkit_workload_moves_total{outcome="failed"}')).toBe(1);
    expect(sample(text, "drainkit_workload_moves_in_flight")).toBe(0);
    // Only served moves have a planned → serving duration; the failed one never served.
    expect(sample(text, "drainkit_workload_move_duration_seconds_count")).toBe(done);
    expect(sample(text, 'drainkit_workload_move_duration_seconds_bucket{le="+Inf"}')).toBe(done);
    expect(sample(text, "drainkit_workload_move_duration_seconds_sum")).toBeGreaterThanOrEqual(0);
  });
});
