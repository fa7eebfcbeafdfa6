// @ts-nocheck
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "@drainkit/core/testing";
import { makeMemoryStore, type AuditEntry, type RegistryStore } from "@drainkit/registry";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, registerLive } from "./client.ts";

let api: TestControlApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const entries = async (a: TestControlApi, query = ""): Promise<AuditEntry[]> =>
  (await call(a, "GET", `/control/audit?limit=1000${query}`, "mesh.read")).body["items"] as AuditEntry[];

describe("audit over REST", () => {
  it("serves the head and an (unsigned, without a key) checkpoint of it", async () => {
    api = await startTestControlApi();
    await registerLive(api, "web-1");
    const last = (await entries(api)).at(-1)!;
    const head = await call(api, "GET", "/control/audit/head", "mesh.read");
    expect(head.status).toBe(200);
    expect(head.body).toEqual({ seq: last.seq, hash: last.hash, at: last.at });
    const cp = await call(api, "GET", "/control/audit/checkpoint", "mesh.read");
    expect(cp.body).toMatchObject({ seq: last.seq, hash: last.hash, at: last.at });
    expect(cp.body["signature"]).toBeUndefined();
    expect((await call(api, "GET", "/control/audit/head", null)).status).toBe(401);
  });

  it("audits every refusal with the reason and ticket it carried: 401, 403, schema 400, guard 409 and dry runs", async () => {
    api = await startTestControlApi({ pools: [{ name: "web", minAvailable: 1 }] });
    await registerLive(api, "web-1");
    await registerLive(api, "web-2");
    const ask = { reason: "kernel 6.9", ticket: "CHG-7" };
    expect((await call(api, "POST", "/control/peers/web-1:cordon", null, ask)).status).toBe(401);
    expect((await call(api, "POST", "/control/peers/web-1:cordon", "mesh.read", ask)).status).toBe(403);
    expect((await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { ...ask, bogus: 1 })).status).toBe(400);
    // A body that is not JSON at all still gets its 401, audited without a reason.
    expect((await call(api, "POST", "/control/peers/web-1:cordon", null, "{not json")).status).toBe(401);
    expect((await call(api, "POST", "/control/peers/web-1:drain", "mesh.operate", { ...ask, dryRun: true })).status).toBe(202);
    expect((await call(api, "POST", "/control/peers/web-1:drain", "mesh.operate", ask)).status).toBe(202);
    const guard = await call(api, "POST", "/control/peers/web-2:drain", "mesh.operate", { ...ask, dryRun: true });
    expect(guard.status).toBe(409);
    expect(guard.body["type"]).toBe("https://drainkit.dev/problems/only-schedulable-node");
    const audit = (await entries(api, "&target=peer/web-1")).concat(await entries(api, "&target=peer/web-2")).filter((e) => e.action !== "registerPeer" && e.action !== "reportStatus");
    expect(audit.map((e) => [e.target, e.actor, e.action, e.outcome, e.errorCode ?? null, e.reason ?? null, e.ticket ?? null, e.dryRun ?? false])).toEqual([
      ["peer/web-1", "anonymous", "cordon", "refused", "unauthenticated", "kernel 6.9", "CHG-7", false],
      ["peer/web-1", "reader", "cordon", "refused", "forbidden", "kernel 6.9", "CHG-7", false],
      ["peer/web-1", "operator", "cordon", "refused", "validation", "kernel 6.9", "CHG-7", false],
      ["peer/web-1", "anonymous", "cordon", "refused", "unauthenticated", null, null, false],
      ["peer/web-1", "operator", "drain", "ok", null, "kernel 6.9", "CHG-7", true],
      ["peer/web-1", "operator", "drain", "ok", null, "kernel 6.9", "CHG-7", false],
      ["peer/web-2", "operator", "drain", "refused", "only-schedulable-node", "kernel 6.9", "CHG-7", true],
    ]);
  });

  it("audits unauthenticated refusals one by one up to the limit, then counts them and writes one summary", async () => {
    const clock = new SimulatedClock({ start: 1_000_000 });
    api = await startTestControlApi({ clock, refusalLimit: { unauthenticatedPerWindow: 3, windowMs: 60_000 } });
    for (let i = 0; i < 10; i++) expect((await call(api, "POST", "/control/peers/x:cordon", null, { reason: `flood ${i}` })).status).toBe(401);
    const refused = () => entries(api!, "&outcome=refused");
    expect((await refused()).map((e) => e.reason)).toEqual(["flood 0", "flood 1", "flood 2"]);
    expect(await (await fetch(`${api.url}/metrics`)).text()).toContain('drainkit_audit_unwritten_total{cause="suppressed"} 7');
    // An authenticated refusal is never suppressed.
    expect((await call(api, "POST", "/control/peers/x:cordon", "mesh.read", { reason: "scoped" })).status).toBe(403);
    clock.advance(60_000);
    expect((await call(api, "POST", "/control/peers/x:cordon", null, { reason: "next window" })).status).toBe(401);
    const after = await refused();
    expect(after.slice(3).map((e) => [e.action, e.target, e.reason])).toEqual([
      ["cordon", "peer/x", "scoped"],
      ["suppressedRefusals", "door", expect.stringMatching(/^7 more unauthenticated requests were refused/)],
      ["cordon", "peer/x", "next window"],
    ]);
  });

  it("refuses a time range that ends before it starts, and bad filter values, with problem+json", async () => {
    api = await startTestControlApi();
    const backwards = await call(api, "GET", "/control/audit?from=2000&to=1000", "mesh.read");
    expect(backwards.status).toBe(400);
    expect(backwards.contentType).toMatch(/^application\/problem\+json/);
    expect(backwards.body).toMatchObject({ type: "https://drainkit.dev/problems/validation" });
    expect(String(backwards.body["detail"])).toContain("must be after from");
    expect((await call(api, "GET", "/control/audit?outcome=maybe", "mesh.read")).status).toBe(400);
    expect((await call(api, "GET", "/control/audit?from=yesterday", "mesh.read")).status).toBe(400);
    expect((await call(api, "GET", "/control/audit?from=1000&to=1000", "mesh.read")).status).toBe(200);
  });

  it("logs and counts a mutation the store failed (its audit entry could not be written either)", async () => {
    const inner = makeMemoryStore();
    let failing = false;
    const store: RegistryStore = {
      kind: "memory",
      get: (k) => inner.get(k),
      list: (p, o) => inner.list(p, o),
      txn: (r) => (failing ? Promise.reject(new Error("disk gone")) : inner.txn(r)),
      revision: () => inner.revision(),
      watch: (p, f, c, e) => inner.watch(p, f, c, e),
      campaign: (el, c, o) => inner.campaign(el, c, o),
      leader: (el) => inner.leader(el),
      ping: () => inner.ping(),
      close: () => inner.close(),
    };
    api = await startTestControlApi({ store });
    await registerLive(api, "web-1");
    failing = true;
    const res = await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "r", ticket: "T" });
    expect(res.status).toBe(503);
    expect(await (await fetch(`${api.url}/metrics`)).text()).toContain('drainkit_audit_unwritten_total{cause="store-failure"} 1');
  });
});
