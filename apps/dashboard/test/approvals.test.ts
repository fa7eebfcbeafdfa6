import { describe, expect, it } from "vitest";
import { actionFor } from "../src/actions.ts";
import { approvalsHtml, isPendingApproval, withApproval, type Approval } from "../src/approvals.ts";

const NOW = 1_800_000_000_000;
const approval = (over: Partial<Approval> & { id: string }): Approval => ({
  state: "pending",
  change: { kind: "drain", peer: "web-2" },
  reasons: ["pool web: 2 of 4 peers (50%) out of service, more than 25%"],
  requiredScope: "mesh.operate",
  requestedBy: { id: "alice" },
  request: { reason: "kernel <upgrade>" },
  createdAt: NOW - 60_000,
  expiresAt: NOW + 30 * 60_000,
  ...over,
});

describe("the approvals panel", () => {
  it("offers a second operator Approve and Reject, the requester only Withdraw, a reader nothing; server text is escaped", () => {
    const list = [approval({ id: "ap-1" })];
    const bob = approvalsHtml(list, { id: "bob", scopes: ["mesh.operate"] }, true, NOW);
    expect(bob).toContain('data-verb="approve-change" data-target="ap-1"');
    expect(bob).toContain('data-verb="reject-change" data-target="ap-1"');
    expect(bob).toContain("drain web-2");
    expect(bob).toContain("kernel &lt;upgrade&gt;");
    expect(bob).toContain("expires in 30 min");

    const alice = approvalsHtml(list, { id: "alice", scopes: ["mesh.admin"] }, true, NOW);
    expect(alice).not.toContain("approve-change");
    expect(alice).toContain(">Withdraw<");

    expect(approvalsHtml(list, { id: "rita", scopes: ["mesh.read"] }, true, NOW)).not.toContain("<button");
    // A config edit needs an admin: an operator may not decide it.
    const edit = [approval({ id: "ap-2", change: { kind: "patchConfig", patch: { "rollout.maxParallel": 2 } }, requiredScope: "mesh.admin" })];
    expect(approvalsHtml(edit, { id: "bob", scopes: ["mesh.operate"] }, true, NOW)).not.toContain("<button");
    expect(approvalsHtml(edit, { id: "carl", scopes: ["mesh.admin"] }, true, NOW)).toContain("config rollout.maxParallel=2");
    // Offline the page offers no action.
    expect(approvalsHtml(list, { id: "bob", scopes: ["mesh.operate"] }, false, NOW)).not.toContain("<button");
    expect(approvalsHtml([], { id: "bob", scopes: ["mesh.operate"] }, true, NOW)).toContain("No change waits for approval");
  });

  it("keeps the pending list current from feed events and posts approve/reject with the reason", () => {
    let list = withApproval([], "ap-1", approval({ id: "ap-1" }));
    list = withApproval(list, "ap-2", approval({ id: "ap-2", createdAt: NOW }));
    expect(list.map((a) => a.id)).toEqual(["ap-2", "ap-1"]);
    list = withApproval(list, "ap-1", approval({ id: "ap-1", state: "applied" }));
    expect(list.map((a) => a.id)).toEqual(["ap-2"]);
    expect(withApproval(list, "ap-2", undefined)).toEqual([]);

    expect(actionFor("approve-change", "ap-2", { reason: "pool has room" })).toMatchObject({ path: "/control/approvals/ap-2:approve", body: { reason: "pool has room" }, reasonRequired: true });
    expect(actionFor("reject-change", "ap-2", { reason: "no" }).path).toBe("/control/approvals/ap-2:reject");
    expect(isPendingApproval(approval({ id: "ap-3" }))).toBe(true);
    expect(isPendingApproval({ peer: "web-1", status: "draining" })).toBe(false);
  });
});
