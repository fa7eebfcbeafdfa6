import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upgradeRoutes } from "@drainkit/agent";
import { createCountingParticipant, NodeDrainCoordinator, systemClock, type CountingParticipant } from "@drainkit/core";
import { drainctl, json } from "./harness.ts";

// A host's admin listener as a service embedding the agent serves it: the real
// upgradeRoutes over a real NodeDrainCoordinator, on a loopback port.
const HOST_TOKEN = "host-admin-token-0123456789";
let admin: FastifyInstance;
let api: CountingParticipant;
let hostUrl: string;

beforeAll(async () => {
  api = createCountingParticipant("api");
  const coordinator = new NodeDrainCoordinator({ clock: systemClock(), participants: [api], roles: ["edge"], node: "host-1" });
  admin = Fastify();
  await admin.register(upgradeRoutes, { coordinator, token: HOST_TOKEN });
  hostUrl = await admin.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await admin?.close();
});

const host = (args: string[], options: Parameters<typeof drainctl>[2] = {}) =>
  drainctl(undefined, ["upgrade", ...args, "--host", hostUrl, "--token", HOST_TOKEN], options);

type HostState = { status: string; blocking: string[]; epoch: number };

describe("drainctl upgrade (one host's local endpoints)", () => {
  it("drains a host, waiting until its in-flight work is done, then resumes it", async () => {
    const before = await host(["status", "-o", "json"]);
    expect(before.code).toBe(0);
    expect(json<HostState>(before).status).toBe("idle");

    expect((await host(["drain", "--reason", "patch"])).code).toBe(2);
    expect((await drainctl(undefined, ["upgrade", "status", "--host", hostUrl, "--token", "wrong"])).code).toBe(5);

    api.begin();
    api.begin();
    let released = false;
    const drain = await host(["drain", "--reason", "kernel", "--yes", "-o", "json"], {
      onStderr: (all) => {
        // The CLI shows what the host waits on; only then does the work finish.
        if (!released && all.includes("waiting on")) {
          released = true;
          api.end();
          api.end();
        }
      },
    });
    expect(drain.stderr).toMatch(/^draining.*waiting on /m);
    expect(drain.code).toBe(0);
    expect(json<HostState>(drain).status).toBe("drained");
    expect(api.open).toBe(false);

    const resume = await host(["resume", "-o", "json"]);
    expect(resume.code).toBe(0);
    expect(json<HostState>(resume).status).toBe("idle");
    expect(api.open).toBe(true);
  });

  it("returns at once with --no-wait and reads as a table", async () => {
    api.begin();
    const run = await host(["drain", "--reason", "r", "--yes", "--no-wait"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^status:\s+draining$/m);
    expect(run.stdout).toMatch(/^reason:\s+r$/m);
    api.end();
    await host(["resume"]);
  });
});
