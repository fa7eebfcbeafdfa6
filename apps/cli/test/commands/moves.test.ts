import { describe, expect, it } from "vitest";
import { moveLine, moveTable } from "../../src/commands/moves.ts";
import { renderTable } from "../../src/output.ts";
import type { WorkloadMove } from "../../src/types.ts";

const m: WorkloadMove = {
  id: "t1-7",
  workload: "db-3",
  tier: "child",
  owner: "db-1",
  from: "web-1",
  to: "web-2",
  drain: { target: "web-1", epoch: 2 },
  state: "failed",
  reason: "volume full",
  plannedBy: "control-plane",
  createdAt: 1_000,
  updatedAt: 5_000,
  generation: 2,
};

describe("moves output", () => {
  it("tabulates id, workload, tier, from → to, state, age and reason", () => {
    const { owner: _owner, reason: _reason, ...rest } = m;
    const text = renderTable(moveTable([m, { ...rest, id: "t1-8", workload: "db-1", tier: "owner", state: "done", createdAt: 121_000 }], 181_000));
    const [head, first, second] = text.split("\n");
    expect(head).toMatch(/^ID\s+WORKLOAD\s+TIER\s+FROM → TO\s+STATE\s+AGE\s+REASON$/);
    expect(first).toMatch(/^t1-7\s+db-3\s+child of db-1\s+web-1 → web-2\s+failed\s+3m\s+volume full$/);
    expect(second).toMatch(/^t1-8\s+db-1\s+owner\s+web-1 → web-2\s+done\s+1m\s+-$/);
  });

  it("prints one line per change, and says when a move was pruned", () => {
    expect(moveLine({ revision: 9, kind: "move", id: "t1-7", value: m })).toBe("db-3 web-1 → web-2 failed (volume full)  [move t1-7, child of db-1]");
    expect(moveLine({ revision: 10, kind: "move", id: "t1-7" })).toBe("t1-7: pruned");
  });
});
