import { describe, expect, it } from "vitest";
import { silentLogger, systemClock } from "@drainkit/core";
import { SeededRandom } from "@drainkit/core/testing";
import { ControlPlaneError, type ControlPlaneClient } from "@drainkit/client";
import type { PlacedWorkload, WorkloadMove } from "@drainkit/registry";
import type { AgentContext } from "../src/AgentContext.ts";
import type { AgentEvent } from "../src/AgentEvent.ts";
import { MoveExecutor } from "../src/MoveExecutor.ts";
import { WorkloadSet } from "../src/workloads.ts";

/** A promise with its resolver, to hold a start open. */
function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `check` holds, polling the microtask queue and timers (no time asserted). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!check()) throw new Error(`never: ${what}`);
}

const move = (state: WorkloadMove["state"], reason?: string): WorkloadMove => ({
  id: "m1",
  workload: "shard-1",
  tier: "owner",
  from: "src",
  to: "dst",
  drain: { target: "src", epoch: 1 },
  state,
  plannedBy: "control-plane",
  createdAt: 1,
  updatedAt: 2,
  generation: state === "starting" ? 1 : 2,
  ...(reason === undefined ? {} : { reason }),
});

/** The destination `dst`: its start is `start`; every step it takes and every report it makes is logged. */
function destination(start: (w: PlacedWorkload, signal: AbortSignal) => Promise<void>, options: { refuseServing?: boolean; self?: string } = {}) {
  const steps: string[] = [];
  const events: AgentEvent[] = [];
  const set = new WorkloadSet({
    async start(w, _m, signal) {
      steps.push(`start ${w.id}`);
      await start(w, signal);
      steps.push(`started ${w.id}`);
    },
    async stop(w) {
      steps.push(`stop ${w.id}`);
    },
  });
  const life = new AbortController();
  const client = {
    async reportMove(id: string, report: { state: string }) {
      steps.push(`report ${id} ${report.state}`);
      if (options.refuseServing === true && report.state === "serving") throw new ControlPlaneError(409, "move-state-conflict", "Move m1 is cancelled", { retryable: false });
      return {};
    },
  } as unknown as ControlPlaneClient;
  const ctx: AgentContext = {
    peer: options.self ?? "dst",
    clock: systemClock(),
    random: new SeededRandom(1),
    logger: silentLogger,
    retry: { initialMs: 1, maxMs: 2 },
    client: () => client,
    life: () => life,
    emit: (e) => events.push(e),
  };
  return { executor: new MoveExecutor(ctx, set), set, steps, events };
}

describe("MoveExecutor: a move onto this host that is cancelled (its drain was cancelled)", () => {
  it("aborts the start still running, stops the copy once, and reports nothing", async () => {
    const d = destination((_w, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true })));
    d.executor.onMove(move("starting"));
    await until("the start to run", () => d.steps.includes("start shard-1"));
    expect(d.set.has("shard-1")).toBe(true);
    d.executor.onMove(move("cancelled", "the drain of src was cancelled"));
    await until("the copy to be stopped", () => d.steps.includes("stop shard-1"));
    expect(d.set.has("shard-1")).toBe(false);
    expect(d.steps).toEqual(["start shard-1", "stop shard-1"]);
    expect(d.events.map((e) => (e.type === "agent-move" ? `${e.action}:${e.reason ?? ""}` : e.type))).toEqual(["cleaned-up:the drain of src was cancelled"]);
    // A replay of the cancel does nothing more.
    d.executor.onMove(move("cancelled", "the drain of src was cancelled"));
    await new Promise((r) => setTimeout(r, 5));
    expect(d.steps.filter((s) => s.startsWith("stop"))).toHaveLength(1);
  });

  it("a start that ignores the abort and finishes late is stopped after it settled, never reported serving", async () => {
    const hold = deferred();
    const d = destination(() => hold.promise);
    d.executor.onMove(move("starting"));
    await until("the start to run", () => d.steps.includes("start shard-1"));
    d.executor.onMove(move("cancelled", "drain cancelled"));
    await new Promise((r) => setTimeout(r, 5));
    // Not stopped under a start still running: the start would bring the copy back.
    expect(d.steps).toEqual(["start shard-1"]);
    hold.resolve();
    await until("the copy to be stopped", () => d.steps.includes("stop shard-1"));
    expect(d.steps).toEqual(["start shard-1", "started shard-1", "stop shard-1"]);
    expect(d.set.has("shard-1")).toBe(false);
  });

  it("a start whose serving report the registry refuses (the cancel won the race) stops the copy once, also when the cancel is seen after", async () => {
    const d = destination(async () => {}, { refuseServing: true });
    d.executor.onMove(move("starting"));
    await until("the copy to be stopped", () => d.steps.includes("stop shard-1"));
    d.executor.onMove(move("cancelled", "drain cancelled"));
    await new Promise((r) => setTimeout(r, 5));
    expect(d.steps).toEqual(["start shard-1", "started shard-1", "report m1 serving", "stop shard-1"]);
  });

  it("on the source, a cancelled move changes nothing: the workload stays and serves", async () => {
    const d = destination(async () => {}, { self: "src" });
    d.set.add({ id: "shard-1" });
    d.executor.onMove(move("starting"));
    d.executor.onMove(move("cancelled", "drain cancelled"));
    await new Promise((r) => setTimeout(r, 5));
    expect(d.steps).toEqual([]);
    expect(d.set.has("shard-1")).toBe(true);
  });
});
