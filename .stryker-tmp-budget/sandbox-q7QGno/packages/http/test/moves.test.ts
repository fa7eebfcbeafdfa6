// @ts-nocheck
import { afterEach, describe, expect, it } from "vitest";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, register } from "./client.ts";

let api: TestControlApi;
afterEach(async () => {
  await api.close();
});

const PROBLEM = "https://drainkit.dev/problems/";

// The test agent is node-a's; moves into node-a are reported by it, moves out of node-b by an operator.
async function fleet(): Promise<TestControlApi> {
  api = await startTestControlApi();
  for (const id of ["node-a", "node-b", "node-c"]) await register(api, id);
  return api;
}

const plan = { id: "mv-1", workload: "db", tier: "owner", from: "node-b", to: "node-a", drain: { target: "node-b", epoch: 1 } };

describe("/control/moves", () => {
  it("plans a move (201, ETag), replays the same plan as 200, and refuses another plan under the same id with 409", async () => {
    await fleet();
    const created = await call(api, "POST", "/control/moves", "mesh.operate", plan, { "idempotency-key": "plan-1" });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe('"1"');
    expect(created.body).toMatchObject({ ...plan, state: "starting", plannedBy: "operator", generation: 1 });
    const keyed = await call(api, "POST", "/control/moves", "mesh.operate", plan, { "idempotency-key": "plan-1" });
    expect(keyed.headers.get("idempotent-replayed")).toBe("true");
    const same = await call(api, "POST", "/control/moves", "mesh.admin", plan);
    expect(same.status).toBe(200);
    expect(same.headers.get("drainkit-changed")).toBe("false");
    const other = await call(api, "POST", "/control/moves", "mesh.operate", { ...plan, to: "node-c" });
    expect(other).toMatchObject({ status: 409, contentType: expect.stringMatching(/^application\/problem\+json/), body: { type: `${PROBLEM}move-plan-conflict` } });
    const ghost = await call(api, "POST", "/control/moves", "mesh.operate", { ...plan, id: "mv-2", to: "ghost" });
    expect(ghost).toMatchObject({ status: 404, body: { type: `${PROBLEM}not-found` } });
    const bad = await call(api, "POST", "/control/moves", "mesh.operate", { ...plan, id: "mv-3", tier: "sideways" });
    expect(bad).toMatchObject({ status: 400, body: { type: `${PROBLEM}validation` } });
  });

  it("walks a move through serving and done; an illegal report is a 409 problem, an unknown move 404, each audited", async () => {
    await fleet();
    await call(api, "POST", "/control/moves", "mesh.operate", plan);
    const early = await call(api, "POST", "/control/moves/mv-1:report", "mesh.operate", { state: "done" });
    expect(early).toMatchObject({ status: 409, body: { type: `${PROBLEM}move-state-conflict`, details: { from: "starting", allowed: ["serving", "failed"] } } });
    const serving = await call(api, "POST", "/control/moves/mv-1:report", "mesh.agent", { state: "serving" });
    expect(serving).toMatchObject({ status: 200, body: { state: "serving", generation: 2 } });
    expect(serving.headers.get("etag")).toBe('"2"');
    // node-a is the destination: stopping the source's copy is not its to report.
    const wrongSide = await call(api, "POST", "/control/moves/mv-1:report", "mesh.agent", { state: "done" });
    expect(wrongSide).toMatchObject({ status: 403, body: { type: `${PROBLEM}forbidden` } });
    const stale = await call(api, "POST", "/control/moves/mv-1:report", "mesh.operate", { state: "done" }, { "if-match": '"1"' });
    expect(stale.status).toBe(412);
    const done = await call(api, "POST", "/control/moves/mv-1:report", "mesh.operate", { state: "done" }, { "if-match": '"2"' });
    expect(done).toMatchObject({ status: 200, body: { state: "done", generation: 3 } });
    const unknown = await call(api, "POST", "/control/moves/nope:report", "mesh.operate", { state: "serving" });
    expect(unknown).toMatchObject({ status: 404, body: { type: `${PROBLEM}not-found` } });
    const audit = await call(api, "GET", "/control/audit?target=move/mv-1", "mesh.read");
    expect((audit.body["items"] as { action: string; outcome: string; errorCode?: string }[]).map((e) => `${e.action}:${e.outcome}:${e.errorCode ?? ""}`)).toEqual([
      "planMove:ok:",
      "reportMove:refused:move-state-conflict",
      "reportMove:ok:",
      "reportMove:refused:forbidden",
      "reportMove:refused:etag-mismatch",
      "reportMove:ok:",
    ]);
  });

  it("lists moves by peer, state and active; an agent sees only its own", async () => {
    await fleet();
    await call(api, "POST", "/control/moves", "mesh.operate", plan);
    await call(api, "POST", "/control/moves", "mesh.operate", { id: "mv-2", workload: "db-1", tier: "child", owner: "db", from: "node-b", to: "node-c" });
    await call(api, "POST", "/control/moves/mv-2:report", "mesh.operate", { state: "failed", reason: "no capacity" });
    const ids = async (query: string, scope: "mesh.read" | "mesh.agent" = "mesh.read"): Promise<string[]> =>
      ((await call(api, "GET", `/control/moves${query}`, scope)).body["items"] as { id: string }[]).map((m) => m.id);
    expect(await ids("")).toEqual(["mv-1", "mv-2"]);
    expect(await ids("?peer=node-c")).toEqual(["mv-2"]);
    expect(await ids("?state=failed")).toEqual(["mv-2"]);
    expect(await ids("?active=true")).toEqual(["mv-1"]);
    expect(await ids("?active=false&peer=node-b")).toEqual(["mv-2"]);
    expect(await ids("", "mesh.agent")).toEqual(["mv-1"]);
    expect((await call(api, "GET", "/control/moves?state=lost", "mesh.read")).status).toBe(400);
  });

  it("prunes ended moves before a time and says how many", async () => {
    await fleet();
    await call(api, "POST", "/control/moves", "mesh.operate", plan);
    await call(api, "POST", "/control/moves", "mesh.operate", { ...plan, id: "mv-2" });
    await call(api, "POST", "/control/moves/mv-2:report", "mesh.agent", { state: "failed", reason: "crashed" });
    const pruned = await call(api, "POST", "/control/moves:prune", "mesh.operate", { before: Date.now() + 1_000, reason: "housekeeping" });
    expect(pruned).toMatchObject({ status: 200, body: { deleted: 1, remaining: 0 } });
    expect(((await call(api, "GET", "/control/moves", "mesh.read")).body["items"] as { id: string }[]).map((m) => m.id)).toEqual(["mv-1"]);
    expect((await call(api, "POST", "/control/moves:prune", "mesh.operate", {})).status).toBe(400);
  });
});

describe("placement in status reports", () => {
  it("accepts the workloads a peer holds, serves them at /placement and keeps only counts and a version on the peer", async () => {
    await fleet();
    const never = await call(api, "GET", "/control/peers/node-a/placement", "mesh.read");
    expect(never).toMatchObject({ status: 200, body: { peer: "node-a", items: [], version: 0, updatedAt: 0 } });
    const placement = [{ id: "db" }, { id: "db-1", owner: "db" }, { id: "ns:cache" }];
    const r = await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: { edge: { phase: "active", epoch: 0 } }, epoch: 0, placement });
    expect(r.status).toBe(200);
    const peer = await call(api, "GET", "/control/peers/node-a", "mesh.read");
    expect(peer.body["status"]).toMatchObject({ placementVersion: 1, workloads: { owners: 2, children: 1 } });
    expect(peer.body["status"]).not.toHaveProperty("placement");
    const held = await call(api, "GET", "/control/peers/node-a/placement", "mesh.agent");
    expect(held).toMatchObject({ status: 200, body: { peer: "node-a", items: placement, version: 1 } });
    // The same list again (a heartbeat) keeps the version; a changed one bumps it.
    await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: {}, epoch: 0, placement });
    expect((await call(api, "GET", "/control/peers/node-a/placement", "mesh.read")).body["version"]).toBe(1);
    await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: {}, epoch: 0, placement: placement.slice(1) });
    expect((await call(api, "GET", "/control/peers/node-a/placement", "mesh.read")).body).toMatchObject({ version: 2, items: placement.slice(1) });
    expect(await call(api, "GET", "/control/peers/ghost/placement", "mesh.read")).toMatchObject({ status: 404, body: { type: `${PROBLEM}not-found` } });
    expect(await call(api, "GET", "/control/peers/node-a/placement", null)).toMatchObject({ status: 401 });
  });

  it("refuses a malformed placement with field errors and changes nothing", async () => {
    await fleet();
    const bad = await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: {}, epoch: 0, placement: [{ id: "a" }, { id: "a b" }] });
    expect(bad).toMatchObject({ status: 400, body: { type: `${PROBLEM}validation` } });
    expect(JSON.stringify(bad.body["errors"])).toContain("body.placement.1.id");
    const dup = await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: {}, epoch: 0, placement: [{ id: "a" }, { id: "a" }] });
    expect(dup).toMatchObject({ status: 400, body: { details: { field: "placement[1].id" } } });
    expect((await call(api, "GET", "/control/peers/node-a", "mesh.read")).body["status"]).toBeUndefined();
  });
});
