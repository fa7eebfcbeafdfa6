import { describe, expect, it } from "vitest";
import { api, registerLive, serversPerTest } from "./serve.ts";

const servers = serversPerTest("drainkit-pools-");

describe("pool budgets live in the store", () => {
  it("writes --pool flags once, refuses a start whose flags conflict with the store, and every replica admits by the stored budget", async () => {
    const flags = ["--pool", "web:maxUnavailable=1", "--pool", "web/edge:minAvailable=2"];
    const a = await servers.start(flags);
    const token = a.adminToken!;
    const first = await api(a.url, token, "GET", "/control/pools/web");
    expect(first).toMatchObject({ status: 200, body: { name: "web", maxUnavailable: 1, roles: { edge: { minAvailable: 2 } }, version: 1 } });
    const audit = await api(a.url, token, "GET", "/control/audit?target=pool%2Fweb");
    expect((audit.body["items"] as { actor: string; action: string; outcome: string }[]).map((e) => `${e.actor}:${e.action}:${e.outcome}`)).toEqual(["control-plane:putPool:ok"]);

    // A second replica with the same flags finds them stored: nothing is written again.
    const b = await servers.start(flags);
    expect((await api(b.url, token, "GET", "/control/pools/web")).body).toMatchObject({ version: 1 });

    // A third with other flags for the same pool does not start, and says how to change the stored budget.
    const conflict = await servers.start(["--pool", "web:maxUnavailable=2"]).then(() => "started", (e: unknown) => String(e));
    expect(conflict).toContain('"raw":"drainkit: pool \\"web\\": the flags say --pool web:maxUnavailable=2, but the store holds web:maxUnavailable=1 web/edge:minAvailable=2 (version 1)');
    expect(conflict).toContain("drainctl pools set web");

    for (const id of ["web-1", "web-2", "web-3", "web-4"]) await registerLive(a.url, token, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"] });
    expect((await api(b.url, token, "POST", "/control/peers/web-1:drain", { reason: "kernel", deadlineMs: 600_000 })).status).toBe(202);
    expect((await api(b.url, token, "POST", "/control/peers/web-2:drain", { reason: "kernel", deadlineMs: 600_000 })).body).toMatchObject({ type: expect.stringMatching(/pool-depletion$/) });

    // Raised through replica a: replica b admits by the new budget on its next decision.
    const raised = await api(a.url, token, "PUT", "/control/pools/web", { maxUnavailable: 2, roles: { edge: { minAvailable: 2 } }, reason: "more headroom" }, { "if-match": '"1"' });
    expect(raised).toMatchObject({ status: 200, body: { version: 2 } });
    expect((await api(b.url, token, "POST", "/control/peers/web-2:drain", { reason: "kernel", deadlineMs: 600_000 })).status).toBe(202);
    expect((await api(b.url, token, "POST", "/control/peers/web-3:drain", { reason: "kernel", deadlineMs: 600_000 })).body).toMatchObject({ type: expect.stringMatching(/pool-depletion$/) });
    // The dashboard's session publishes the stored budgets too.
    const session = await api(b.url, token, "GET", "/ui/api/session");
    expect(session.body["pools"]).toEqual([{ name: "web", maxUnavailable: 2 }, { name: "web", role: "edge", minAvailable: 2 }]);
  });
});
