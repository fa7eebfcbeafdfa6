// @ts-nocheck
import { describe, expect, it } from "vitest";
import type { Scope } from "@drainkit/registry";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, register } from "./client.ts";

type Who = Scope | null;

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Status when allowed. */
  readonly ok: number;
  /** Scopes that are allowed; the rest get 403, anonymous gets 401. */
  readonly allowed: readonly Scope[];
  /** Extra state the route needs (a rollout to pause, ...). */
  readonly setup?: (api: TestControlApi) => Promise<unknown>;
}

const startRollout = (api: TestControlApi): Promise<unknown> => call(api, "POST", "/control/upgrade/drain", "mesh.operate", { version: "2", pool: "web", reason: "setup" });

const planMove = (api: TestControlApi): Promise<unknown> =>
  call(api, "POST", "/control/moves", "mesh.operate", { id: "mv-1", workload: "db", tier: "owner", from: "node-b", to: "node-a" });

const ALL: readonly Scope[] = ["mesh.read", "mesh.agent", "mesh.operate", "mesh.admin"];
const AGENT: readonly Scope[] = ["mesh.agent", "mesh.operate", "mesh.admin"];
const OPERATE: readonly Scope[] = ["mesh.operate", "mesh.admin"];
const ADMIN: readonly Scope[] = ["mesh.admin"];

// node-a is the test agent's own peer; node-b is the one operators act on.
const cases: readonly Case[] = [
  { name: "listPeers", method: "GET", path: "/control/peers", ok: 200, allowed: ALL },
  { name: "getPeer", method: "GET", path: "/control/peers/node-b", ok: 200, allowed: ALL },
  { name: "registerPeer (own peer)", method: "PUT", path: "/control/peers/node-a", body: { address: "a:1", pools: ["web"], roles: ["edge"] }, ok: 200, allowed: AGENT },
  { name: "reportStatus (own peer)", method: "PUT", path: "/control/peers/node-a/status", body: { roles: { edge: { phase: "active", epoch: 0 } }, epoch: 0 }, ok: 200, allowed: AGENT },
  { name: "cordon", method: "POST", path: "/control/peers/node-b:cordon", body: { reason: "r" }, ok: 200, allowed: OPERATE },
  { name: "uncordon", method: "POST", path: "/control/peers/node-b:uncordon", body: {}, ok: 200, allowed: OPERATE },
  { name: "drain", method: "POST", path: "/control/peers/node-b:drain", body: { reason: "r" }, ok: 202, allowed: OPERATE },
  { name: "forced drain", method: "POST", path: "/control/peers/node-b:drain", body: { reason: "r", force: true, confirm: true }, ok: 202, allowed: ADMIN },
  { name: "resume", method: "POST", path: "/control/peers/node-b:resume", body: {}, ok: 200, allowed: OPERATE },
  { name: "patchPeer", method: "PATCH", path: "/control/peers/node-b", body: { labels: { a: "b" } }, headers: { "if-match": '"1"' }, ok: 200, allowed: OPERATE },
  { name: "drainStatus", method: "GET", path: "/control/peers/node-b/drain", ok: 200, allowed: ALL },
  { name: "getPlacement", method: "GET", path: "/control/peers/node-b/placement", ok: 200, allowed: ALL },
  { name: "listClusters", method: "GET", path: "/control/clusters", ok: 200, allowed: ALL },
  { name: "promote", method: "POST", path: "/control/clusters/west:promote", body: { reason: "r" }, ok: 200, allowed: ADMIN },
  { name: "demote", method: "POST", path: "/control/clusters/east:demote", body: { reason: "r", confirm: true }, ok: 200, allowed: ADMIN },
  { name: "getConfig", method: "GET", path: "/control/config", ok: 200, allowed: ALL },
  { name: "patchConfig", method: "PATCH", path: "/control/config", body: { values: { "rollout.maxParallel": 2 }, confirm: true, reason: "r" }, ok: 200, allowed: ADMIN },
  { name: "getUpgrade", method: "GET", path: "/control/upgrade", ok: 200, allowed: ALL, setup: startRollout },
  { name: "listUpgrades", method: "GET", path: "/control/upgrades", ok: 200, allowed: ALL },
  { name: "startUpgrade", method: "POST", path: "/control/upgrade/drain", body: { version: "2", pool: "web", reason: "r" }, ok: 202, allowed: OPERATE },
  { name: "pauseUpgrade", method: "POST", path: "/control/upgrade:pause", body: {}, ok: 200, allowed: OPERATE, setup: startRollout },
  {
    name: "resumeUpgrade", method: "POST", path: "/control/upgrade/resume", body: {}, ok: 200, allowed: OPERATE,
    setup: async (api) => call(api, "POST", "/control/upgrade:pause", "mesh.operate", (await startRollout(api), {})),
  },
  { name: "abortUpgrade", method: "POST", path: "/control/upgrade:abort", body: { reason: "r", confirm: true }, ok: 200, allowed: OPERATE, setup: startRollout },
  { name: "listMoves", method: "GET", path: "/control/moves", ok: 200, allowed: ALL },
  { name: "planMove", method: "POST", path: "/control/moves", body: { id: "mv-1", workload: "db", tier: "owner", from: "node-b", to: "node-a" }, ok: 201, allowed: OPERATE },
  // node-a (the test agent) is the destination, so it may report serving.
  { name: "reportMove (destination)", method: "POST", path: "/control/moves/mv-1:report", body: { state: "serving" }, ok: 200, allowed: AGENT, setup: planMove },
  { name: "pruneMoves", method: "POST", path: "/control/moves:prune", body: { before: 1 }, ok: 200, allowed: OPERATE },
  { name: "queryAudit", method: "GET", path: "/control/audit", ok: 200, allowed: ALL },
  { name: "auditHead", method: "GET", path: "/control/audit/head", ok: 200, allowed: ALL },
  { name: "auditCheckpoint", method: "GET", path: "/control/audit/checkpoint", ok: 200, allowed: ALL },
  { name: "events", method: "GET", path: "/control/events", ok: 200, allowed: ALL },
];

async function fixture(c?: Case): Promise<TestControlApi> {
  const api = await startTestControlApi();
  for (const id of ["node-a", "node-b", "node-c"]) await register(api, id);
  // A second active cluster, so demoting east is allowed when the scope is.
  await call(api, "POST", "/control/clusters/west:promote", "mesh.admin", { reason: "setup" });
  await c?.setup?.(api);
  return api;
}

async function statusOf(api: TestControlApi, c: Case, who: Who): Promise<{ status: number; type?: string }> {
  if (c.name === "events") {
    const ac = new AbortController();
    const res = await fetch(api.url + c.path, { headers: who ? api.auth(who) : {}, signal: ac.signal });
    const out = res.status >= 400 ? { status: res.status, type: ((await res.json()) as { type: string }).type } : { status: res.status };
    ac.abort();
    return out;
  }
  const a = await call(api, c.method, c.path, who, c.body, c.headers ?? {});
  return a.status >= 400 ? { status: a.status, type: String(a.body["type"]) } : { status: a.status };
}

describe("RBAC matrix: every route × every scope", () => {
  const whos: readonly Who[] = [null, ...ALL];
  for (const c of cases) {
    it(`${c.method} ${c.path} (${c.name})`, async () => {
      const api = await fixture(c);
      try {
        const got: Record<string, unknown> = {};
        const want: Record<string, unknown> = {};
        for (const who of whos) {
          const key = who ?? "anonymous";
          got[key] = await statusOf(api, c, who);
          want[key] =
            who === null
              ? { status: 401, type: "https://drainkit.dev/problems/unauthenticated" }
              : c.allowed.includes(who)
                ? { status: c.ok }
                : { status: 403, type: "https://drainkit.dev/problems/forbidden" };
          // Each allowed call changes state; start the next scope from the same fixture.
          if (who !== null && c.allowed.includes(who)) {
            await api.close();
            Object.assign(api, await fixture(c));
          }
        }
        expect(got).toEqual(want);
      } finally {
        await api.close();
      }
    });
  }
});
