import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, drainctl, FakeAgent, json, longLivenessWindow, startServer, type Run, type Server } from "./harness.ts";
import { expectValid, outputSchemas, type OutputSchemas } from "./schemas.ts";

let server: Server;
let agent: FakeAgent;
let schemas: OutputSchemas;

beforeAll(async () => {
  server = await startServer({ grpc: true });
  // The played agents report once; replayed changes carry liveness as of the read, so REST and gRPC must read it alike however long the file runs.
  await longLivenessWindow(server);
  agent = new FakeAgent(server);
  schemas = await outputSchemas(server);
  for (const id of ["spare-1", "spare-2"]) await agent.register(id, ["edge"], { tier: "spare" });
});

afterAll(async () => {
  await server?.stop();
});

type Transport = "rest" | "grpc";

/** drainctl over one transport: REST as everywhere else, or `--grpc` with no REST URL anywhere. */
function over(t: Transport, args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, onStderr?: (all: string) => void): Promise<Run> {
  const options = onStderr === undefined ? {} : { onStderr };
  return t === "rest" ? drainctl(server, args, { env, ...options }) : drainctl(server, ["--grpc", server.grpc!, ...args], { env: { DRAINCTL_SERVER: undefined, ...env }, ...options });
}

// Differ between any two runs whatever the transport: clocks, hashes, request keys, store positions.
const VOLATILE = new Set(["at", "createdAt", "updatedAt", "heartbeatAt", "requestedAt", "deadline", "expiresAt", "id", "seq", "hash", "prevHash", "latencyMs", "idempotencyKey", "revision", "auditId"]);

/** The output with the transport's peer-name prefix and the volatile fields taken out, for comparing the two. */
function normalized(run: Run, t: Transport): unknown {
  const strip = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(strip)
    : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => !VOLATILE.has(k)).map(([k, x]) => [k, strip(x)]))
    : v;
  return JSON.parse(JSON.stringify(strip(json(run))).replaceAll(`${t}-`, "T-"));
}

/** The peers e2e flow, as an operator runs it, on its own peer. */
async function flow(t: Transport): Promise<Record<string, Run>> {
  await agent.register(`${t}-1`, ["edge"], { flow: `${t}-flow` });
  const runs: Record<string, Run> = {};
  runs["cordon"] = await over(t, ["peers", "cordon", `${t}-1`, "--reason", "disk check", "--ticket", "CHG-42", "-o", "json"]);
  runs["drain"] = await over(t, ["peers", "drain", `${t}-1`, "--reason", "kernel 6.12", "--yes", "--no-wait", "-o", "json"]);
  runs["status"] = await over(t, ["peers", "status", `${t}-1`, "-o", "json"]);
  runs["resume"] = await over(t, ["peers", "resume", `${t}-1`, "--reason", "done", "-o", "json"]);
  runs["label"] = await over(t, ["peers", "label", `${t}-1`, "zone=b", "--reason", "move", "-o", "json"]);
  runs["list"] = await over(t, ["peers", "list", "-l", `flow=${t}-flow`, "-o", "json"]);
  runs["get"] = await over(t, ["peers", "get", `${t}-1`, "-o", "json"]);
  runs["audit"] = await over(t, ["audit", "list", "--target", `peer/${t}-1`, "-o", "json"]);
  return runs;
}

describe("drainctl --grpc", () => {
  it("runs the peers flow over gRPC with the same JSON and exit codes as over REST", async () => {
    const rest = await flow("rest");
    const grpc = await flow("grpc");
    for (const step of Object.keys(rest)) {
      expect({ step, code: grpc[step]!.code }).toEqual({ step, code: 0 });
      expect({ step, out: normalized(grpc[step]!, "grpc") }).toEqual({ step, out: normalized(rest[step]!, "rest") });
    }
    expect(json<{ items: { status: string }[] }>(grpc["drain"]!).items[0]!.status).toBe("draining");
    expectValid(schemas.peerItems, json(grpc["cordon"]!));
    expectValid(schemas.drainItems, json(grpc["status"]!));
    expectValid(schemas.peerPage, json(grpc["list"]!));
    expectValid(schemas.peer, json(grpc["get"]!));
    expectValid(schemas.auditPage, json(grpc["audit"]!));
    const audit = json<{ items: { action: string; reason?: string; ticket?: string; outcome: string }[] }>(grpc["audit"]!);
    expect(audit.items.find((e) => e.action === "cordon")).toMatchObject({ reason: "disk check", ticket: "CHG-42", outcome: "ok" });
  });

  it("refuses what the server refuses with the same message and exit code as REST", async () => {
    const refused: Record<Transport, Run> = {} as Record<Transport, Run>;
    for (const t of ["rest", "grpc"] as const) {
      await agent.register(`${t}-bad`);
      expect((await over(t, ["peers", "drain", `${t}-bad`, "--reason", "r", "--yes", "--no-wait"])).code).toBe(0);
      // draining → uncordon is not a transition the state machine allows: 409 over REST, FAILED_PRECONDITION over gRPC.
      refused[t] = await over(t, ["peers", "uncordon", `${t}-bad`]);
      await over(t, ["peers", "resume", `${t}-bad`]);
    }
    expect(refused.grpc.code).toBe(4);
    expect(refused.grpc.stderr).toMatch(/^error: Invalid transition: /);
    expect(refused.grpc.stderr.replaceAll("grpc-", "T-")).toBe(refused.rest.stderr.replaceAll("rest-", "T-"));

    await agent.register("grpc-solo", ["solo"]);
    const dry = await over("grpc", ["peers", "drain", "grpc-solo", "--reason", "what if", "--dry-run", "-o", "json"]);
    expect(dry.code).toBe(4);
    expect(json<{ items: { outcome: string; problem?: { code: string } }[] }>(dry).items[0]).toMatchObject({ outcome: "refused", problem: { code: "only-schedulable-node" } });
  });

  it("maps not found, a bad token and an unreachable address onto the REST exit codes", async () => {
    const missing = { rest: await over("rest", ["peers", "get", "nope"]), grpc: await over("grpc", ["peers", "get", "nope"]) };
    expect(missing.grpc.code).toBe(3);
    expect(missing.grpc.stderr).toBe(missing.rest.stderr);

    const auth = await over("grpc", ["peers", "list"], { DRAINCTL_TOKEN: "dk_wrong" });
    expect(auth.code).toBe(5);
    expect(auth.stderr).toContain("Authentication required");

    const down = await drainctl(undefined, ["peers", "list", "--grpc", "127.0.0.1:1"]);
    expect(down.code).toBe(6);
    expect(down.stderr).toContain("Server unavailable");

    const url = await drainctl(undefined, ["peers", "list", "--grpc", "http://127.0.0.1:7401"]);
    expect(url.code).toBe(2);
  });

  it("verifies the audit chain downloaded over gRPC as it does over REST", async () => {
    const grpc = await over("grpc", ["audit", "verify", "-o", "json"]);
    const rest = await over("rest", ["audit", "verify", "-o", "json"]);
    expect(grpc.code).toBe(0);
    expect(json(grpc)).toEqual(json(rest));
    expect(json<{ ok: boolean }>(grpc).ok).toBe(true);
  });

  it("follows the change feed through WatchEvents, the same changes REST streams", async () => {
    const args = ["events", "--kinds", "peer", "--since", "0", "--count", "5", "-o", "json"];
    const rest = await over("rest", args);
    const grpc = await over("grpc", args);
    expect(grpc.code).toBe(0);
    // A replayed peer change carries liveness as of the read (the feed's default window), so it may differ between the two reads.
    const lines = (r: Run): unknown[] =>
      r.stdout.trim().split("\n").map((l) => JSON.parse(l, (k, v: unknown) => (k === "liveness" ? undefined : v)) as unknown);
    expect(lines(grpc)).toHaveLength(5);
    expect(lines(grpc)).toEqual(lines(rest));
    for (const change of lines(grpc)) expectValid(schemas.change, change);
  });

  it("waits for a drain fed by WatchEvents until the agent reports drained", async () => {
    await agent.register("grpc-wait");
    let reported = false;
    const waited = await over("grpc", ["peers", "drain", "grpc-wait", "--reason", "kernel 6.12", "--yes", "-o", "json"], {}, (all) => {
      // Act only once the CLI shows the drain under way: no sleeps, no timing.
      if (!reported && /grpc-wait: draining.* \(in-flight 0/.test(all)) {
        reported = true;
        void agent.report("grpc-wait", 1, "drained", 0);
      }
    });
    expect(waited.code).toBe(0);
    expect(json<{ items: { peer: string; status: string }[] }>(waited).items[0]).toMatchObject({ peer: "grpc-wait", status: "drained" });
    await over("grpc", ["peers", "resume", "grpc-wait"]);
  });

  it("says rollouts need --server, and uses REST for them when both are given", async () => {
    const alone = await over("grpc", ["rollout", "list"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("needs the REST API");
    expect(alone.stderr).toContain("--server");

    const both = await drainctl(server, ["--grpc", server.grpc!, "rollout", "list", "-o", "json"]);
    expect(both.code).toBe(0);
    expect(json<{ items: unknown[] }>(both).items).toEqual([]);
  });

  it("stores the gRPC address in a context, which then carries every verb gRPC covers", async () => {
    const env = { DRAINCTL_SERVER: undefined, DRAINCTL_TOKEN: undefined };
    // The context's REST URL answers nothing: the listing can only come over gRPC.
    const set = await drainctl(server, ["context", "set", "g", "--server", "http://127.0.0.1:1", "--grpc", server.grpc!, "--token", ADMIN_TOKEN, "--use"], { env });
    expect(set.code).toBe(0);
    const list = await drainctl(server, ["peers", "list", "-l", "tier=spare", "-o", "json"], { env });
    expect(list.code).toBe(0);
    expect(json<{ items: { id: string }[] }>(list).items.map((p) => p.id)).toEqual(["spare-1", "spare-2"]);
    await drainctl(server, ["context", "delete", "g"], { env });
  });
});
