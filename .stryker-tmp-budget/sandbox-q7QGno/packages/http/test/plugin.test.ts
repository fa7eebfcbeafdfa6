// @ts-nocheck
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DrainkitError } from "@drainkit/core";
import { makeMemoryStore, StoreUnavailableError, type RegistryStore } from "@drainkit/registry";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, register, registerLive, type Answer } from "./client.ts";

function expectProblem(a: Answer, status: number, code: string): void {
  expect(a.status).toBe(status);
  expect(a.contentType).toMatch(/^application\/problem\+json/);
  expect(a.body["type"]).toBe(`https://drainkit.dev/problems/${code}`);
  expect(a.body["status"]).toBe(status);
  expect(typeof a.body["title"]).toBe("string");
  expect(typeof a.body["detail"]).toBe("string");
  expect(typeof a.body["next"]).toBe("string");
}

let api: TestControlApi;
beforeEach(async () => {
  api = await startTestControlApi();
});
afterEach(async () => {
  await api.close();
});

describe("peers", () => {
  it("registers a peer, returns it with an ETag, and lists it with filters and pages", async () => {
    const put = await register(api, "web-1", { labels: { zone: "a" } });
    expect(put.status).toBe(200);
    expect(put.headers.get("etag")).toBe('"1"');
    expect(put.headers.get("drainkit-audit-id")).toMatch(/.+/);
    await register(api, "web-2", { roles: ["ingest"] });
    await register(api, "web-3");

    const one = await call(api, "GET", "/control/peers/web-1", "mesh.read");
    expect(one.status).toBe(200);
    expect(one.headers.get("etag")).toBe('"1"');
    expect(one.body).toMatchObject({ id: "web-1", phase: "active", labels: { zone: "a" } });

    const byRole = await call(api, "GET", "/control/peers?role=ingest", "mesh.read");
    expect((byRole.body["items"] as { id: string }[]).map((p) => p.id)).toEqual(["web-2"]);
    const byLabel = await call(api, "GET", "/control/peers?label=zone%3Da", "mesh.read");
    expect((byLabel.body["items"] as { id: string }[]).map((p) => p.id)).toEqual(["web-1"]);

    const page1 = await call(api, "GET", "/control/peers?limit=2", "mesh.read");
    expect((page1.body["items"] as unknown[]).length).toBe(2);
    expect(typeof page1.body["nextCursor"]).toBe("string");
    const page2 = await call(api, "GET", `/control/peers?limit=2&cursor=${encodeURIComponent(String(page1.body["nextCursor"]))}`, "mesh.read");
    expect((page2.body["items"] as { id: string }[]).map((p) => p.id)).toEqual(["web-3"]);
  });

  it("answers 400 naming every bad field, and 404 for an unknown peer", async () => {
    const bad = await call(api, "PUT", "/control/peers/web-1", "mesh.operate", { address: 7, pools: ["web"], colour: "red" });
    expectProblem(bad, 400, "validation");
    const fields = (bad.body["errors"] as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(["body.address", "body.colour", "body.roles"]);

    expectProblem(await call(api, "GET", "/control/peers?limit=0", "mesh.read"), 400, "validation");
    expectProblem(await call(api, "GET", "/control/peers?colour=red", "mesh.read"), 400, "validation");
    expectProblem(await call(api, "GET", "/control/peers/bad%20id", "mesh.read"), 400, "validation");
    expectProblem(await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", "{not json"), 400, "validation");
    expectProblem(await call(api, "GET", "/control/peers/ghost", "mesh.read"), 404, "not-found");
    expectProblem(await call(api, "POST", "/control/peers/ghost:cordon", "mesh.operate", { reason: "x" }), 404, "not-found");
    expectProblem(await call(api, "GET", "/control/nothing-here", "mesh.read"), 404, "route-not-found");
  });

  it("takes status reports from the peer's own agent only", async () => {
    expect((await call(api, "PUT", "/control/peers/node-a", "mesh.agent", { address: "a:1", pools: ["web"], roles: ["edge"] })).status).toBe(200);
    expectProblem(await call(api, "PUT", "/control/peers/node-b", "mesh.agent", { address: "b:1", pools: ["web"], roles: ["edge"] }), 403, "forbidden");
    const report = await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: { edge: { phase: "active", epoch: 0 } }, epoch: 0, inFlight: { http: 3 } });
    expect(report.status).toBe(200);
    expect((report.body["status"] as { inFlight: unknown }).inFlight).toEqual({ http: 3 });
    expectProblem(await call(api, "PUT", "/control/peers/node-a/status", "mesh.agent", { roles: {}, epoch: -1 }), 400, "validation");
  });
});

describe("cordon, drain, resume", () => {
  beforeEach(async () => {
    await registerLive(api, "web-1");
    await registerLive(api, "web-2");
  });

  it("cordons idempotently: the same Idempotency-Key replays, a different request with it is 409", async () => {
    const first = await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "kernel", ticket: "CHG-1" }, { "idempotency-key": "k-1" });
    expect(first.status).toBe(200);
    expect(first.body["phase"]).toBe("cordoned");
    expect(first.headers.get("drainkit-changed")).toBe("true");
    const replay = await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "kernel", ticket: "CHG-1" }, { "idempotency-key": "k-1" });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("etag")).toBe(first.headers.get("etag"));
    expectProblem(await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "other" }, { "idempotency-key": "k-1" }), 409, "idempotency-conflict");

    const again = await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "kernel" });
    expect(again.status).toBe(200);
    expect(again.headers.get("drainkit-changed")).toBe("false");

    const audit = await call(api, "GET", "/control/audit?action=cordon&outcome=ok", "mesh.read");
    expect((audit.body["items"] as unknown[]).length).toBe(2);
    expectProblem(await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", {}), 400, "validation");
  });

  it("drains: 202 with remaining counts while in progress, 200 with zero counts once drained", async () => {
    const drain = await call(api, "POST", "/control/peers/web-1:drain", "mesh.operate", { reason: "upgrade", deadlineMs: 60_000 });
    expect(drain.status).toBe(202);
    expect(drain.body).toMatchObject({ peer: "web-1", epoch: 1, status: "draining", remaining: { inFlight: 0, owners: 0, children: 0 } });

    await call(api, "PUT", "/control/peers/web-1/status", "mesh.operate", { roles: { edge: { phase: "draining", epoch: 1 } }, epoch: 1, inFlight: { http: 4 }, workloads: { owners: 1, children: 2 } });
    const progress = await call(api, "GET", "/control/peers/web-1/drain", "mesh.read");
    expect(progress.status).toBe(202);
    expect(progress.body["remaining"]).toEqual({ inFlight: 4, owners: 1, children: 2 });

    expectProblem(await call(api, "POST", "/control/peers/web-1:uncordon", "mesh.operate", {}), 409, "invalid-transition");

    await call(api, "PUT", "/control/peers/web-1/status", "mesh.operate", { roles: { edge: { phase: "drained", epoch: 1 } }, epoch: 1, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
    const done = await call(api, "GET", "/control/peers/web-1/drain", "mesh.read");
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "drained", epoch: 1, remaining: { inFlight: 0, owners: 0, children: 0 } });

    const redrain = await call(api, "POST", "/control/peers/web-1:drain", "mesh.operate", { reason: "upgrade" });
    expect(redrain.status).toBe(200);
    expect(redrain.body).toMatchObject({ status: "drained", epoch: 1, remaining: { inFlight: 0, owners: 0, children: 0 } });

    const resumed = await call(api, "POST", "/control/peers/web-1:resume", "mesh.operate", { reason: "done" });
    expect(resumed.status).toBe(200);
    expect(resumed.body["phase"]).toBe("active");
    expect((await call(api, "GET", "/control/peers/web-1/drain", "mesh.read")).body["status"]).toBe("none");
  });

  it("refuses to drain the only schedulable node (409)", async () => {
    await call(api, "POST", "/control/peers/web-1:drain", "mesh.operate", { reason: "upgrade" });
    expectProblem(await call(api, "POST", "/control/peers/web-2:drain", "mesh.operate", { reason: "upgrade" }), 409, "only-schedulable-node");
  });

  it("refuses cordon-then-drain exactly where a drain is refused: one guard for every way down", async () => {
    await call(api, "POST", "/control/peers/web-1:drain", "mesh.operate", { reason: "upgrade" });
    expectProblem(await call(api, "POST", "/control/peers/web-2:cordon", "mesh.operate", { reason: "upgrade" }), 409, "only-schedulable-node");
    const forced = await call(api, "POST", "/control/peers/web-2:cordon", "mesh.admin", { reason: "disk swap", force: true, confirm: true });
    expect(forced.status).toBe(200);
    expectProblem(await call(api, "POST", "/control/peers/web-2:drain", "mesh.operate", { reason: "upgrade" }), 409, "only-schedulable-node");
  });

  it("never reads drained while work remains on the host", async () => {
    await call(api, "POST", "/control/peers/web-1:drain", "mesh.operate", { reason: "upgrade" });
    await call(api, "PUT", "/control/peers/web-1/status", "mesh.operate", { roles: { edge: { phase: "drained", epoch: 1 } }, epoch: 1, inFlight: { http: 5 }, workloads: { owners: 1, children: 2 } });
    const status = await call(api, "GET", "/control/peers/web-1/drain", "mesh.read");
    expect(status.status).toBe(202);
    expect(status.body).toMatchObject({ status: "draining", remaining: { inFlight: 5, owners: 1, children: 2 } });
    expectProblem(await call(api, "PUT", "/control/peers/web-1/status", "mesh.operate", { roles: {}, epoch: 7 }), 409, "future-epoch");
  });

  it("uncordons with and without a body", async () => {
    await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "x" });
    const res = await fetch(`${api.url}/control/peers/web-1:uncordon`, { method: "POST", headers: api.auth("mesh.operate") });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { phase: string }).phase).toBe("active");
  });
});

describe("merge patch with If-Match", () => {
  it("needs If-Match (428), refuses a stale one (412), applies a current one", async () => {
    await register(api, "web-1", { labels: { zone: "a", rack: "r1" } });
    const patch = { labels: { zone: "b", rack: null } };
    expectProblem(await call(api, "PATCH", "/control/peers/web-1", "mesh.operate", patch), 428, "precondition-required");
    expectProblem(await call(api, "PATCH", "/control/peers/web-1", "mesh.operate", patch, { "if-match": '"99"' }), 412, "etag-mismatch");
    const etag = (await call(api, "GET", "/control/peers/web-1", "mesh.read")).headers.get("etag")!;
    const ok = await call(api, "PATCH", "/control/peers/web-1", "mesh.operate", JSON.stringify(patch), { "if-match": etag, "content-type": "application/merge-patch+json" });
    expect(ok.status).toBe(200);
    expect(ok.body["labels"]).toEqual({ zone: "b" });
    expect(ok.headers.get("etag")).not.toBe(etag);
  });
});

describe("clusters and config", () => {
  it("promotes and demotes with confirmation, never the last active cluster", async () => {
    const list = await call(api, "GET", "/control/clusters", "mesh.read");
    expect((list.body["items"] as { id: string }[]).map((c) => c.id).sort()).toEqual(["east", "west"]);
    const noReason = await call(api, "POST", "/control/clusters/east:demote", "mesh.admin", { confirm: true });
    expectProblem(noReason, 400, "validation");
    expect(noReason.body["detail"]).toContain('demoting cluster "east"');
    expectProblem(await call(api, "POST", "/control/clusters/east:demote", "mesh.admin", { reason: "dr drill" }), 400, "confirmation-required");
    expectProblem(await call(api, "POST", "/control/clusters/east:demote", "mesh.admin", { confirm: true, reason: "dr drill" }), 409, "last-active-cluster");
    expect((await call(api, "POST", "/control/clusters/west:promote", "mesh.admin", { reason: "dr drill" })).status).toBe(200);
    const demoted = await call(api, "POST", "/control/clusters/east:demote", "mesh.admin", { confirm: true, reason: "dr drill" });
    expect(demoted.status).toBe(200);
    expect(demoted.body["role"]).toBe("backup");
    expectProblem(await call(api, "POST", "/control/clusters/nowhere:promote", "mesh.admin", {}), 404, "not-found");
  });

  it("reads and patches allow-listed config", async () => {
    const get = await call(api, "GET", "/control/config", "mesh.read");
    expect(get.status).toBe(200);
    expect(get.headers.get("etag")).toMatch(/^"\d+"$/);
    expectProblem(await call(api, "PATCH", "/control/config", "mesh.admin", { values: { "maintenance.freeze": true } }), 400, "confirmation-required");
    const ok = await call(api, "PATCH", "/control/config", "mesh.admin", { values: { "maintenance.freeze": true }, confirm: true, reason: "freeze" });
    expect(ok.status).toBe(200);
    expect((ok.body["values"] as Record<string, unknown>)["maintenance.freeze"]).toBe(true);
    expectProblem(await call(api, "PATCH", "/control/config", "mesh.admin", { values: { "no.such.key": 1 }, confirm: true, reason: "x" }), 400, "validation");
  });
});

describe("auth and audit", () => {
  it("answers 401 without a token and 403 without the scope, and audits both", async () => {
    await register(api, "web-1");
    expectProblem(await call(api, "POST", "/control/peers/web-1:cordon", null, { reason: "x" }), 401, "unauthenticated");
    expectProblem(await call(api, "POST", "/control/peers/web-1:cordon", null, { reason: "x" }, { authorization: "Bearer wrong" }), 401, "unauthenticated");
    expectProblem(await call(api, "POST", "/control/peers/web-1:cordon", "mesh.read", { reason: "x" }), 403, "forbidden");
    expectProblem(await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: 5 }), 400, "validation");
    const refused = await call(api, "GET", "/control/audit?outcome=refused&target=peer%2Fweb-1", "mesh.read");
    const codes = (refused.body["items"] as { errorCode: string; actor: string }[]).map((e) => `${e.actor}:${e.errorCode}`);
    expect(codes).toEqual(["anonymous:unauthenticated", "anonymous:unauthenticated", "reader:forbidden", "operator:validation"]);
    expect((await call(api, "GET", "/control/peers/web-1", "mesh.read")).body["phase"]).toBe("active");
    expectProblem(await call(api, "GET", "/control/audit?outcome=maybe", "mesh.read"), 400, "validation");
  });

  it("rate-limits repeated authentication failures from one client with 429", async () => {
    await api.close();
    api = await startTestControlApi({ failureLimiter: { maxFailures: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) expect((await call(api, "GET", "/control/peers", null, undefined, { authorization: "Bearer guess" })).status).toBe(401);
    const limited = await call(api, "GET", "/control/peers", null, undefined, { authorization: "Bearer guess" });
    expectProblem(limited, 429, "rate-limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("never blocks a valid token from an address that a guesser shares (agents behind one NAT)", async () => {
    await api.close();
    api = await startTestControlApi({ failureLimiter: { maxFailures: 3, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) await call(api, "GET", "/control/peers", null, undefined, { authorization: "Bearer guess" });
    expectProblem(await call(api, "GET", "/control/peers", null, undefined, { authorization: "Bearer guess" }), 429, "rate-limited");
    expect((await call(api, "GET", "/control/peers", "mesh.read")).status).toBe(200);
  });
});

describe("store failures", () => {
  it("answers 503 store-unavailable with Retry-After when the store fails, and /readyz says so", async () => {
    await api.close();
    let down = false;
    const inner = makeMemoryStore();
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          if (down && prop !== "watch") {
            if (prop === "ping") return Promise.resolve(false);
            return Promise.reject(new StoreUnavailableError());
          }
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as RegistryStore;
    api = await startTestControlApi({ store });
    await register(api, "web-1");
    down = true;
    const failed = await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "x" });
    expectProblem(failed, 503, "store-unavailable");
    expect(failed.headers.get("retry-after")).toBe("1");
    expectProblem(await call(api, "GET", "/readyz", null), 503, "store-unavailable");
    down = false;
    expect((await call(api, "GET", "/readyz", null)).status).toBe(200);
  });
});

describe("store full", () => {
  it("answers 507 store-full, retryable, with a next that says what to free; nothing is pinned to the Idempotency-Key", async () => {
    await api.close();
    let full = false;
    const inner = makeMemoryStore();
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          if (full && prop === "txn") return Promise.reject(new DrainkitError("store-full", "SQLite database /var/lib/drainkit/drainkit.db cannot grow (database or disk is full); free disk space on its volume, then retry.", { retryable: true, details: { path: "/var/lib/drainkit/drainkit.db" } }));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as RegistryStore;
    api = await startTestControlApi({ store });
    await register(api, "web-1");
    full = true;
    const failed = await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "x" }, { "idempotency-key": "cordon-web-1" });
    expectProblem(failed, 507, "store-full");
    expect(failed.body).toMatchObject({ retryable: true, details: { path: "/var/lib/drainkit/drainkit.db" } });
    expect(String(failed.body["next"])).toMatch(/free space/i);
    expect(String(failed.body["next"])).toMatch(/quota-backend-bytes/);
    full = false;
    expect((await call(api, "POST", "/control/peers/web-1:cordon", "mesh.operate", { reason: "x" }, { "idempotency-key": "cordon-web-1" })).status).toBe(200);
  });
});

describe("/readyz", () => {
  const withReadiness = async (report: Record<string, unknown>): Promise<Answer> => {
    await api.close();
    api = await startTestControlApi({ readiness: async () => report as never });
    return call(api, "GET", "/readyz", null);
  };

  it("names a store outage store-unavailable even though no leader can be known without the store", async () => {
    const a = await withReadiness({ checks: { store: false, "store-writes": false, leader: false }, role: "no leader known", store: { status: "unreachable" } });
    expectProblem(a, 503, "store-unavailable");
    expect(a.body).toMatchObject({ role: "no leader known", store: { status: "unreachable" } });
  });

  it("fails while writes fail though the store answers reads", async () => {
    const a = await withReadiness({ checks: { store: true, "store-writes": false, leader: true }, role: "leader", leader: "r1", store: { status: "writes-failing", error: "store-full" } });
    expectProblem(a, 503, "store-unavailable");
    expect(a.body).toMatchObject({ role: "leader", store: { error: "store-full" } });
  });

  it("says no-leader when the store is fine and nobody leads, and reports role and leader when ready", async () => {
    expectProblem(await withReadiness({ checks: { store: true, "store-writes": true, leader: false }, role: "no leader known", store: { status: "ok" } }), 503, "no-leader");
    const ok = await withReadiness({ checks: { store: true, "store-writes": true, leader: true }, role: "follower", leader: "r2", store: { status: "ok" } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: "ready", role: "follower", leader: "r2", store: { status: "ok" } });
  });
});

describe("health, metrics, OpenAPI", () => {
  it("serves /healthz, /metrics with request and mutation series, and an OpenAPI 3.1 document of every route", async () => {
    expect((await call(api, "GET", "/healthz", null)).status).toBe(200);
    await register(api, "web-1");
    await call(api, "POST", "/control/peers/web-1:cordon", "mesh.read", { reason: "x" });
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toContain('drainkit_mutations_total{action="registerPeer",outcome="ok"} 1');
    expect(metrics).toContain('drainkit_mutations_total{action="cordon",outcome="refused"} 1');
    expect(metrics).toMatch(/drainkit_http_request_duration_seconds_bucket\{.*route="\/control\/peers\/:id"/);
    expect(metrics).toContain('drainkit_pool_available{pool="web"} 1');
    expect(metrics).toContain("drainkit_drains_in_flight 0");

    const doc = (await call(api, "GET", "/openapi.json", null)).body as { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };
    expect(doc.openapi).toBe("3.1.0");
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p).map((o) => o.operationId)).sort();
    expect(ops).toEqual(
      [
        "abortUpgrade", "ackRouter", "approveChange", "auditCheckpoint", "auditHead", "cordon", "demote", "drain", "drainStatus", "events", "getApproval", "getConfig", "getPeer", "getPlacement", "getUpgrade", "healthz", "listApprovals", "listClusters", "listMoves", "listPeers", "listUpgrades", "metrics", "planMove", "pruneMoves", "reportMove",
        "patchConfig", "patchPeer", "pauseUpgrade", "promote", "listPools", "getPool", "putPool", "deletePool", "queryAudit", "readyz", "registerPeer", "registerRouter", "rejectChange", "releaseRouter", "reportStatus", "resume", "resumeUpgrade", "startUpgrade", "uncordon",
      ].sort(),
    );
    expect(doc.paths["/control/peers/{id}:drain"]!["post"]!.responses).toHaveProperty("202");
    expect(doc.paths["/control/peers/{id}"]!["patch"]!.responses).toHaveProperty("428");
  });
});
