// @ts-nocheck
import { afterEach, describe, expect, it } from "vitest";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, registerLive, type Answer } from "./client.ts";

function expectProblem(a: Answer, status: number, code: string): void {
  expect(a.status).toBe(status);
  expect(a.contentType).toMatch(/^application\/problem\+json/);
  expect(a.body["type"]).toBe(`https://drainkit.dev/problems/${code}`);
  expect(typeof a.body["detail"]).toBe("string");
  expect(typeof a.body["next"]).toBe("string");
}

interface RolloutBody {
  id: string;
  state: string;
  version: string;
  plan: { waves: { index: number; nodes: string[] }[]; blocked: { node: string; reason: string; pool?: string; detail: string }[] };
  nodes: Record<string, { step: string; wave?: number; reason?: string }>;
  progress: { total: number; done: number; failed: number; inProgress: number; pending: number };
}

const rolloutOf = (a: Answer): RolloutBody => a.body as unknown as RolloutBody;

let api: TestControlApi;
afterEach(async () => {
  await api.close();
});

/** web-1..3 in pool web (at most one down at a time), db-1 alone in pool db (one must stay). */
async function fleet(): Promise<TestControlApi> {
  const started = await startTestControlApi({ pools: [{ name: "web", maxUnavailable: 1 }, { name: "db", minAvailable: 1 }] });
  for (const id of ["web-1", "web-2", "web-3"]) await registerLive(started, id, { labels: { tier: "front" } });
  await registerLive(started, "db-1", { pools: ["db"], roles: ["storage"] });
  return started;
}

const auditOf = async (action: string): Promise<{ outcome: string; target: string; errorCode?: string }[]> =>
  (await call(api, "GET", `/control/audit?action=${action}`, "mesh.read")).body["items"] as { outcome: string; target: string; errorCode?: string }[];

describe("rolling upgrade: /control/upgrade", () => {
  it("dry run answers 200 with the waves and, per node, what blocks it, and writes nothing but its audit entry", async () => {
    api = await fleet();
    const dry = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", maxParallel: 3, reason: "quarterly upgrade", dryRun: true });
    expect(dry.status).toBe(200);
    const plan = rolloutOf(dry).plan;
    // web's budget allows one down at a time, so three waves; db-1 is its pool's last member.
    expect(plan.waves.map((w) => w.nodes.filter((n) => n.startsWith("web")).length)).toEqual([1, 1, 1]);
    expect(plan.blocked).toEqual([expect.objectContaining({ node: "db-1", reason: "pool-budget", pool: "db" })]);
    expect(plan.blocked[0]!.detail).toMatch(/db/);
    expectProblem(await call(api, "GET", "/control/upgrade", "mesh.read"), 404, "not-found");
    // The dry run is audited (marked dryRun), and nothing else is written.
    expect(await auditOf("startRollout")).toEqual([expect.objectContaining({ outcome: "ok", dryRun: true, reason: "quarterly upgrade" })]);
  });

  it("starts (202), shows plan, steps and counts, refuses a second rollout (409) and replays an Idempotency-Key", async () => {
    api = await fleet();
    const key = { "idempotency-key": "upgrade-2-0-0" };
    const started = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", label: "tier=front", reason: "quarterly upgrade", ticket: "CHG-7" }, key);
    expect(started.status).toBe(202);
    expect(started.headers.get("drainkit-audit-id")).toMatch(/.+/);
    const r = rolloutOf(started);
    expect(r).toMatchObject({ state: "running", version: "2.0.0", progress: { total: 3, done: 0, failed: 0, inProgress: 0, pending: 3 } });
    expect(Object.keys(r.nodes).sort()).toEqual(["web-1", "web-2", "web-3"]);
    expect(Object.values(r.nodes).every((n) => n.step === "pending")).toBe(true);

    const again = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", label: "tier=front", reason: "quarterly upgrade", ticket: "CHG-7" }, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(rolloutOf(again).id).toBe(r.id);

    const got = await call(api, "GET", "/control/upgrade", "mesh.read");
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe('"1"');
    expect(rolloutOf(got).id).toBe(r.id);
    expect(rolloutOf(await call(api, "GET", `/control/upgrade?id=${r.id}`, "mesh.read")).id).toBe(r.id);
    expect((await call(api, "GET", "/control/upgrades", "mesh.read")).body["items"]).toHaveLength(1);
    expect(await (await fetch(`${api.url}/metrics`)).text()).toContain('drainkit_rollout_nodes{step="pending"} 3');

    const second = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "3.0.0", reason: "too eager" });
    expectProblem(second, 409, "rollout-in-progress");
    expect((await auditOf("startRollout")).map((e) => [e.outcome, e.errorCode ?? ""])).toEqual([
      ["ok", ""],
      ["refused", "rollout-in-progress"],
    ]);
    expect((await auditOf("startRollout"))[0]!.target).toBe(`rollout/${r.id}`);
  });

  it("pauses, resumes and aborts (abort needs confirm); verbs that do not apply are 409", async () => {
    api = await fleet();
    await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", pool: "web", reason: "upgrade" });

    const paused = await call(api, "POST", "/control/upgrade:pause", "mesh.operate", { reason: "watching error rates" });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ state: "paused", stateReason: "watching error rates" });
    const twice = await call(api, "POST", "/control/upgrade:pause", "mesh.operate", {});
    expect(twice.status).toBe(200);
    expect(twice.headers.get("drainkit-changed")).toBe("false");

    const resumed = await call(api, "POST", "/control/upgrade/resume", "mesh.operate", { reason: "looks fine" });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ state: "running" });

    expectProblem(await call(api, "POST", "/control/upgrade:abort", "mesh.operate", { reason: "stop" }), 400, "confirmation-required");
    const aborted = await call(api, "POST", "/control/upgrade:abort", "mesh.operate", { reason: "stop", confirm: true });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toMatchObject({ state: "aborting" });
    expectProblem(await call(api, "POST", "/control/upgrade/resume", "mesh.operate", {}), 409, "rollout-invalid-transition");

    const actions = ((await call(api, "GET", "/control/audit?target=" + encodeURIComponent(`rollout/${String(aborted.body["id"])}`), "mesh.read")).body["items"] as { action: string; outcome: string }[]).map(
      (e) => `${e.action}:${e.outcome}`,
    );
    expect(actions).toEqual(["startRollout:ok", "pauseRollout:ok", "pauseRollout:ok", "resumeRollout:ok", "abortRollout:refused", "abortRollout:ok", "resumeRollout:refused"]);
  });

  it("answers 400 naming bad input, 404 without a rollout, 401/403 at the door, all audited", async () => {
    api = await fleet();
    const missing = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { pool: "web" });
    expectProblem(missing, 400, "validation");
    expect((missing.body["errors"] as { field: string }[]).map((e) => e.field).sort()).toEqual(["body.reason", "body.version"]);
    expectProblem(await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2", pool: "nowhere", reason: "r" }), 400, "validation");
    expectProblem(await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2", nodes: ["ghost"], reason: "r" }), 400, "validation");
    const db1 = await call(api, "GET", "/control/peers/db-1", "mesh.read");
    expect((await call(api, "PATCH", "/control/peers/db-1", "mesh.operate", { metadata: { version: "2" } }, { "if-match": db1.headers.get("etag")! })).status).toBe(200);
    const already = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2", pool: "db", reason: "r" });
    expectProblem(already, 400, "validation");
    expect(already.body["detail"]).toMatch(/already runs 2/);

    expectProblem(await call(api, "GET", "/control/upgrade", "mesh.read"), 404, "not-found");
    expectProblem(await call(api, "POST", "/control/upgrade:pause", "mesh.operate", {}), 404, "not-found");
    expectProblem(await call(api, "POST", "/control/upgrade/drain", null, { version: "2", reason: "r" }), 401, "unauthenticated");
    expectProblem(await call(api, "POST", "/control/upgrade/drain", "mesh.read", { version: "2", reason: "r" }), 403, "forbidden");
    expectProblem(await call(api, "POST", "/control/upgrade:abort", "mesh.agent", { confirm: true }), 403, "forbidden");
    const refused = (await auditOf("startRollout")).map((e) => e.errorCode);
    expect(refused).toEqual(["validation", "validation", "validation", "validation", "unauthenticated", "forbidden"]);
  });

  it("config maintenance.freeze refuses a new rollout with problem+json maintenance-freeze whose next names the key; rollout.maxParallel sizes the waves", async () => {
    api = await fleet();
    await call(api, "PATCH", "/control/config", "mesh.admin", { values: { "maintenance.freeze": true }, confirm: true, reason: "change freeze" });
    const frozen = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", pool: "web", reason: "release" });
    expectProblem(frozen, 409, "maintenance-freeze");
    expect(frozen.body["next"]).toMatch(/maintenance\.freeze/);
    expect(frozen.body["details"]).toMatchObject({ key: "maintenance.freeze", value: true });
    expectProblem(await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", pool: "web", reason: "release", dryRun: true }), 409, "maintenance-freeze");
    // The dry run is audited too (marked dryRun).
    expect((await auditOf("startRollout")).map((e) => `${e.outcome}:${e.errorCode ?? ""}`)).toEqual(["refused:maintenance-freeze", "refused:maintenance-freeze"]);

    await call(api, "PATCH", "/control/config", "mesh.admin", { values: { "maintenance.freeze": null, "rollout.maxParallel": 3 }, confirm: true, reason: "thaw" });
    // web allows one down: the budget still caps the waves; the setting is the plan's maxParallel.
    const dry = rolloutOf(await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", pool: "web", reason: "release", dryRun: true }));
    expect((dry as unknown as { settings: { maxParallel: number } }).settings.maxParallel).toBe(3);
  });

  it("verifies by default; verify=false answers with the warning and the settings it runs with", async () => {
    api = await fleet();
    const verified = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", pool: "web", reason: "release", dryRun: true });
    expect(verified.body["settings"]).toMatchObject({ verify: true, minHealthyMs: 10_000 });
    expect(verified.body["warnings"]).toBeUndefined();
    const loose = await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", pool: "web", reason: "hotfix", verify: false, minHealthyMs: 0 });
    expect(loose.status).toBe(202);
    expect(loose.body["settings"]).toMatchObject({ verify: false, minHealthyMs: 0 });
    expect(loose.body["warnings"]).toEqual([expect.stringContaining("unverified")]);
    const entry = (await call(api, "GET", "/control/audit?action=startRollout", "mesh.read")).body["items"] as { reason: string; dryRun?: boolean }[];
    // The verified dry run is audited first (marked dryRun), then the unverified start.
    expect(entry.map((e) => [e.reason, e.dryRun ?? false])).toEqual([["release", true], ["hotfix [unverified: verify=false]", false]]);
  });

  it("streams rollout changes on /control/events as `event: rollout`", async () => {
    api = await fleet();
    const ac = new AbortController();
    const res = await fetch(`${api.url}/control/events?kinds=rollout`, { headers: api.auth("mesh.read"), signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    await call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2.0.0", pool: "web", reason: "upgrade" });
    await call(api, "POST", "/control/upgrade:pause", "mesh.operate", {});
    let text = "";
    while ((text.match(/event: rollout/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    ac.abort();
    const states = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!) as { kind: string; value: { state: string } }).map((c) => `${c.kind}:${c.value.state}`);
    expect(states).toEqual(["rollout:running", "rollout:paused"]);
    expect(text).not.toMatch(/event: (peer|audit)/);
  });

  it("documents every upgrade route in /openapi.json", async () => {
    api = await fleet();
    const doc = (await call(api, "GET", "/openapi.json", null)).body as { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };
    expect(doc.paths["/control/upgrade"]!["get"]!.operationId).toBe("getUpgrade");
    expect(doc.paths["/control/upgrade/drain"]!["post"]!.responses).toHaveProperty("202");
    expect(doc.paths["/control/upgrade/resume"]!["post"]!.operationId).toBe("resumeUpgrade");
    expect(doc.paths["/control/upgrade:pause"]!["post"]!.operationId).toBe("pauseUpgrade");
    expect(doc.paths["/control/upgrade:abort"]!["post"]!.operationId).toBe("abortUpgrade");
  });
});
