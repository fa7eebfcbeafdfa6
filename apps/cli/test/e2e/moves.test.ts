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
        if (/^mv-src: draining.* \(in-flight 0, workloads 2 owners \/ 3 children/m.test(all)) show();
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

  it("lists and watches moves over gRPC alone with the same output and exit codes as over REST", async () => {
    const grpcOnly = (args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Promise<Run> =>
      drainctl(server, ["--grpc", server.grpc!, ...args], { env: { DRAINCTL_SERVER: undefined, ...env } });
    const lines = (r: Run): unknown[] => r.stdout.trim().split("\n").map((l) => JSON.parse(l) as unknown);
    for (const args of [
      ["moves", "list", "--peer", "mv-src", "-o", "json"],
      ["moves", "list", "--state", "failed", "--json"],
      ["moves", "list", "--active", "-o", "json"],
      ["moves", "list", "--peer", "mv-dst-1", "--state", "done", "-o", "yaml"],
    ]) {
      const [rest, grpc] = [await drainctl(server, args), await grpcOnly(args)];
      expect({ args, code: grpc.code, stderr: grpc.stderr }).toEqual({ args, code: 0, stderr: "" });
      if (args.includes("yaml")) expect(grpc.stdout).toBe(rest.stdout);
      else expect(json(grpc)).toEqual(json(rest));
    }
    expect(json<{ items: Move[] }>(await grpcOnly(["moves", "list", "--peer", "mv-src", "-o", "json"])).items).toHaveLength(6);
    const table = await grpcOnly(["moves", "list", "--state", "failed"]);
    expect(table.stdout.trimEnd().split("\n")[1]).toMatch(/\sdb-2\s+owner\s+mv-src → mv-dst-\d\s+failed\s+\S+\s+volume full$/);

    // The feed: WatchEvents with kind move and the peer filter replays the same changes SSE does.
    const watchJson = ["moves", "watch", "--peer", "mv-src", "--since", "0", "--count", "4", "-o", "json"];
    const [restWatch, grpcWatch] = [await drainctl(server, watchJson), await grpcOnly(watchJson)];
    expect(grpcWatch.code).toBe(0);
    expect(lines(grpcWatch)).toHaveLength(4);
    expect(lines(grpcWatch)).toEqual(lines(restWatch));
    const watchTable = ["moves", "watch", "--since", "0", "--count", "3"];
    expect((await grpcOnly(watchTable)).stdout).toBe((await drainctl(server, watchTable)).stdout);

    // Failures: the same problem and exit code.
    const denied = { rest: await drainctl(server, ["moves", "list"], { env: { DRAINCTL_TOKEN: "dk_wrong" } }), grpc: await grpcOnly(["moves", "list"], { DRAINCTL_TOKEN: "dk_wrong" }) };
    expect([denied.grpc.code, denied.rest.code]).toEqual([5, 5]);
    for (const r of [denied.grpc, denied.rest]) expect(r.stderr).toMatch(/^error: Authentication required: /);
    const down = await drainctl(undefined, ["moves", "list", "--grpc", "127.0.0.1:1"]);
    expect(down.code).toBe(6);
    expect(down.stderr).toContain("Server unavailable");
  });

  it("counts a drain's workload moves over gRPC alone as over REST", async () => {
    const args = ["peers", "status", "mv-src", "--wait", "-o", "json"];
    const grpc = await drainctl(server, ["--grpc", server.grpc!, ...args], { env: { DRAINCTL_SERVER: undefined } });
    const rest = await drainctl(server, args);
    expect(grpc.code, grpc.stderr).toBe(0);
    expect(grpc.stderr).toContain("mv-src: moves in flight 0, done 5, failed 1 (last: db-2: volume full)");
    expect(grpc.stderr).toBe(rest.stderr);
    expect(json(grpc)).toEqual(json(rest));
    expect(json<{ items: Record<string, unknown>[] }>(grpc).items[0]).toMatchObject({ status: "drained", moves: { done: 5, failed: 1 } });
  });

  it("completes the new verbs and flags", async () => {
    const bash = (await drainctl(undefined, ["completion", "bash"])).stdout;
    expect(bash).toContain("'moves')");
    expect(bash).toMatch(/'moves list'\)[\s\S]*--active/);
    expect(bash).toContain("'starting serving done failed cancelled'");
    expect(bash).toMatch(/'moves watch'\)[\s\S]*--peer/);
  });
});
