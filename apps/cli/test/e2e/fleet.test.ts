import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseSnapshot, validateSnapshot, type FleetSnapshot } from "@drainkit/sim";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, drainctl, FakeAgent, json, longLivenessWindow, startServer, type Server } from "./harness.ts";

let server: Server;
let agent: FakeAgent;

/** What the server holds: every peer and the length of the audit chain. Nothing a plan does may change either. */
async function serverState(): Promise<{ peers: unknown; audit: number }> {
  const peers = (await agent.get("/control/peers?limit=500")) as { items: unknown[] };
  const audit = (await agent.get("/control/audit?limit=1000")) as { items: unknown[] };
  return { peers: peers.items, audit: audit.items.length };
}

beforeAll(async () => {
  server = await startServer();
  agent = new FakeAgent(server);
  // The agents here report once: a silent peer is unknown and never available, which would turn every plan below unsafe.
  await longLivenessWindow(server);
  for (const id of ["web-1", "web-2", "web-3", "web-4"]) await agent.register(id, ["edge"], { zone: id === "web-4" ? "eu-2" : "eu-1" });
  for (const id of ["api-1", "api-2"]) await agent.register(id, ["ingest"], {}, ["api"]);
  await agent.report("web-1", 0, "drained", 3, { owners: 2, children: 2 });
  const cordon = await drainctl(server, ["peers", "cordon", "web-3", "--reason", "disk check"]);
  expect(cordon.code).toBe(0);
});

afterAll(async () => {
  await server?.stop();
});

type Plan = { safe: boolean; nodes: string[]; depletedPools: string[]; blocked: { node: string; pool?: string; reason: string }[]; simulatedMs: number; drains: { completed: number; failed: number } };

describe("drainctl fleet export", () => {
  it("writes every peer as a snapshot the simulator reads, with the budgets given", async () => {
    const before = await serverState();
    const out = await drainctl(server, ["fleet", "export"]);
    expect(out.code).toBe(0);
    const snapshot = validateSnapshot(JSON.parse(out.stdout));
    expect(snapshot.nodes.map((n) => n.id).sort()).toEqual(["api-1", "api-2", "web-1", "web-2", "web-3", "web-4"]);
    const byId = new Map(snapshot.nodes.map((n) => [n.id, n]));
    expect(byId.get("web-1")).toMatchObject({ pools: ["web"], roles: ["edge"], zone: "eu-1", workloads: { owners: 2, children: 2 }, inFlight: 3 });
    expect(byId.get("web-3")).toMatchObject({ phase: "cordoned", cordoned: true });
    expect(byId.get("api-1")).toMatchObject({ pools: ["api"], roles: ["ingest"], cordoned: false });
    expect(snapshot.pools).toEqual([{ name: "api" }, { name: "web" }]);
    expect(snapshot.source).toBe(server.url);
    // Budgets cannot be read from the server: the user is told how to give them.
    expect(out.stderr).toContain("no budget for pool(s) api, web");

    const file = join(server.dir, "fleet.yaml");
    const saved = await drainctl(server, ["fleet", "export", "--pool", "web:maxUnavailable=1", "--pool", "api/ingest:minAvailable=50%", "--file", file, "-o", "yaml"]);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe("");
    expect(saved.stderr).toContain(`wrote 6 node(s) in 2 pool(s) to ${file}`);
    const yaml = parseSnapshot(readFileSync(file, "utf8"), file);
    expect(yaml.pools).toEqual([{ name: "web", maxUnavailable: 1 }, { name: "api", role: "ingest", minAvailable: "50%" }]);

    const bad = await drainctl(server, ["fleet", "export", "--pool", "web:maxUnavailable=lots"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("maxUnavailable needs a count or a percent");
    expect(await serverState()).toEqual(before);
  });
});

describe("drainctl plan --simulate", () => {
  it("says whether a drain or a rollout of the live fleet is safe, what blocks and how long it takes, and changes nothing", async () => {
    const before = await serverState();
    const budget = ["--pool", "web:maxUnavailable=1"];

    const one = await drainctl(server, ["plan", "--simulate", "--drain", "web-1", ...budget, "-o", "json"]);
    expect(one.code).toBe(0);
    const safe = json<Plan>(one);
    expect(safe).toMatchObject({ safe: true, nodes: ["web-1"], depletedPools: [], blocked: [], drains: { completed: 1, failed: 0 } });
    // web-1 reported four workloads to move away: the drain takes some time.
    expect(safe.simulatedMs).toBeGreaterThan(0);
    const human = await drainctl(server, ["plan", "--simulate", "--drain", "web-1", ...budget]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^safe: the drain web-1 would finish in about \S+ without depleting any pool/);
    expect(human.stdout).toContain("would deplete a pool: no");
    expect(human.stdout).toContain("estimated duration:");

    const two = await drainctl(server, ["plan", "--simulate", "--drain", "web-1,web-2", ...budget]);
    expect(two.code).toBe(4);
    expect(two.stdout).toMatch(/^unsafe: /);
    // The guard refuses web-2, so the pool stays at its floor: blocked, not depleted.
    expect(two.stdout).toContain("would deplete a pool: no; the budget of web would refuse some nodes");
    expect(two.stdout).toMatch(/blocked web-2 \(pool web\): Pool "web" would drop/);
    const twoJson = json<Plan>(await drainctl(server, ["plan", "--simulate", "--drain", "web-1,web-2", ...budget, "-o", "json"]));
    expect(twoJson).toMatchObject({ safe: false, depletedPools: ["web"], drains: { completed: 1, failed: 0 } });
    expect(twoJson.blocked.map((b) => b.node)).toEqual(["web-2"]);

    // Without budgets (none given, and this server was started without --pool) the guard has nothing to keep: the same drain goes through, and it says why.
    const bare = await drainctl(server, ["plan", "--simulate", "--drain", "web-1,web-2"]);
    expect(bare.code).toBe(0);
    expect(bare.stdout, bare.stdout + bare.stderr).toContain("web (no budget)");

    const rollout = await drainctl(server, ["plan", "--simulate", "--rollout", "--pool", "web", ...budget, "--max-parallel", "2", "--upgrade-time", "60s", "-o", "json"]);
    expect(rollout.code).toBe(0);
    const r = json<Plan>(rollout);
    expect(r).toMatchObject({ safe: true, nodes: ["web-1", "web-2", "web-3", "web-4"], drains: { completed: 4, failed: 0 } });
    // maxUnavailable 1: four waves of one, each a minute of upgrade at least.
    expect(r.simulatedMs).toBeGreaterThanOrEqual(4 * 60_000);

    expect(await serverState()).toEqual(before);
  });

  it("plans on a saved snapshot, with budgets from the file or the command line", async () => {
    const file = join(server.dir, "plan-fleet.json");
    expect((await drainctl(server, ["fleet", "export", "--pool", "web:maxUnavailable=1", "--file", file])).code).toBe(0);
    const offline = await drainctl(undefined, ["plan", "--simulate", "--from", file, "--drain", "web-1,web-2"]);
    expect(offline.code).toBe(4);
    expect(offline.stdout).toContain("would deplete a pool: no; the budget of web would refuse some nodes");
    // A budget on the command line replaces the file's.
    expect((await drainctl(undefined, ["plan", "--simulate", "--from", file, "--drain", "web-1,web-2", "--pool", "web:maxUnavailable=2"])).code).toBe(0);

    const snapshot = JSON.parse(readFileSync(file, "utf8")) as FleetSnapshot;
    const shared = join(server.dir, "shared.json");
    writeFileSync(shared, JSON.stringify({ ...snapshot, nodes: snapshot.nodes.map((n) => (n.id === "api-1" ? { ...n, pools: ["api", "web"] } : n)) }));
    const note = await drainctl(undefined, ["plan", "--simulate", "--from", shared, "--drain", "web-1"]);
    expect(note.code).toBe(0);
    expect(note.stderr).toContain("1 peer(s) are in several pools (api-1: api, web); the simulation counts each in its first pool only");

    const broken = join(server.dir, "broken.json");
    writeFileSync(broken, JSON.stringify({ ...snapshot, nodes: [{ ...snapshot.nodes[0], workloads: { owners: -1, children: 0 } }] }));
    const bad = await drainctl(undefined, ["plan", "--simulate", "--from", broken, "--drain", "web-1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("nodes[0].workloads.owners");
    expect(bad.stderr).toContain("next: Fix the named fields");
  });

  it("refuses what it cannot plan, saying what to do", async () => {
    const unknown = await drainctl(server, ["plan", "--simulate", "--drain", "web-1,nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No node "nope" in the fleet snapshot');

    const noMode = await drainctl(server, ["plan", "--drain", "web-1"]);
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toContain("plan needs --simulate");

    const both = await drainctl(server, ["plan", "--simulate", "--drain", "web-1", "--rollout"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("exactly one of --drain <ids> or --rollout");

    const nobody = await drainctl(server, ["plan", "--simulate", "--rollout", "--pool", "db"]);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('pool "db"');
  });
});

describe("silent agents", () => {
  it("count as unavailable in fleet export and plan --simulate, which say which peers (the server's liveness)", async () => {
    // Registered, never reported: the server says liveness unknown.
    const res = await fetch(`${server.url}/control/peers/batch-1`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ address: "batch-1:9000", pools: ["batch"], roles: ["worker"] }),
    });
    expect(res.status).toBe(200);
    await agent.register("batch-2", ["worker"], {}, ["batch"]);
    const out = await drainctl(server, ["fleet", "export"]);
    expect(out.code).toBe(0);
    const byId = new Map(validateSnapshot(JSON.parse(out.stdout)).nodes.map((n) => [n.id, n]));
    expect(byId.get("batch-1")).toMatchObject({ healthy: false });
    expect(byId.get("batch-2")?.healthy).not.toBe(false);
    const silent = /note: (\d+) peer\(s\) count as unavailable, their agents silent \(liveness unknown, as the server reports it\): ([^\n]*)/;
    expect(silent.exec(out.stderr)?.slice(1)).toEqual(["1", "batch-1."]);
    const plan = await drainctl(server, ["plan", "--simulate", "--drain", "batch-2", "--pool", "batch:minAvailable=1"]);
    expect(silent.exec(plan.stderr)?.slice(1)).toEqual(["1", "batch-1."]);
  });
});
