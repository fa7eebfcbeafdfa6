import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainctl, FakeAgent, json, startServer, type Server } from "./harness.ts";

let server: Server;
let agent: FakeAgent;

beforeAll(async () => {
  server = await startServer({ tokens: { carol: ["mesh.operate"] } });
  agent = new FakeAgent(server);
  for (const id of ["ap-1", "ap-2", "ap-3", "ap-4"]) await agent.register(id);
  const on = await drainctl(server, ["config", "set", "approvals.enabled=true", "approvals.massPercent=25", "heartbeat.staleAfterMs=3600000", "--reason", "two-person rule", "--yes"]);
  expect(on.code, on.stderr).toBe(0);
});

afterAll(async () => {
  await server?.stop();
});

type Approval = { id: string; state: string; requestedBy: { id: string }; decidedBy?: string; change: { kind: string; peer?: string } };
const asCarol = { env: { DRAINCTL_TOKEN: "" } };

describe("drainctl approvals", () => {
  it("a mass drain waits for approval; the requester cannot approve it; a second operator lists, approves and it drains once", async () => {
    asCarol.env.DRAINCTL_TOKEN = server.tokens["carol"]!;
    expect((await drainctl(server, ["peers", "cordon", "ap-1", "--reason", "kernel"])).code).toBe(0);

    const drain = await drainctl(server, ["peers", "drain", "ap-2", "--reason", "kernel", "--yes", "--no-wait"]);
    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stderr).toMatch(/drain ap-2: waits for approval ap-[a-z0-9-]+ by a second principal with mesh\.operate/);
    const id = /waits for approval (ap-[a-z0-9-]+)/.exec(drain.stderr)![1]!;
    expect(drain.stderr).toContain(`drainctl approvals approve ${id} --reason`);

    const list = await drainctl(server, ["approvals", "list", "--state", "pending"], asCarol);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain("drain ap-2");

    const self = await drainctl(server, ["approvals", "approve", id, "--reason", "mine"]);
    expect(self.code).not.toBe(0);
    expect(self.stderr).toContain("Requester cannot approve");
    expect(self.stderr).toContain(`a second principal with mesh.operate must (drainctl approvals approve ${id}`);

    const noReason = await drainctl(server, ["approvals", "approve", id], asCarol);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain("--reason");

    const approved = await drainctl(server, ["approvals", "approve", id, "--reason", "pool has room", "-o", "json"], asCarol);
    expect(approved.code, approved.stderr).toBe(0);
    expect(json<Approval>(approved)).toMatchObject({ id, state: "applied", decidedBy: "carol", requestedBy: { id: "admin" } });
    expect(json<{ phase: string; epoch: number }>(await drainctl(server, ["peers", "get", "ap-2", "-o", "json"]))).toMatchObject({ phase: "draining", epoch: 1 });

    const again = await drainctl(server, ["approvals", "approve", id, "--reason", "twice"], asCarol);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("Approval not pending");

    const get = await drainctl(server, ["approvals", "get", id]);
    expect(get.stdout).toContain("applied");
    expect(get.stdout).toContain("carol (pool has room)");
  });

  it("rejects a staged config edit with a reason, and the setting stays", async () => {
    asCarol.env.DRAINCTL_TOKEN = server.tokens["carol"]!;
    const set = await drainctl(server, ["config", "set", "rollout.maxParallel=4", "--reason", "faster", "--yes", "-o", "json"]);
    expect(set.code, set.stderr).toBe(0);
    const staged = json<Approval>(set);
    expect(staged).toMatchObject({ state: "pending", change: { kind: "patchConfig" } });
    // Only an admin may decide a config edit; the requester may withdraw it.
    expect((await drainctl(server, ["approvals", "reject", staged.id, "--reason", "no"], asCarol)).stderr).toContain("Missing scope");
    const withdrawn = await drainctl(server, ["approvals", "reject", staged.id, "--reason", "withdrawn", "-o", "json"]);
    expect(json<Approval>(withdrawn).state).toBe("rejected");
    const config = json<{ values: Record<string, unknown> }>(await drainctl(server, ["config", "get", "-o", "json"]));
    expect(config.values["rollout.maxParallel"]).toBe(1);
  });
});
