import { describe, expect, it } from "vitest";
import type { Principal } from "@drainkit/registry";
import { afterThisTest, fleet, OPS, planner, until } from "../moveFleet.ts";
import { InProcessHosts } from "../../bench/hosts.ts";

// The leader's planner when a drain is cancelled (the peer resumed) while its
// moves are in flight: the hosts are cut off after placing their workloads,
// so the moves stay `starting` until the test lets a destination serve one.

const agent = (id: string): Principal => ({ id, scopes: ["mesh.agent"] });

describe("the drain scheduler when a drain is cancelled mid-flight", () => {
  it("cancels the moves not yet serving, keeps the one that served, and plans nothing more for the resumed peer", async () => {
    const registry = await fleet(["a", "b", "c"]);
    const placing = new InProcessHosts(registry, ["a", "b", "c"]);
    await placing.place("a", [{ id: "w1" }, { id: "w2" }, { id: "w3" }]);
    placing.close();
    const moves = await planner(registry, "t1");
    await until("w1..w3 in the plan", () => moves.placement().size, (n) => n === 3);

    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    const planned = await until("three moves starting", () => registry.listMoves(OPS, { state: "starting" }), (l) => l.length === 3);
    // One destination serves its copy before the cancel.
    const committed = planned.find((m) => m.workload === "w1")!;
    await registry.reportMove(agent(committed.to), committed.id, { state: "serving" });
    await until("w1 owned by its destination", () => moves.placement().get("w1"), (at) => at === committed.to);

    await registry.resume(OPS, "a", {}, { reason: "cancel the drain" });
    const cancelled = await until("the other two moves cancelled", () => registry.listMoves(OPS, { state: "cancelled" }), (l) => l.length === 2);
    expect(cancelled.map((m) => m.workload).sort()).toEqual(["w2", "w3"]);
    for (const m of cancelled) expect(m.reason).toBe(`the drain of a (epoch 1) was cancelled before ${m.to} served ${m.workload}`);
    // The committed move is not undone; the cancelled ones' workloads stay on a; the leader waits on nothing.
    expect((await registry.listMoves(OPS)).find((m) => m.id === committed.id)?.state).toBe("serving");
    await until("the planner to settle", () => moves.inFlight().length, (n) => n === 0);
    expect(moves.placement().get("w1")).toBe(committed.to);
    expect(moves.placement().get("w2")).toBe("a");
    expect(moves.placement().get("w3")).toBe("a");
    // Audited as the leader's cancelMove, each after the resume.
    const audit = (await registry.queryAudit(OPS, { limit: 1_000 })).items;
    const resume = audit.find((e) => e.action === "resume" && e.target === "peer/a")!;
    const cancels = audit.filter((e) => e.action === "cancelMove" && e.outcome === "ok");
    expect(cancels.map((e) => e.target).sort()).toEqual(cancelled.map((m) => `move/${m.id}`).sort());
    for (const e of cancels) {
      expect(e.actor).toBe("control-plane");
      expect(e.seq).toBeGreaterThan(resume.seq);
    }
    // Nothing new is planned off the resumed peer.
    await new Promise((r) => setTimeout(r, 150));
    expect(await registry.listMoves(OPS)).toHaveLength(3);
  });

  it("a destination that serves after the leader cancelled it, but before the registry did, keeps the workload (the move committed)", async () => {
    const registry = await fleet(["a", "b"]);
    const placing = new InProcessHosts(registry, ["a", "b"]);
    await placing.place("a", [{ id: "w1" }]);
    placing.close();
    // The registry answers the leader's cancel only after the destination's serving landed: the race the destination wins.
    let releaseCancel: (() => void) | undefined;
    const held = new Promise<void>((r) => (releaseCancel = r));
    const racing = new Proxy(registry, {
      get(target, key, receiver) {
        if (key === "cancelMove") {
          return async (...args: Parameters<typeof registry.cancelMove>) => {
            await held;
            return target.cancelMove(...args);
          };
        }
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const moves = await planner(racing, "t1");
    afterThisTest(() => releaseCancel?.());
    await until("w1 in the plan", () => moves.placement().size, (n) => n === 1);
    await registry.drain(OPS, "a", { reason: "upgrade", deadlineMs: 60_000 });
    const [m] = await until("the move starting", () => registry.listMoves(OPS, { state: "starting" }), (l) => l.length === 1);
    await registry.resume(OPS, "a", {}, { reason: "cancel the drain" });
    await until("the leader to drop the move", () => moves.inFlight().length, (n) => n === 0);
    await registry.reportMove(agent(m!.to), m!.id, { state: "serving" });
    releaseCancel!();
    // The cancel is refused (it committed), and the planner follows: w1 is owned by b.
    await until("w1 owned by its destination", () => moves.placement().get("w1"), (at) => at === "b");
    const refused = await until("the refused cancel in the audit", async () => (await registry.queryAudit(OPS, { action: "cancelMove" })).items, (l) => l.length === 1);
    expect(refused[0]).toMatchObject({ outcome: "refused", errorCode: "move-state-conflict", actor: "control-plane" });
    expect((await registry.listMoves(OPS))[0]?.state).toBe("serving");
  });
});
