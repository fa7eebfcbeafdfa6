import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, drainctl, FakeAgent, json, startServer, type Run, type Server } from "./harness.ts";
import { expectValid, outputSchemas, type OutputSchemas } from "./schemas.ts";
import type { ValidateFunction } from "ajv";
import { Ajv } from "ajv";

let server: Server;
let agent: FakeAgent;
let schemas: OutputSchemas;
let moveItems: ValidateFunction;

interface Move {
  id: string;
  workload: string;
  tier: "owner" | "child";
  owner?: string;
  from: string;
  to: string;
  drain?: { target: string; epoch: number };
  state: "starting" | "serving" | "done" | "failed";
  reason?: string;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const out = (await res.json()) as T;
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

/** What a peer's agent tells the control plane it holds (`status.placement`), for the drain epoch it acted on. */
function reportPlacement(peer: string, epoch: number, placement: readonly { id: string; owner?: string }[], phase?: "draining" | "drained"): Promise<unknown> {
  return api("PUT", `/control/peers/${peer}/status`, { roles: phase === undefined ? {} : { edge: { phase, epoch } }, inFlight: {}, epoch, placement });
}

const WORKLOADS = [{ id: "db-1" }, { id: "db-2" }, { id: "c-1", owner: "db-1" }, { id: "c-2", owner: "db-1" }, { id: "c-3", owner: "db-2" }];

/**
 * Plays the agents of a drain through the REST API, as the real ones do:
 * the destination reports `serving` (or, once, `failed` for `failWorkload`),
 * the source then reports `done` and stops reporting the workload, and once
 * it holds nothing the source reports its role drained. Waits for each
 * condition by re-reading the moves; stops when drained or told to.
 */
async function playAgents(peer: string, failWorkload: string, stop: { stopped: boolean }, shown: Promise<void>): Promise<void> {
  const held = new Map(WORKLOADS.map((w) => [w.id, w]));
  let failedOnce = false;
  let epoch = 0;
  // The source's agent sees its drain and reports what it holds for that epoch, as the real one does.
  while (!stop.stopped && epoch === 0) {
    const drain = await api<{ status: string; epoch: number }>("GET", `/control/peers/${peer}/drain`);
    if (drain.status === "draining") epoch = drain.epoch;
    else await new Promise((r) => setTimeout(r, 50));
  }
  await reportPlacement(peer, epoch, [...held.values()], "draining");
  // Act on the moves only once the CLI has shown what the drain starts from: no sleeps, no timing.
  await shown;
  while (!stop.stopped) {
    const { items } = await api<{ items: Move[] }>("GET", `/control/moves?peer=${peer}`);
    let acted = false;
    for (const m of items) {
      if (m.from !== peer || m.drain?.epoch !== epoch) continue;
      if (m.state === "starting") {
        const fail: boolean = m.workload === failWorkload && !failedOnce;
        failedOnce ||= fail;
        await api("POST", `/control/moves/${m.id}:report`, fail ? { state: "failed", reason: "volume full" } : { state: "serving" });
        acted = true;
      } else if (m.state === "serving") {
        await api("POST", `/control/moves/${m.id}:report`, { state: "done" });
        held.delete(m.workload);
        await reportPlacement(peer, epoch, [...held.values()], "draining");
        acted = true;
      }
    }
    if (held.size === 0) {
      await reportPlacement(peer, epoch, [], "drained");
      return;
    }
    if (!acted) await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  server = await startServer({ grpc: true });
  agent = new FakeAgent(server);
  schemas = await outputSchemas(server);
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>> };
  moveItems = new Ajv({ allErrors: true, strict: false }).compile(doc.paths["/control/moves"]!["get"]!.responses["200"]!.content["application/json"]!.schema);
  for (const id of ["mv-src", "mv-dst-1", "mv-dst-2"]) await agent.register(id, ["edge"], { test: "moves" });
  await reportPlacement("mv-src", 0, WORKLOADS);
});

afterAll(async () => {
  await server?.stop();
});

describe("drainctl moves", () => {
  let drain: Run;

  beforeAll(async () => {
    const stop = { stopped: false };
    let show: () => void = () => {};
    const shown = new Promise<void>((r) => (show = r));
    const agents = playAgents("mv-src", "db-2", stop, shown);
    drain = await drainctl(server, ["peers", "drain", "mv-src", "--reason", "disk swap", "--yes", "-o", "json"], {
      onStderr: (all) => {
        if (/^mv-src: draining \(in-flight 0, workloads 2 owners \/ 3 children/m.test(all)) show();
      },
    });
    stop.stopped = true;
    show();
    await agents;
  });

  it("shows the drain's workload moves live and counts them in the summary", () => {
    expect(drain.code, drain.stderr).toBe(0);
    // Live lines: the workloads left of those at the start, and the moves, failed ones with why.
    expect(drain.stderr).toMatch(/^mv-src: owners 2 → 2, children 3 → 3, moves in flight [1-9]\d*, done 0, failed 0$/m);
    expect(drain.stderr).toMatch(/^mv-src: owners 2 → \d, children 3 → \d, moves in flight \d+, done \d+, failed 1 \(last: db-2: volume full\)$/m);
    expect(drain.stderr).toContain("mv-src: owners 2 → 0, children 3 → 0, moves in flight 0, done 5, failed 1 (last: db-2: volume full)");
    // The final summary, on stderr for people and in the JSON for scripts.
    expect(drain.stderr).toMatch(/^mv-src: moves in flight 0, done 5, failed 1 \(last: db-2: volume full\)$/m);
    const out = json<{ items: { peer: string; status: string; moves?: unknown }[] }>(drain);
    expectValid(schemas.drainItems, out);
    expect(out.items[0]).toMatchObject({ peer: "mv-src", status: "drained", moves: { inFlight: 0, done: 5, failed: 1, lastFailure: { workload: "db-2", reason: "volume full" } } });
  });

  it("lists the moves as JSON the API documents, as a table, and filtered", async () => {
    const all = await drainctl(server, ["moves", "list", "--peer", "mv-src", "-o", "json"]);
    expect(all.code).toBe(0);
    expectValid(moveItems, json(all));
    const items = json<{ items: Move[] }>(all).items;
    expect(items).toHaveLength(6);
    expect(items.filter((m) => m.state === "done").map((m) => m.workload).sort()).toEqual(WORKLOADS.map((w) => w.id).sort());
    expect(items.every((m) => m.from === "mv-src" && m.to.startsWith("mv-dst-") && m.drain?.target === "mv-src")).toBe(true);
    expect(items.filter((m) => m.tier === "child").map((m) => [m.workload, m.owner]).sort()).toEqual([["c-1", "db-1"], ["c-2", "db-1"], ["c-3", "db-2"]]);
    // --json is -o json.
    expect(json((await drainctl(server, ["moves", "list", "--peer", "mv-src", "--json"])))).toEqual(json(all));

    const table = await drainctl(server, ["moves", "list", "--state", "failed"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+WORKLOAD\s+TIER\s+FROM → TO\s+STATE\s+AGE\s+REASON$/);
    expect(lines.slice(1)).toHaveLength(1);
    expect(lines[1]).toMatch(/\sdb-2\s+owner\s+mv-src → mv-dst-\d\s+failed\s+\S+\s+volume full$/);

    const active = await drainctl(server, ["moves", "list", "--active"]);
    expect(active.stdout).toBe("No moves found.\n");
    expect(json<{ items: Move[] }>(await drainctl(server, ["moves", "list", "--peer", "mv-dst-1", "-o", "json"])).items.every((m) => m.to === "mv-dst-1")).toBe(true);
    expect((await drainctl(server, ["moves", "list", "--state", "stuck"])).code).toBe(2);
  });

  it("watches move changes one line each", async () => {
    const count = 3;
    const lines = await drainctl(server, ["moves", "watch", "--peer", "mv-src", "--since", "0", "--count", String(count), "-o", "json"]);
    expect(lines.code).toBe(0);
    const changes = lines.stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string; value: Move });
    expect(changes).toHaveLength(count);
    expect(changes.every((c) => c.kind === "move" && c.value.from === "mv-src")).toBe(true);
    // Replayed in order: the first change of any move is its plan.
    expect(changes[0]!.value.state).toBe("starting");

    const table = await drainctl(server, ["moves", "watch", "--since", "0", "--count", "1"]);
    expect(table.stdout).toMatch(/^\S+Z {2}db-\d mv-src → mv-dst-\d starting {2}\[move \S+\]\n$/);
  });

  it("follows moves live until Ctrl-C", async () => {
    await agent.register("mv-live", ["edge"], { test: "moves" });
    await reportPlacement("mv-live", 0, [{ id: "live-1" }]);
    // From the store position before the drain, so the plan cannot land before the feed is open.
    const { revision } = await api<{ revision: number }>("GET", "/control/peers?limit=1");
    await api("POST", "/control/peers/mv-live:drain", { reason: "watch me" });
    const watch = await drainctl(server, ["moves", "watch", "--peer", "mv-live", "--since", String(revision)], {
      onStdout: (all, child) => {
        if (/live-1 mv-live → mv-dst-\d starting/.test(all)) child.kill("SIGINT");
      },
    });
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/^\S+Z {2}live-1 mv-live → mv-dst-\d starting {2}\[move \S+\]$/m);
    expect(watch.stdout).not.toContain("mv-src");
  });

  it("says moves need the REST API over gRPC alone (exit 2), and uses REST when both are given", async () => {
    for (const args of [["moves", "list"], ["moves", "watch"]]) {
      const alone = await drainctl(server, ["--grpc", server.grpc!, ...args], { env: { DRAINCTL_SERVER: undefined } });
      expect(alone.code).toBe(2);
      expect(alone.stderr).toMatch(/^error: REST API required: drainctl moves/);
      expect(alone.stderr).toContain("/control/");
      expect(alone.stderr).toContain("--server");
    }
    const both = await drainctl(server, ["--grpc", server.grpc!, "moves", "list", "--peer", "mv-src", "-o", "json"]);
    expect(both.code).toBe(0);
    expect(json<{ items: Move[] }>(both).items).toHaveLength(6);
  });

  it("keeps drain progress over gRPC alone as before, without moves; REST counts them", async () => {
    const grpc = await drainctl(server, ["--grpc", server.grpc!, "peers", "status", "mv-src", "--wait", "-o", "json"], { env: { DRAINCTL_SERVER: undefined } });
    expect(grpc.code, grpc.stderr).toBe(0);
    expect(grpc.stderr).toBe("mv-src: drained (in-flight 0, workloads 0 owners / 0 children)\n");
    expect(json<{ items: Record<string, unknown>[] }>(grpc).items[0]).not.toHaveProperty("moves");

    const rest = await drainctl(server, ["peers", "status", "mv-src", "--wait", "-o", "json"]);
    expect(rest.stderr).toContain("mv-src: moves in flight 0, done 5, failed 1 (last: db-2: volume full)");
    expect(json<{ items: Record<string, unknown>[] }>(rest).items[0]).toMatchObject({ status: "drained", moves: { done: 5, failed: 1 } });
  });

  it("completes the new verbs and flags", async () => {
    const bash = (await drainctl(undefined, ["completion", "bash"])).stdout;
    expect(bash).toContain("'moves')");
    expect(bash).toMatch(/'moves list'\)[\s\S]*--active/);
    expect(bash).toContain("'starting serving done failed'");
    expect(bash).toMatch(/'moves watch'\)[\s\S]*--peer/);
  });
});
