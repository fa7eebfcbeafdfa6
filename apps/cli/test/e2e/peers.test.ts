import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, drainctl, FakeAgent, json, startServer, type Server } from "./harness.ts";
import { expectValid, outputSchemas, type OutputSchemas } from "./schemas.ts";

let server: Server;
let agent: FakeAgent;
let schemas: OutputSchemas;

beforeAll(async () => {
  server = await startServer();
  agent = new FakeAgent(server);
  schemas = await outputSchemas(server);
  // Spares keep every drained test peer from being the last schedulable node of its role.
  for (const id of ["spare-1", "spare-2"]) await agent.register(id, ["edge"], { tier: "spare" });
});

afterAll(async () => {
  await server?.stop();
});

type DrainItems = { items: { peer: string; status: string; remaining: { inFlight: number }; reason?: string }[] };
type Peer = { id: string; phase: string; labels: Record<string, string>; spec: { cordons: Record<string, unknown> } };

describe("drainctl peers", () => {
  it("lists and gets peers as tables, JSON that matches the API's schema, and YAML", async () => {
    await agent.register("list-a", ["edge"], { zone: "a" });
    await agent.register("list-b", ["edge"], { zone: "b" });

    const table = await drainctl(server, ["peers", "list"]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+PHASE\s+POOLS/);
    expect(table.stdout).toMatch(/list-a\s+active\s+web/);
    expect((await drainctl(server, ["peers", "list", "-o", "wide"])).stdout).toMatch(/list-a\s+active\s+web\s.*\bedge\b.*zone=a/);

    const page = await drainctl(server, ["peers", "list", "-l", "zone=b", "-o", "json"]);
    expectValid(schemas.peerPage, json(page));
    expect(json<{ items: Peer[] }>(page).items.map((p) => p.id)).toEqual(["list-b"]);

    const one = await drainctl(server, ["-o", "json", "peers", "get", "list-a"]);
    expectValid(schemas.peer, json(one));
    expect(json<Peer>(one).labels).toEqual({ zone: "a" });

    const yaml = await drainctl(server, ["peers", "get", "list-a", "-o", "yaml"]);
    expect(yaml.stdout).toMatch(/^id: list-a$/m);
  });

  it("cordons with a reason and ticket the audit log records, and uncordons", async () => {
    await agent.register("cord-1");
    const cordon = await drainctl(server, ["peers", "cordon", "cord-1", "--reason", "disk check", "--ticket", "CHG-42", "-o", "json"]);
    expect(cordon.code).toBe(0);
    expectValid(schemas.peerItems, json(cordon));
    expect(json<{ items: Peer[] }>(cordon).items[0]!.phase).toBe("cordoned");

    const audit = json<{ items: { action: string; reason?: string; ticket?: string; outcome: string }[] }>(await drainctl(server, ["audit", "list", "--target", "peer/cord-1", "-o", "json"]));
    expect(audit.items.find((e) => e.action === "cordon")).toMatchObject({ reason: "disk check", ticket: "CHG-42", outcome: "ok" });

    const uncordon = await drainctl(server, ["peers", "uncordon", "cord-1", "-o", "json"]);
    expect(json<{ items: Peer[] }>(uncordon).items[0]!.phase).toBe("active");
  });

  it("cordons the last schedulable node of a role only with --force, a reason and confirmation; both attempts audited", async () => {
    await agent.register("lone-1", ["lone"]);
    const refused = await drainctl(server, ["peers", "cordon", "lone-1", "--reason", "disk check"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("Only schedulable node");
    expect(refused.stderr).toContain("drainctl peers list --role lone");
    expect(refused.stderr).toContain("--force and a --reason to take lone-1 out anyway");

    // No terminal to ask on and no --yes: nothing changes.
    const unconfirmed = await drainctl(server, ["peers", "cordon", "lone-1", "--reason", "disk check", "--force"]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain("Pass --yes");
    expect(json<Peer>(await drainctl(server, ["peers", "get", "lone-1", "-o", "json"])).phase).toBe("active");

    const forced = await drainctl(server, ["peers", "cordon", "lone-1", "--reason", "disk check", "--ticket", "CHG-7", "--force", "--yes", "-o", "json"]);
    expect(forced.code).toBe(0);
    expectValid(schemas.peerItems, json(forced));
    expect(json<{ items: Peer[] }>(forced).items[0]!.phase).toBe("cordoned");
    const audit = json<{ items: { action: string; reason?: string; ticket?: string; outcome: string; details?: Record<string, unknown> }[] }>(await drainctl(server, ["audit", "list", "--target", "peer/lone-1", "-o", "json"]));
    expect(audit.items.filter((e) => e.action === "cordon").map((e) => [e.outcome, e.ticket])).toEqual([["refused", undefined], ["ok", "CHG-7"]]);
    await drainctl(server, ["peers", "uncordon", "lone-1"]);
  });

  it("dry-runs a drain server-side, listing what blocks each node and changing nothing", async () => {
    await agent.register("dry-1");
    await agent.register("dry-solo", ["solo"]);
    const run = await drainctl(server, ["peers", "drain", "dry-1", "dry-solo", "--reason", "what if", "--dry-run", "-o", "json"]);
    expect(run.code).toBe(4);
    const out = json<{ items: { peer: string; outcome: string; drain?: { blocking?: string[] }; problem?: { code: string } }[] }>(run);
    expectValid(schemas.dryRun, out);
    expect(out.items[0]).toMatchObject({ peer: "dry-1", outcome: "allowed", drain: { blocking: ["role:edge"] } });
    expect(out.items[1]).toMatchObject({ peer: "dry-solo", outcome: "refused", problem: { code: "only-schedulable-node" } });

    const table = await drainctl(server, ["peers", "drain", "dry-solo", "--reason", "what if", "--dry-run"]);
    expect(table.stdout).toMatch(/dry-solo\s+refused\s+-\s+only-schedulable-node/);
    expect(json<Peer>(await drainctl(server, ["peers", "get", "dry-1", "-o", "json"])).phase).toBe("active");
  });

  it("drains and waits, showing per-node progress fed by the event stream, until the agent reports drained", async () => {
    await agent.register("wait-1");
    let step = 0;
    const run = await drainctl(server, ["peers", "drain", "wait-1", "--reason", "kernel 6.12", "--yes", "-o", "json"], {
      onStderr: (all) => {
        // Act only when the CLI has shown the previous state: no sleeps, no timing.
        if (step === 0 && /wait-1: draining.* \(in-flight 0/.test(all)) {
          step = 1;
          void agent.report("wait-1", 1, "draining", 3, { owners: 1, children: 2 });
        } else if (step === 1 && /in-flight 3, workloads 1 owners \/ 2 children/.test(all)) {
          step = 2;
          void agent.report("wait-1", 1, "drained", 0);
        }
      },
    });
    expect(run.stderr).toContain("wait-1: draining, waiting on role:edge participant:http (in-flight 3, workloads 1 owners / 2 children)");
    expect(run.code).toBe(0);
    const out = json<DrainItems>(run);
    expectValid(schemas.drainItems, out);
    expect(out.items[0]).toMatchObject({ peer: "wait-1", status: "drained" });
    await drainctl(server, ["peers", "resume", "wait-1"]);
  });

  it("exits 1 with the reason when the drain fails", async () => {
    await agent.register("fail-1");
    let reported = false;
    const run = await drainctl(server, ["peers", "drain", "fail-1", "--reason", "upgrade", "--yes"], {
      onStderr: (all) => {
        if (!reported && all.includes("fail-1: draining")) {
          reported = true;
          void agent.report("fail-1", 1, "failed", 2, { owners: 0, children: 0 }, "workload refused to move");
        }
      },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/fail-1\s+failed/);
    expect(run.stderr).toContain("workload refused to move");
    await drainctl(server, ["peers", "resume", "fail-1"]);
  });

  it("returns at once with --no-wait; status and resume follow up", async () => {
    await agent.register("nowait-1");
    const run = await drainctl(server, ["peers", "drain", "nowait-1", "--reason", "r", "--yes", "--no-wait", "-o", "json"]);
    expect(run.code).toBe(0);
    expect(json<DrainItems>(run).items[0]!.status).toBe("draining");

    const status = await drainctl(server, ["peers", "status", "nowait-1", "-o", "json"]);
    expectValid(schemas.drainItems, json(status));
    expect(json<DrainItems>(status).items[0]!.status).toBe("draining");

    // draining → uncordon is not a transition the state machine allows.
    const invalid = await drainctl(server, ["peers", "uncordon", "nowait-1"]);
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toMatch(/^error: Invalid transition: /);

    const resume = await drainctl(server, ["peers", "resume", "nowait-1", "--reason", "done", "-o", "json"]);
    expect(json<{ items: Peer[] }>(resume).items[0]!.phase).toBe("active");
  });

  it("on Ctrl-C stops following, leaves the drain running and says how to follow it", async () => {
    await agent.register("int-1");
    let sent = false;
    const run = await drainctl(server, ["peers", "drain", "int-1", "--reason", "r", "--yes"], {
      onStderr: (all, child) => {
        if (!sent && all.includes("int-1: draining")) {
          sent = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toContain("goes on server-side");
    expect(run.stderr).toContain("drainctl peers status int-1 --wait");
    const status = json<DrainItems>(await drainctl(server, ["peers", "status", "int-1", "-o", "json"]));
    expect(status.items[0]!.status).toBe("draining");
    await drainctl(server, ["peers", "resume", "int-1"]);
  });

  it("refuses a destructive verb without a terminal unless --yes, changing nothing", async () => {
    await agent.register("tty-1");
    const run = await drainctl(server, ["peers", "drain", "tty-1", "--reason", "r"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Pass --yes");
    expect(json<Peer>(await drainctl(server, ["peers", "get", "tty-1", "-o", "json"])).phase).toBe("active");
  });

  it("sets and removes labels kubectl-style", async () => {
    await agent.register("lab-1", ["edge"], { zone: "a", team: "x" });
    const run = await drainctl(server, ["peers", "label", "lab-1", "zone=b", "rack=r7", "team-", "--reason", "move", "-o", "json"]);
    expect(run.code).toBe(0);
    expectValid(schemas.peer, json(run));
    expect(json<Peer>(run).labels).toEqual({ zone: "b", rack: "r7" });
    expect((await drainctl(server, ["peers", "label", "lab-1", "nonsense"])).code).toBe(2);
  });

  it("releases a router that is gone, so the peer's drains stop waiting for it", async () => {
    await agent.register("rr-1", ["edge"], {});
    const put = await fetch(`${server.url}/control/peers/rr-1/routers/front-9`, { method: "PUT", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body: "{}" });
    expect(put.status).toBe(200);
    const run = await drainctl(server, ["peers", "release-router", "rr-1", "front-9", "--reason", "router decommissioned", "-o", "json"]);
    expect(run.code).toBe(0);
    expect(json<{ items: (Peer & { routers?: unknown })[] }>(run).items[0]?.routers).toBeUndefined();
    expect((await drainctl(server, ["peers", "release-router", "ghost", "front-9", "--reason", "x"])).code).not.toBe(0);
  });

  it("acts on every peer a -l selector matches", async () => {
    await agent.register("sel-1", ["edge"], { batch: "7" });
    await agent.register("sel-2", ["edge"], { batch: "7" });
    const run = await drainctl(server, ["peers", "cordon", "-l", "batch=7", "--reason", "batch 7", "-o", "json"]);
    expect(json<{ items: Peer[] }>(run).items.map((p) => [p.id, p.phase])).toEqual([["sel-1", "cordoned"], ["sel-2", "cordoned"]]);
    await drainctl(server, ["peers", "resume", "-l", "batch=7"]);
  });
});

describe("errors", () => {
  it("reads as title, detail and next step, with an exit code by class and no stack trace", async () => {
    const missing = await drainctl(server, ["peers", "get", "nope"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^error: Not found: .*nope/);
    expect(missing.stderr).toContain("next: Check the id: drainctl peers list");
    expect(missing.stderr).not.toMatch(/\n\s+at /);

    const debug = await drainctl(server, ["peers", "get", "nope", "--debug"]);
    expect(debug.stderr).toMatch(/\n\s+at /);
    expect(debug.stderr).toContain('"code": "not-found"');

    const auth = await drainctl(server, ["peers", "list"], { env: { DRAINCTL_TOKEN: "dk_wrong" } });
    expect(auth.code).toBe(5);
    expect(auth.stderr).toContain("Authentication required");

    const down = await drainctl(undefined, ["peers", "list", "--server", "http://127.0.0.1:1"]);
    expect(down.code).toBe(6);
    expect(down.stderr).toContain("Server unavailable");

    expect((await drainctl(server, ["peers", "list", "--bogus"])).code).toBe(2);
    expect((await drainctl(server, ["peers", "frobnicate"])).code).toBe(2);
    const noReason = await drainctl(server, ["peers", "drain", "spare-1", "--yes"]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("needs --reason");
  });
});
