import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainctl, FakeAgent, json, startServer, type Server } from "./harness.ts";
import { expectValid, outputSchemas, type OutputSchemas } from "./schemas.ts";

let server: Server;
let agent: FakeAgent;
let schemas: OutputSchemas;

beforeAll(async () => {
  server = await startServer();
  agent = new FakeAgent(server);
  schemas = await outputSchemas(server);
});

afterAll(async () => {
  await server?.stop();
});

type Config = { values: Record<string, unknown>; version: number };
type AuditEntry = { seq: number; action: string; target: string; reason?: string; outcome: string };

describe("drainctl config", () => {
  it("gets settings, and sets and resets them only when confirmed", async () => {
    const all = await drainctl(server, ["config", "get", "-o", "json"]);
    expectValid(schemas.config, json(all));
    expect(json<Config>(all).values["drain.defaultDeadlineMs"]).toBe(300000);
    expect((await drainctl(server, ["config", "get", "drain.defaultDeadlineMs"])).stdout).toMatch(/drain\.defaultDeadlineMs\s+300000/);
    expect((await drainctl(server, ["config", "get", "no.such"])).code).toBe(2);

    const refused = await drainctl(server, ["config", "set", "drain.defaultDeadlineMs=600000", "--reason", "slow hosts"]);
    expect(refused.code).toBe(2);
    expect(json<Config>(await drainctl(server, ["config", "get", "-o", "json"])).values["drain.defaultDeadlineMs"]).toBe(300000);

    const set = await drainctl(server, ["config", "set", "drain.defaultDeadlineMs=600000", "maintenance.freeze=true", "--reason", "slow hosts", "--yes", "-o", "json"]);
    expect(set.code).toBe(0);
    expect(json<Config>(set).values).toMatchObject({ "drain.defaultDeadlineMs": 600000, "maintenance.freeze": true });

    const bad = await drainctl(server, ["config", "set", "not.allowed=1", "--yes"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("not an allow-listed setting");

    const unset = await drainctl(server, ["config", "unset", "maintenance.freeze", "--yes", "-o", "json"]);
    expect(json<Config>(unset).values["maintenance.freeze"]).toBe(false);
  });
});

describe("drainctl clusters", () => {
  it("lists clusters and reports a missing one as not found", async () => {
    const list = await drainctl(server, ["clusters", "list", "-o", "json"]);
    expect(list.code).toBe(0);
    expectValid(schemas.clusters, json(list));
    const promote = await drainctl(server, ["clusters", "promote", "eu-west", "--reason", "failover", "--yes"]);
    expect(promote.code).toBe(3);
    const demote = await drainctl(server, ["clusters", "demote", "eu-west"]);
    expect(demote.code).toBe(2);
    expect(demote.stderr).toContain("Pass --yes");
  });
});

describe("drainctl audit and events", () => {
  it("lists, tails and verifies the audit chain", async () => {
    await agent.register("aud-1");
    await agent.register("aud-2"); // a second live node of the role, so aud-1 may be cordoned
    await drainctl(server, ["peers", "cordon", "aud-1", "--reason", "audit me"]);

    const list = await drainctl(server, ["audit", "list", "--action", "cordon", "-o", "json"]);
    expectValid(schemas.auditPage, json(list));
    expect(json<{ items: AuditEntry[] }>(list).items.at(-1)).toMatchObject({ target: "peer/aud-1", reason: "audit me", outcome: "ok" });
    expect((await drainctl(server, ["audit", "list", "--limit", "1"])).stdout).toMatch(/^SEQ\s+AGE\s+ACTOR/);

    const verify = await drainctl(server, ["audit", "verify", "-o", "json"]);
    expect(verify.code).toBe(0);
    expectValid(schemas.verdict, json(verify));
    expect(json<{ ok: boolean; entries: number }>(verify).ok).toBe(true);

    // The tail lists first and then follows from the listing's revision, so an entry written once the listing is out cannot be missed.
    let wrote = false;
    const tail = await drainctl(server, ["audit", "tail", "-n", "1", "--count", "1", "--target", "peer/aud-1", "-o", "json"], {
      onStdout: (all) => {
        if (!wrote && all.includes("\n")) {
          wrote = true;
          void drainctl(server, ["peers", "uncordon", "aud-1"]);
        }
      },
    });
    expect(tail.code).toBe(0);
    const lines = tail.stdout.trim().split("\n").map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((l) => l.action)).toEqual(["cordon", "uncordon"]);
  });

  it("names the first tampered entry when the store was edited behind the server's back", async () => {
    const db = new DatabaseSync(server.dbPath);
    db.exec("PRAGMA busy_timeout = 5000");
    db.prepare("UPDATE kv SET value = json_set(value, '$.reason', 'nothing to see') WHERE key = 'audit/000000000001'").run();
    db.close();
    const verify = await drainctl(server, ["audit", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain("audit chain BROKEN at seq 1");
    expect(verify.stdout).toContain("the entry was changed");
  });

  it("streams changes from a revision as JSON lines", async () => {
    await agent.register("ev-1");
    const run = await drainctl(server, ["events", "--since", "0", "--kinds", "peer", "--count", "2", "-o", "json"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string });
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expectValid(schemas.change, l);
      expect(l.kind).toBe("peer");
    }
    const table = await drainctl(server, ["events", "--since", "0", "--count", "1"]);
    expect(table.stdout).toMatch(/^REVISION\s+KIND\s+ID\s+SUMMARY\n\d+\s+\w+/);
  });
});

