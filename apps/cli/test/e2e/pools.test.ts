import { validateSnapshot } from "@drainkit/sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainctl, FakeAgent, json, startServer, type Server } from "./harness.ts";

let server: Server;
let agent: FakeAgent;

beforeAll(async () => {
  // Started with a --pool flag: the bootstrap stores it, and drainctl reads it from the store.
  server = await startServer({ grpc: true, args: ["--pool", "web:maxUnavailable=1"] });
  agent = new FakeAgent(server);
  for (const id of ["web-1", "web-2", "web-3", "web-4"]) await agent.register(id, ["edge"]);
});

afterAll(async () => {
  await server?.stop();
});

/** drainctl over gRPC alone: no REST URL anywhere. */
const overGrpc = (args: readonly string[]) => drainctl(server, ["--grpc", server.grpc!, ...args], { env: { DRAINCTL_SERVER: undefined } });

describe("drainctl pools", () => {
  it("lists, reads, sets (If-Match) and deletes pools over REST and gRPC alike", async () => {
    const list = await drainctl(server, ["pools", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/POOL\s+ROLE\s+MIN-AVAILABLE\s+MAX-UNAVAILABLE\s+MIN-SCHEDULABLE\s+VERSION\n web|web\s+\*\s+-\s+1\s+-\s+1/);
    expect(json<{ items: unknown[] }>(await overGrpc(["pools", "list", "-o", "json"])).items).toEqual([{ name: "web", maxUnavailable: 1, roles: {}, version: 1 }]);

    const set = await drainctl(server, ["pools", "set", "web", "maxUnavailable=2", "edge.minAvailable=50%", "--if-match", "1", "--reason", "more headroom", "--yes", "-o", "json"]);
    expect(set.code).toBe(0);
    expect(json(set)).toEqual({ name: "web", maxUnavailable: 2, roles: { edge: { minAvailable: "50%" } }, version: 2 });
    const stale = await overGrpc(["pools", "set", "web", "maxUnavailable=3", "--if-match", "1", "--yes"]);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain("ETag mismatch: pool/web");
    const bad = await drainctl(server, ["pools", "set", "web", "maxUnavailable=lots", "--yes"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected [<role>.]<bound>=<n|n%>");
    const got = await overGrpc(["pools", "get", "web", "-o", "json"]);
    expect(json(got)).toEqual({ name: "web", maxUnavailable: 2, roles: { edge: { minAvailable: "50%" } }, version: 2 });

    const db = await overGrpc(["pools", "set", "db", "minAvailable=1", "--yes"]);
    expect(db.code).toBe(0);
    const deleted = await overGrpc(["pools", "delete", "db", "--yes", "--reason", "retired"]);
    expect(deleted.code).toBe(0);
    const missing = await drainctl(server, ["pools", "get", "db"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('No pool "db" is declared');
  });

  it("fleet export and plan --simulate use the stored budgets, over REST and gRPC", async () => {
    await drainctl(server, ["pools", "set", "web", "maxUnavailable=1", "--yes"]);
    for (const run of [drainctl, (_s: Server, args: readonly string[]) => overGrpc(args)]) {
      // Live peers only count as available: the test plays their agents.
      for (const id of ["web-1", "web-2", "web-3", "web-4"]) await agent.heartbeat(id);
      const out = await run(server, ["fleet", "export"]);
      expect(out.code).toBe(0);
      expect(validateSnapshot(JSON.parse(out.stdout)).pools).toEqual([{ name: "web", maxUnavailable: 1 }]);
      expect(out.stderr).toContain("as the server enforces them");
      const plan = await run(server, ["plan", "--simulate", "--drain", "web-1,web-2", "-o", "json"]);
      expect(plan.code).toBe(4);
      expect(json<{ safe: boolean; blocked: { node: string; pool?: string }[] }>(plan)).toMatchObject({ safe: false, blocked: [{ node: "web-2", pool: "web" }] });
    }
  });
});
