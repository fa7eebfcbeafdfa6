import type { Registry } from "@drainkit/registry";
import { createPromMetrics } from "@drainkit/http";
import { describe, expect, it } from "vitest";
import type { WorkloadMoveMetrics, WorkloadMoves } from "../src/controllers/workloadMoves.ts";
import { afterThisTest, fleet, OPS, planner as startPlanner, until } from "./moveFleet.ts";
import { InProcessHosts, ownersAndChildren } from "../bench/hosts.ts";



/** Records every hook call. */
class Recorded implements WorkloadMoveMetrics {
  readonly counts: number[] = [];
  readonly durations: number[] = [];
  readonly outcomes = { done: 0, failed: 0 };
  inFlight(count: number): void {
    this.counts.push(count);
  }
  serving(seconds: number): void {
    this.durations.push(seconds);
  }
  ended(outcome: "done" | "failed"): void {
    this.outcomes[outcome]++;
  }
  get last(): number | undefined {
    return this.counts.at(-1);
  }
}


const planner = (registry: Registry, term: string, metrics?: WorkloadMoveMetrics, extra: { moveTimeoutMs?: number } = {}): Promise<WorkloadMoves> =>
  startPlanner(registry, term, { ...(metrics ? { metrics } : {}), ...extra });


describe("the drain scheduler's metrics hooks", () => {
  it("count what the registry persisted: each done and failed move once, a duration per served move, nothing left in flight", async () => {
    const registry = await fleet(["a", "b", "c", "d"]);
    const hosts = new InProcessHosts(registry, ["a", "b", "c", "d"], { refuse: new Set(["b"]) });
    afterThisTest(() => hosts.close());
    await hosts.place("a", ownersAndChildren("", 4, 2));
    const recorded = new Recorded();
    await planner(registry, "t1", recorded);
    expect(recorded.counts).toEqual([0]);

    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    const moves = await registry.listMoves(OPS);
    const done = moves.filter((m) => m.state === "done").length;
    const failed = moves.filter((m) => m.state === "failed").length;
    expect(done).toBe(12);
    expect(failed).toBeGreaterThan(0); // b refused every start it was given
    await until("the planner to see every move end", () => ({ ...recorded.outcomes }), (o) => o.done === done);
    expect(recorded.outcomes).toEqual({ done, failed });
    expect(recorded.durations).toHaveLength(done);
    expect(recorded.durations.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
    expect(recorded.last).toBe(0);
    expect(Math.max(...recorded.counts)).toBeGreaterThan(0);
  });

  it("a new leader reports the moves it adopted as in flight and counts their end; the old one reports 0 once stopped", async () => {
    const registry = await fleet(["a", "b", "c"]);
    const on = ownersAndChildren("", 3, 1);
    const cutOff = new InProcessHosts(registry, ["a", "b", "c"]);
    await cutOff.place("a", on);
    cutOff.close(); // nobody acts on the first leader's moves
    const first = new Recorded();
    const one = await planner(registry, "t1", first, { moveTimeoutMs: 600_000 });
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("moves to be planned", () => first.last, (n) => n === 3);
    one.stop();
    expect(first.last).toBe(0);

    const second = new Recorded();
    await planner(registry, "t2", second);
    expect(second.counts[0]).toBe(3);
    // The hosts reconnect; they replay the move feed from before the first plan, holding what they held.
    const back = new InProcessHosts(registry, ["a", "b", "c"], { fromRevision: 0 });
    afterThisTest(() => back.close());
    for (const w of on) back.held.get("a")!.set(w.id, w);
    await until("a to be empty", () => back.held.get("a")!.size, (n) => n === 0);
    await until("the second leader to count every move", () => second.outcomes.done, (n) => n === on.length);
    expect(second.outcomes.failed).toBe(0);
    expect(second.last).toBe(0);
    expect(first.outcomes).toEqual({ done: 0, failed: 0 });
    expect(first.counts.at(-1)).toBe(0);
  });

  it("feed the Prometheus series the control plane exports", async () => {
    const prom = createPromMetrics({ defaultMetrics: false });
    const registry = await fleet(["a", "b"]);
    const hosts = new InProcessHosts(registry, ["a", "b"]);
    afterThisTest(() => hosts.close());
    await hosts.place("a", ownersAndChildren("w", 2, 1));
    await planner(registry, "t1", {
      inFlight: (n) => prom.workloadMovesInFlight.set(n),
      serving: (s) => prom.workloadMoveDuration.observe(s),
      ended: (outcome) => prom.workloadMoves.inc({ outcome }),
    });
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    await until("a to be empty", () => hosts.held.get("a")!.size, (n) => n === 0);
    const done = async (): Promise<number> => (await prom.workloadMoves.get()).values.find((v) => v.labels.outcome === "done")?.value ?? 0;
    await until("4 moves done", done, (n) => n === 4);
    expect((await prom.workloadMovesInFlight.get()).values[0]?.value).toBe(0);
    const text = await prom.registry.metrics();
    expect(text).toContain('drainkit_workload_moves_total{outcome="done"} 4');
    expect(text).toContain('drainkit_workload_moves_total{outcome="failed"} 0');
    expect(text).toContain("drainkit_workload_move_duration_seconds_count 4");
  });
});
