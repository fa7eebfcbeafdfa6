import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainctl, FakeAgent, json, startServer, type Server } from "./harness.ts";
import { expectValid, outputSchemas, type OutputSchemas } from "./schemas.ts";

let server: Server;
let schemas: OutputSchemas;

beforeAll(async () => {
  server = await startServer();
  schemas = await outputSchemas(server);
  const agent = new FakeAgent(server);
  for (const id of ["r1", "r2", "r3", "r4"]) await agent.register(id);
});

afterAll(async () => {
  await server?.stop();
});

type Rollout = { id: string; state: string; plan: { waves: { nodes: string[] }[] }; nodes: Record<string, { step: string }> };

describe("drainctl rollout", () => {
  it("--no-verify is allowed but warned on stderr, and the plan the server answers carries the warning", async () => {
    const loose = await drainctl(server, ["rollout", "plan", "--to", "2.1", "--no-verify", "--min-healthy", "0s", "-o", "json"]);
    expect(loose.code).toBe(0);
    expect(loose.stderr).toMatch(/^warning: --no-verify: nodes count as upgraded once healthy again, whether or not they report 2\.1/m);
    const plan = json<Rollout & { settings: { verify: boolean; minHealthyMs: number }; warnings?: string[] }>(loose);
    expectValid(schemas.rollout, plan);
    expect(plan.settings).toMatchObject({ verify: false, minHealthyMs: 0 });
    expect(plan.warnings).toEqual([expect.stringContaining("unverified")]);
    const human = await drainctl(server, ["rollout", "plan", "--to", "2.1", "--no-verify"]);
    expect(human.stdout).toMatch(/^warning: unverified rollout/m);
    expect(human.stdout).toMatch(/^verify: off$/m);

    const verified = await drainctl(server, ["rollout", "plan", "--to", "2.1"]);
    expect(verified.stderr).not.toContain("--no-verify");
    expect(verified.stdout).toMatch(/^verify: each node must report 2\.1 and stay healthy 10s within 5m/m);
  });

  it("plans without writing, then starts, follows, pauses, resumes and aborts a rolling upgrade", async () => {
    const plan = await drainctl(server, ["rollout", "plan", "--to", "2.0", "--max-parallel", "2", "-o", "json"]);
    expect(plan.code).toBe(0);
    expectValid(schemas.rollout, json(plan));
    expect(json<Rollout>(plan).plan.waves.map((w) => w.nodes)).toEqual([["r1", "r2"], ["r3", "r4"]]);
    expect((await drainctl(server, ["rollout", "plan", "--to", "2.0"])).stdout).toMatch(/^plan: upgrade 4 node\(s\) to 2\.0 in \d+ wave\(s\); 0 blocked now/);
    expect(json<{ items: unknown[] }>(await drainctl(server, ["rollout", "list", "-o", "json"])).items).toEqual([]);

    expect((await drainctl(server, ["rollout", "start", "--to", "2.0", "--reason", "r"])).code).toBe(2);
    const start = await drainctl(server, ["rollout", "start", "--to", "2.0", "--max-parallel", "2", "--reason", "kernel", "--ticket", "CHG-7", "--yes", "--no-wait", "-o", "json"]);
    expect(start.code).toBe(0);
    const id = json<Rollout>(start).id;
    expect(json<Rollout>(start).state).toBe("running");

    // A waiting `status --wait` ends when the rollout settles: here, when an operator pauses it.
    let paused = false;
    const waiting = await drainctl(server, ["rollout", "status", id, "--wait"], {
      onStderr: (all) => {
        if (!paused && all.includes(`rollout ${id} to 2.0: running`)) {
          paused = true;
          void drainctl(server, ["rollout", "pause", id, "--reason", "hold on"]);
        }
      },
    });
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toContain(`rollout ${id} to 2.0: paused (hold on)`);

    const status = await drainctl(server, ["rollout", "status", "-o", "json"]);
    expectValid(schemas.rollout, json(status));
    expect(json<Rollout>(status).state).toBe("paused");

    expect(json<Rollout>(await drainctl(server, ["rollout", "resume", id, "-o", "json"])).state).toBe("running");
    const busy = await drainctl(server, ["rollout", "start", "--to", "3.0", "--reason", "again", "--yes"]);
    expect(busy.code).toBe(4);
    expect(busy.stderr).toContain("drainctl rollout abort");

    expect((await drainctl(server, ["rollout", "abort", id])).code).toBe(2);
    const abort = await drainctl(server, ["rollout", "abort", id, "--reason", "enough", "--yes", "-o", "json"]);
    expect(abort.code).toBe(0);
    expect(["aborting", "aborted"]).toContain(json<Rollout>(abort).state);
  });
});
