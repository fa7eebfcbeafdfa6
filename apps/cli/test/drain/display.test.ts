import { describe, expect, it } from "vitest";
import { lineDisplay } from "../../src/drain/display.ts";
import type { DrainStatus } from "../../src/types.ts";

const status = (owners: number, children: number, state: DrainStatus["status"] = "draining"): DrainStatus => ({
  peer: "web-1",
  epoch: 3,
  status: state,
  roles: ["edge"],
  remaining: { inFlight: 0, owners, children },
});

function capture(): { stream: NodeJS.WritableStream; text: () => string } {
  let out = "";
  return { stream: { write: (c: string) => ((out += c), true) } as unknown as NodeJS.WritableStream, text: () => out };
}

describe("lineDisplay", () => {
  it("shows how many workloads are left of those at the start, and the moves in flight, done and failed", () => {
    const c = capture();
    const d = lineDisplay(c.stream);
    d.update(status(3, 5), { inFlight: 0, done: 0, failed: 0 });
    d.update(status(1, 5), { inFlight: 2, done: 2, failed: 1, lastFailure: { workload: "db-3", reason: "volume full" } });
    d.update(status(0, 0, "drained"), { inFlight: 0, done: 8, failed: 1, lastFailure: { workload: "db-3", reason: "volume full" } });
    const lines = c.text().trimEnd().split("\n");
    expect(lines).toContain("web-1: owners 3 → 3, children 5 → 5, moves in flight 0, done 0, failed 0");
    expect(lines).toContain("web-1: owners 3 → 1, children 5 → 5, moves in flight 2, done 2, failed 1 (last: db-3: volume full)");
    expect(lines).toContain("web-1: owners 3 → 0, children 5 → 0, moves in flight 0, done 8, failed 1 (last: db-3: volume full)");
  });

  it("shows only the moves until the agent reports its workloads for the drain, then counts from those", () => {
    const c = capture();
    const d = lineDisplay(c.stream);
    d.update(status(0, 0), { inFlight: 1, done: 0, failed: 0 });
    d.update(status(2, 1), { inFlight: 1, done: 0, failed: 0 });
    expect(c.text()).toContain("web-1: moves in flight 1, done 0, failed 0\n");
    expect(c.text()).toContain("web-1: owners 2 → 2, children 1 → 1, moves in flight 1, done 0, failed 0");
  });

  it("prints no moves line without moves (gRPC) or with nothing to move, and each line once", () => {
    const c = capture();
    const d = lineDisplay(c.stream);
    d.update(status(2, 0));
    d.update(status(1, 0));
    const other = capture();
    const e = lineDisplay(other.stream);
    e.update({ ...status(0, 0), peer: "web-9" }, { inFlight: 0, done: 0, failed: 0 });
    e.update({ ...status(0, 0), peer: "web-9" }, { inFlight: 0, done: 0, failed: 0 });
    expect(c.text()).not.toContain("moves");
    expect(other.text()).toBe("web-9: draining (in-flight 0, workloads 0 owners / 0 children)\n");
  });
});
