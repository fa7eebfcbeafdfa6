// @ts-nocheck
import { afterEach, describe, expect, it } from "vitest";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, registerLive } from "./client.ts";

let api: TestControlApi;
afterEach(async () => {
  await api.close();
});

const PROBLEM = "https://drainkit.dev/problems/";

describe("/control/pools", () => {
  it("declares a pool with PUT (mesh.admin, ETag, audited), reads and lists it, and replaces it under If-Match", async () => {
    api = await startTestControlApi();
    const body = { maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } }, reason: "launch" };
    const forbidden = await call(api, "PUT", "/control/pools/web", "mesh.operate", body);
    expect(forbidden).toMatchObject({ status: 403, body: { type: `${PROBLEM}forbidden` } });
    const put = await call(api, "PUT", "/control/pools/web", "mesh.admin", body);
    expect(put.status).toBe(200);
    expect(put.headers.get("etag")).toBe('"1"');
    expect(put.headers.get("drainkit-audit-id")).toBeTruthy();
    expect(put.body).toEqual({ name: "web", maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } }, version: 1 });
    const got = await call(api, "GET", "/control/pools/web", "mesh.read");
    expect(got).toMatchObject({ status: 200, body: put.body });
    expect(got.headers.get("etag")).toBe('"1"');
    expect((await call(api, "GET", "/control/pools", "mesh.read")).body).toEqual({ items: [put.body] });
    const stale = await call(api, "PUT", "/control/pools/web", "mesh.admin", { maxUnavailable: 2 }, { "if-match": '"9"' });
    expect(stale).toMatchObject({ status: 412, body: { type: `${PROBLEM}etag-mismatch` } });
    const replaced = await call(api, "PUT", "/control/pools/web", "mesh.admin", { maxUnavailable: 2 }, { "if-match": '"1"' });
    expect(replaced).toMatchObject({ status: 200, body: { maxUnavailable: 2, roles: {}, version: 2 } });
    const audit = await call(api, "GET", "/control/audit?target=pool/web", "mesh.read");
    expect((audit.body["items"] as { action: string; outcome: string }[]).map((e) => `${e.action}:${e.outcome}`)).toEqual(["putPool:refused", "putPool:ok", "putPool:refused", "putPool:ok"]);
  });

  it("refuses bad budgets with problem+json naming the field, and an unknown pool with not-found naming it", async () => {
    api = await startTestControlApi();
    const percent = await call(api, "PUT", "/control/pools/web", "mesh.admin", { minAvailable: "150%" });
    expect(percent).toMatchObject({ status: 400, contentType: expect.stringMatching(/^application\/problem\+json/), body: { type: `${PROBLEM}validation` } });
    const none = await call(api, "PUT", "/control/pools/web", "mesh.admin", {});
    expect(none).toMatchObject({ status: 400, body: { type: `${PROBLEM}validation`, details: { field: "pool" } } });
    expect(String(none.body["detail"])).toContain('pool "web" sets no bound');
    const missing = await call(api, "GET", "/control/pools/db", "mesh.read");
    expect(missing).toMatchObject({ status: 404, body: { type: `${PROBLEM}not-found` } });
    expect(String(missing.body["detail"])).toContain("PUT /control/pools/db");
  });

  it("deletes a pool only with confirm; its members are then no longer held by the budget", async () => {
    api = await startTestControlApi();
    for (const id of ["node-a", "node-b", "node-c"]) await registerLive(api, id);
    await call(api, "PUT", "/control/pools/web", "mesh.admin", { maxUnavailable: 1 });
    expect((await call(api, "POST", "/control/peers/node-b:drain", "mesh.operate", { reason: "kernel" })).status).toBe(202);
    const refused = await call(api, "POST", "/control/peers/node-c:drain", "mesh.operate", { reason: "kernel" });
    expect(refused).toMatchObject({ status: 409, body: { type: `${PROBLEM}pool-depletion` } });
    const unconfirmed = await call(api, "DELETE", "/control/pools/web", "mesh.admin");
    expect(unconfirmed).toMatchObject({ status: 400, body: { type: `${PROBLEM}confirmation-required` } });
    const deleted = await call(api, "DELETE", "/control/pools/web", "mesh.admin", { confirm: true, reason: "retired" });
    expect(deleted).toMatchObject({ status: 200, body: { name: "web", version: 1 } });
    expect((await call(api, "GET", "/control/pools", "mesh.read")).body).toEqual({ items: [] });
    expect((await call(api, "POST", "/control/peers/node-c:drain", "mesh.operate", { reason: "kernel" })).status).toBe(202);
  });
});
