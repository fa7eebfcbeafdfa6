// @ts-nocheck
import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "@drainkit/registry";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { register } from "./client.ts";

const RUNS = Number(process.env["DRAINKIT_FUZZ_RUNS"] ?? 2200);
const admin: Principal = { id: "fuzz-observer", scopes: ["mesh.admin"] };

let api: TestControlApi;
beforeAll(async () => {
  api = await startTestControlApi();
  for (const id of ["web-1", "web-2", "web-3"]) await register(api, id, { labels: { zone: "a" } });
  await api.registry.planMove(admin, { id: "mv-1", workload: "db", tier: "owner", from: "web-1", to: "web-2" });
});
afterAll(async () => {
  await api.close();
});

/** Everything a 4xx must leave untouched (the audit log and idempotency records may grow). */
async function snapshot(): Promise<string> {
  const r = api.registry;
  const peers = await r.listPeers(admin, { limit: 500 });
  return JSON.stringify([peers.items, await r.listClusters(admin), (await r.getConfig(admin)).values, await r.listRollouts(admin), await r.listMoves(admin)]);
}

const ids = fc.oneof(fc.constantFrom("web-1", "web-2", "web-3", "mv-1", "ghost", "east", "west", "", "a:b", "..", "%00", "%ZZ", "x".repeat(300)), fc.string({ maxLength: 20 }).map(encodeURIComponent));
const verbs = fc.constantFrom("cordon", "uncordon", "drain", "resume", "promote", "demote", "bogus", "");
const paths = fc.oneof(
  fc.constantFrom("/control/peers", "/control/clusters", "/control/config", "/control/audit", "/control/events", "/healthz", "/readyz", "/openapi.json", "/control", "/"),
  fc.constantFrom("/control/moves", "/control/moves:prune", "/control/moves:bogus", "/control/moves/"),
  ids.map((id) => `/control/moves/${id}:report`),
  fc.constantFrom("/control/upgrade", "/control/upgrades", "/control/upgrade/drain", "/control/upgrade/resume", "/control/upgrade:pause", "/control/upgrade:abort", "/control/upgrade:bogus", "/control/upgrade/"),
  ids.map((id) => `/control/peers/${id}`),
  ids.map((id) => `/control/peers/${id}/status`),
  ids.map((id) => `/control/peers/${id}/drain`),
  ids.map((id) => `/control/peers/${id}/placement`),
  fc.tuple(ids, verbs).map(([id, v]) => `/control/peers/${id}:${v}`),
  fc.tuple(ids, verbs).map(([id, v]) => `/control/clusters/${id}:${v}`),
);
const query = fc.option(
  fc.dictionary(fc.constantFrom("role", "state", "label", "pool", "limit", "cursor", "outcome", "from", "to", "action", "kinds", "since", "id", "peer", "active", "zzz"), fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String)), { maxKeys: 3 }),
  { nil: undefined },
).map((q) => (q ? `?${new URLSearchParams(q).toString()}` : ""));

const field = fc.oneof(fc.string({ maxLength: 16 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.constant(null), fc.integer()), { maxKeys: 3 }));
const bodies = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.dictionary(
    fc.constantFrom("reason", "ticket", "address", "pools", "roles", "labels", "metadata", "owner", "deadlineMs", "deadline", "force", "confirm", "dryRun", "epoch", "inFlight", "workloads", "values", "expiresAt", "version", "pool", "nodes", "maxParallel", "id", "extra", "state", "before", "workload", "tier", "from", "to", "drain", "placement"),
    field,
    { maxKeys: 6 },
  ).map((v) => JSON.stringify(v)),
);
const headers = fc.record(
  {
    authorization: fc.oneof(fc.constantFrom("admin", "operate", "read", "agent"), fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s))),
    "content-type": fc.constantFrom("application/json", "application/merge-patch+json", "text/plain", "application/json; charset=utf-8"),
    "idempotency-key": fc.string({ maxLength: 20 }).filter((s) => /^[\x21-\x7e]*$/.test(s) && s.length > 0),
    "if-match": fc.oneof(fc.constantFrom('"1"', '"2"', "*", 'W/"1"'), fc.string({ maxLength: 8 }).filter((s) => /^[\x20-\x7e]*$/.test(s))),
    "last-event-id": fc.oneof(fc.constantFrom("0", "1", "999999"), fc.string({ maxLength: 8 }).filter((s) => /^[\x20-\x7e]*$/.test(s))),
  },
  { requiredKeys: ["authorization"] },
);

describe("API fuzzing", () => {
  it(`never answers 5xx, always problem+json on errors, never changes state on a 4xx (${RUNS} requests)`, async () => {
    const tokens: Record<string, string> = { admin: api.tokens["mesh.admin"], operate: api.tokens["mesh.operate"], read: api.tokens["mesh.read"], agent: api.tokens["mesh.agent"] };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "PUT", "POST", "PATCH", "DELETE"), paths, query, bodies, headers, async (method, path, q, body, h) => {
        const sendHeaders: Record<string, string> = { ...h, authorization: tokens[h.authorization] ? `Bearer ${tokens[h.authorization]}` : h.authorization };
        const before = await snapshot();
        const ac = new AbortController();
        const res = await fetch(`${api.url}${path}${q}`, {
          method,
          headers: sendHeaders,
          signal: ac.signal,
          ...(body !== undefined && method !== "GET" ? { body } : {}),
        });
        const type = res.headers.get("content-type") ?? "";
        if (type.startsWith("text/event-stream")) {
          ac.abort();
          return;
        }
        const text = await res.text();
        expect(res.status, `${method} ${path}${q} → ${res.status} ${text}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(type, `${method} ${path}${q}`).toMatch(/^application\/problem\+json/);
          const p = JSON.parse(text) as { type: string; status: number };
          expect(p.type).toMatch(/^https:\/\/drainkit\.dev\/problems\/[a-z-]+$/);
          expect(p.status).toBe(res.status);
          expect(await snapshot(), `${method} ${path}${q} changed state with ${res.status}`).toBe(before);
        }
      }),
      fcParams({ numRuns: RUNS }),
    );
  }, 240_000);
});
