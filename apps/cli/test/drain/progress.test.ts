import { describe, expect, it } from "vitest";
import { lineDisplay, progressLine, terminalDisplay } from "../../src/drain/display.ts";
import type { DrainStatus } from "../../src/types.ts";
import { expectFits, WIDTHS } from "../widths.ts";

const draining = (peer: string, inFlight: number, blocking: string[] = ["role:edge", "participant:http", "participant:grpc"]): DrainStatus => ({
  peer,
  epoch: 4,
  status: "draining",
  roles: ["edge"],
  remaining: { inFlight, owners: 12, children: 48 },
  blocking,
});

function sink(columns?: number): { stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }; text: () => string } {
  let out = "";
  return { stream: { isTTY: true, ...(columns === undefined ? {} : { columns }), write: (c: string) => ((out += c), true) } as never, text: () => out };
}

describe("drain progress", () => {
  it("leads with the state, the ETA and what blocks it; the counts come after", () => {
    expect(progressLine(draining("web-1", 3, ["role:edge"]), "1m20s")).toBe("web-1: draining, ETA 1m20s, waiting on role:edge (in-flight 3, workloads 12 owners / 48 children)");
    expect(progressLine({ ...draining("web-1", 0, []), reason: "no destination in pool web" }, undefined)).toBe(
      "web-1: draining, stalled: no destination in pool web (in-flight 0, workloads 12 owners / 48 children)",
    );
  });

  it.each(WIDTHS)("keeps every live line within %i columns, with the moves and a long peer name", (width) => {
    const out = sink(width);
    const d = terminalDisplay(out.stream, () => width);
    const moves = { inFlight: 3, done: 17, failed: 2, lastFailure: { workload: "postgres-replica-7", reason: "volume full on the destination" } };
    d.update(draining("storage-node-0001.eu-west-1.internal", 40), moves);
    d.update(draining("web-2", 3), moves);
    d.update(draining("storage-node-0001.eu-west-1.internal", 20), moves);
    d.stop();
    expectFits(out.text(), width);
    expect(out.text()).toContain("web-2");
    // The state comes before anything a narrow terminal cuts.
    expect(out.text()).toMatch(/web-2\s*: draining/);
  });

  it("shows a bar only where it fits: none at 80 columns, a short one at 120", () => {
    const narrow = sink(80);
    terminalDisplay(narrow.stream, () => 80).update(draining("web-1", 3));
    expect(narrow.text()).not.toMatch(/\[[#-]+\]/);
    const wide = sink(120);
    terminalDisplay(wide.stream, () => 120).update(draining("web-1", 3));
    expect(wide.text()).toMatch(/\[[#-]{20}\] web-1: draining/);
  });

  it.each(WIDTHS)("cuts log lines to %i columns when a width is known", (width) => {
    const out = sink();
    const d = lineDisplay(out.stream, width);
    d.update(draining("storage-node-0001.eu-west-1.internal", 40, ["role:storage", "role:ingest", "participant:http", "participant:grpc", "workload:db-1", "workload:db-2"]));
    expectFits(out.text(), width);
  });
});
