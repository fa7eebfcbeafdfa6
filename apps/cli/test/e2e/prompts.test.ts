import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainctl, drainctlOnPty, FakeAgent, json, startServer, type Server } from "./harness.ts";

let server: Server;
let agent: FakeAgent;

beforeAll(async () => {
  server = await startServer();
  agent = new FakeAgent(server);
  for (const id of ["spare-1", "spare-2"]) await agent.register(id);
});

afterAll(async () => {
  await server?.stop();
});

const phase = async (id: string): Promise<string> => json<{ phase: string }>(await drainctl(server, ["peers", "get", id, "-o", "json"])).phase;
const drainOf = async (id: string): Promise<{ status: string }> => json<{ items: { status: string }[] }>(await drainctl(server, ["peers", "status", id, "-o", "json"])).items[0]!;

describe("confirmation prompts on a real terminal", () => {
  it("drains once the operator answers yes", async () => {
    await agent.register("pty-yes");
    const run = await drainctlOnPty(server, ["peers", "drain", "pty-yes", "--reason", "patch", "--no-wait"], [{ when: /Drain pty-yes \(reason: patch\)\?/, send: "y\r" }]);
    expect(run.stdout).toMatch(/pty-yes\s+draining/);
    expect(run.code).toBe(0);
    expect(await phase("pty-yes")).toBe("draining");
  });

  it("changes nothing when the operator answers no", async () => {
    await agent.register("pty-no");
    const run = await drainctlOnPty(server, ["peers", "drain", "pty-no", "--reason", "patch", "--no-wait"], [{ when: /Drain pty-no/, send: "n\r" }]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("Nothing was changed.");
    expect(await phase("pty-no")).toBe("active");
  });

  it("asks twice for a forced drain: yes, then the peer's name typed back", async () => {
    await agent.register("pty-force");
    const run = await drainctlOnPty(server, ["peers", "drain", "pty-force", "--force", "--reason", "emergency", "--no-wait"], [
      { when: /FORCE-drain \(past pool budgets\) pty-force/, send: "y\r" },
      { when: /Type "pty-force" to confirm/, send: "pty-force\r" },
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect((await drainOf("pty-force")).status).toBe("draining");
  });

  it("an Enter typed after the first answer does not answer the second: the name is asked for again", async () => {
    await agent.register("pty-enter");
    // The first prompt takes its "y" at once; the Enter a person types after it lands on the second prompt.
    const run = await drainctlOnPty(server, ["peers", "drain", "pty-enter", "--force", "--reason", "emergency", "--no-wait"], [
      { when: /FORCE-drain \(past pool budgets\) pty-enter/, send: "y" },
      { when: /Type "pty-enter" to confirm/, send: "\r" },
      { when: /Type "pty-enter" to confirm, or press Ctrl-C to cancel/, send: "pty-enter\r" },
    ]);
    expect(run.code, run.stdout).toBe(0);
    expect((await drainOf("pty-enter")).status).toBe("draining");
  });

  it("aborts a config change when the typed name does not match", async () => {
    const run = await drainctlOnPty(server, ["config", "set", "rollout.maxParallel=5", "--reason", "faster"], [
      { when: /Change control-plane settings: rollout\.maxParallel=5\?/, send: "y\r" },
      { when: /Type "config" to confirm/, send: "conf\r" },
    ]);
    expect(run.code).toBe(1);
    const config = json<{ values: Record<string, unknown> }>(await drainctl(server, ["config", "get", "-o", "json"]));
    expect(config.values["rollout.maxParallel"]).toBe(1);
  });

  it("shows live per-node progress bars with an ETA while waiting", async () => {
    await agent.register("pty-bar");
    let reported = false;
    const pending = drainctlOnPty(server, ["peers", "drain", "pty-bar", "--reason", "patch", "--yes"], []);
    // The agent acts once the drain is visible server-side; the CLI learns of it from the event stream.
    while (!reported) {
      const s = await drainOf("pty-bar");
      if (s.status === "draining") {
        await agent.report("pty-bar", 1, "draining", 4, { owners: 1, children: 0 });
        await agent.report("pty-bar", 1, "drained", 0);
        reported = true;
      }
    }
    const run = await pending;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/pty-bar: (draining|drained).* \(in-flight \d+, workloads/);
    expect(run.stdout).toContain("ETA");
    expect(run.stdout).toMatch(/pty-bar\s+drained\s+0/);
  });
});
