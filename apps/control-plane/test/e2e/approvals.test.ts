import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createControlClient } from "@drainkit/grpc";
import { addToken } from "@drainkit/http";
import { api, registerLive, serversPerTest } from "./serve.ts";

const servers = serversPerTest("drainkit-approvals-");
const ADMIN = "dk_e2e_admin_token_0123456789";

interface Entry {
  readonly action: string;
  readonly actor: string;
  readonly outcome: string;
  readonly errorCode?: string;
}

describe("staged approvals over REST and gRPC, two principals", () => {
  it("stages a mass drain and a config edit, refuses self-approval, applies once on a second principal's approval, and audits every step", async () => {
    // Two more principals beside the admin token: bob (admin) and carol (operator).
    const tokens = join(servers.dir(), "tokens.json");
    const bob = await addToken(tokens, "bob", ["mesh.admin"]);
    const carol = await addToken(tokens, "carol", ["mesh.operate"]);
    const served = await servers.start(["--grpc", "127.0.0.1:0"], { DRAINKIT_ADMIN_TOKEN: ADMIN });
    const line = served.stdout.find((l) => l.includes("gRPC (drainkit.control.v1):"));
    const address = line!.split("):")[1]!.trim();
    const url = served.url;
    for (const id of ["web-1", "web-2", "web-3", "web-4"]) await registerLive(url, ADMIN, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"] });
    expect((await api(url, ADMIN, "PATCH", "/control/config", { values: { "approvals.enabled": true, "approvals.massPercent": 25 }, confirm: true })).status).toBe(200);

    // 1 of 4 out is not more than 25 %: applied at once. 2 of 4 is: staged.
    expect((await api(url, ADMIN, "POST", "/control/peers/web-1:cordon", { reason: "kernel" })).status).toBe(200);
    const staged = await api(url, ADMIN, "POST", "/control/peers/web-2:drain", { reason: "kernel" });
    expect(staged.status).toBe(202);
    const id = staged.headers.get("drainkit-approval-id")!;
    expect(staged.body).toMatchObject({ id, state: "pending", requiredScope: "mesh.operate", requestedBy: { id: "admin" }, change: { kind: "drain", peer: "web-2" } });
    expect(String(staged.body["next"])).toContain(`drainctl approvals approve ${id}`);
    expect((await api(url, ADMIN, "GET", "/control/peers/web-2")).body["phase"]).toBe("active");
    const pending = await api(url, carol, "GET", "/control/approvals?state=pending");
    expect((pending.body["items"] as { id: string }[]).map((a) => a.id)).toEqual([id]);

    // The requester cannot approve its own change; a reason is required.
    const self = await api(url, ADMIN, "POST", `/control/approvals/${id}:approve`, { reason: "mine" });
    expect(self.status).toBe(403);
    expect(self.headers.get("content-type")).toContain("application/problem+json");
    expect(self.body["type"]).toBe("https://drainkit.dev/problems/approval-self");
    expect((await api(url, carol, "POST", `/control/approvals/${id}:approve`, {})).status).toBe(400);

    // carol approves over gRPC: the drain is applied once, as the requester.
    const carolGrpc = createControlClient(address, { token: carol });
    const bobGrpc = createControlClient(address, { token: bob });
    try {
      const approved = await carolGrpc.approveChange(id, { reason: "pool has room", idempotencyKey: "approve-web-2" });
      expect(approved.value).toMatchObject({ id, state: "applied", decidedBy: "carol", decisionReason: "pool has room" });
      const again = await carolGrpc.approveChange(id, { reason: "pool has room", idempotencyKey: "approve-web-2" });
      expect(again.value.state).toBe("applied");
      expect((await api(url, ADMIN, "GET", "/control/peers/web-2")).body).toMatchObject({ phase: "draining", epoch: 1 });
      const drains = (await api(url, ADMIN, "GET", `/control/audit?target=${encodeURIComponent("peer/web-2")}&action=drain`)).body["items"] as Entry[];
      expect(drains.map((e) => `${e.actor}:${e.outcome}`)).toEqual(["admin:ok"]);
      const steps = (await api(url, ADMIN, "GET", `/control/audit?target=${encodeURIComponent(`approval/${id}`)}`)).body["items"] as Entry[];
      expect(steps.map((e) => `${e.action}:${e.actor}:${e.outcome}`)).toEqual(
        expect.arrayContaining(["requestApproval:admin:ok", "approveChange:admin:refused", "approveChange:carol:refused", "approveChange:carol:ok", "applyChange:carol:ok"]),
      );

      // Over gRPC a staged cordon answers with the peer unchanged and the pending approval; bob rejects it over REST.
      const cordon = await carolGrpc.cordon("web-3", { reason: "disk" });
      expect(cordon.pendingApproval).toMatchObject({ state: "pending", requestedBy: { id: "carol" } });
      expect(cordon.pendingApproval?.next).toContain(`drainctl approvals approve ${cordon.pendingApproval!.id}`);
      expect(cordon.value.phase).toBe("active");
      const rejected = await api(url, bob, "POST", `/control/approvals/${cordon.pendingApproval!.id}:reject`, { reason: "not today" });
      expect(rejected.body).toMatchObject({ state: "rejected", decidedBy: "bob" });
      expect((await api(url, ADMIN, "GET", "/control/peers/web-3")).body["phase"]).toBe("active");

      // A config edit by bob over gRPC needs a second admin: carol (operator) may not approve it, the admin may.
      const edit = await bobGrpc.patchConfig({ "rollout.maxParallel": 2 }, { confirm: true, reason: "faster rollouts" });
      const editId = edit.pendingApproval!.id;
      expect(edit.pendingApproval?.requiredScope).toBe("mesh.admin");
      expect(edit.value.values["rollout.maxParallel"]).toBe(1);
      await expect(carolGrpc.approveChange(editId, { reason: "ok" })).rejects.toMatchObject({ code: "forbidden" });
      expect((await api(url, ADMIN, "POST", `/control/approvals/${editId}:approve`, { reason: "reviewed" })).body["state"]).toBe("applied");
      expect((await bobGrpc.getConfig()).values["rollout.maxParallel"]).toBe(2);
      expect((await bobGrpc.listApprovals({ state: "applied" })).map((a) => a.id).sort()).toEqual([id, editId].sort());
      expect((await api(url, ADMIN, "GET", `/control/approvals/${editId}`)).headers.get("etag")).toBe('"3"');
    } finally {
      carolGrpc.close();
      bobGrpc.close();
    }
  });
});
