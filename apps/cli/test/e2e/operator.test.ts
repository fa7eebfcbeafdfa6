import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectFits, WIDTHS } from "../widths.ts";
import { drainctl, drainctlOnPty, FakeAgent, json, longLivenessWindow, startServer, type Server } from "./harness.ts";

// One pool with a budget the server enforces (maxUnavailable 1), peers with long names and labels.
let server: Server;
let agent: FakeAgent;
const LONG = "storage-node-0001.eu-west-1.compute.internal";

beforeAll(async () => {
  server = await startServer({ args: ["--pool", "web:maxUnavailable=1"] });
  // The agents here report once; steps can outlast the default 30 s window on a loaded machine.
  await longLivenessWindow(server);
  agent = new FakeAgent(server);
  for (const id of ["op-a", "op-b", "op-c", "op-d"]) await agent.register(id, ["edge"], { zone: "eu-west-1a", team: "storage-platform", rack: "r7-long-rack-name" });
  await agent.register(LONG, ["edge", "ingest"], { zone: "eu-west-1b", "topology.kubernetes.io/region": "eu-west-1" }, ["web", "storage"]);
  // Another live ingest node, so cordoning LONG does not take the role's last schedulable node.
  await agent.register("ingest-spare", ["ingest"], {}, ["storage"]);
  await drainctl(server, ["peers", "cordon", LONG, "--reason", "disk check before the kernel upgrade; see the runbook for the whole story", "--ticket", "CHG-4242"]);
});

// Only live peers count toward budgets and the only-schedulable rule: their agents heartbeat.
beforeEach(async () => {
  for (const id of ["op-a", "op-b", "op-c", "op-d", LONG, "ingest-spare"]) await agent.heartbeat(id);
});

afterAll(async () => {
  await server?.stop();
});

const phase = async (id: string): Promise<string> => json<{ phase: string }>(await drainctl(server, ["peers", "get", id, "-o", "json"])).phase;

describe("output fits the terminal", () => {
  it.each(WIDTHS)("lists, describes and audits within %i columns", async (width) => {
    const env = { COLUMNS: String(width) };
    for (const args of [["peers", "list"], ["peers", "describe", LONG], ["audit", "list"], ["peers", "status", LONG, "op-a"], ["peers", "drain", "op-a", LONG, "--reason", "what if", "--dry-run"]]) {
      const run = await drainctl(server, args, { env });
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).not.toBe(2);
      expectFits(run.stdout, width);
      expectFits(run.stderr, width);
    }
    const list = await drainctl(server, ["peers", "list"], { env });
    // Registered and heartbeating with nothing on it: the heartbeat's age, not a timestamp.
    expect(list.stdout).toMatch(/^op-a\s+active\s+web\s+0\s+0\/0\s+(just now|\d+s ago)\s+-$/m);
    // A full ISO time would not fit a narrow table; the age does.
    expect((await drainctl(server, ["audit", "list"], { env })).stdout).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  it("shows everything whole with -o wide, ids with -o name, fields with -o jsonpath", async () => {
    const wide = await drainctl(server, ["peers", "list", "-o", "wide"], { env: { COLUMNS: "80" } });
    expect(wide.stdout).toContain("topology.kubernetes.io/region=eu-west-1");
    expect(wide.stdout).not.toContain("…");
    const names = await drainctl(server, ["peers", "list", "-o", "name"]);
    expect(names.stdout.trim().split("\n")).toEqual(expect.arrayContaining(["op-a", "op-b", LONG]));
    const ids = await drainctl(server, ["peers", "list", "-l", "team=storage-platform", "-o", "jsonpath={.items[*].id}"]);
    expect(ids.stdout).toBe("op-a op-b op-c op-d\n");
    const reason = await drainctl(server, ["peers", "get", LONG, "-o", "jsonpath={.spec.cordons.*.reason}"]);
    expect(reason.stdout).toContain("disk check before the kernel upgrade");
  });

  it.each(WIDTHS)("keeps live drain progress within %i columns on a terminal", async (width) => {
    const id = `pty-${width}-${"x".repeat(40)}`;
    await agent.register(id, ["edge"], {}, ["bulk"]);
    const pending = drainctlOnPty(server, ["peers", "drain", id, "--reason", "patch with a long explanation of why", "--yes"], [], width);
    for (;;) {
      const s = json<{ items: { status: string }[] }>(await drainctl(server, ["peers", "status", id, "-o", "json"])).items[0]!;
      if (s.status === "draining") break;
    }
    await agent.report(id, 1, "draining", 4, { owners: 3, children: 9 });
    await agent.report(id, 1, "drained", 0);
    const run = await pending;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`: drained`);
    expectFits(run.stdout, width);
    await drainctl(server, ["peers", "resume", id]);
  });
});

describe("several peers at once", () => {
  it("dry-runs the set in order: the second is refused once the first is out", async () => {
    const run = await drainctl(server, ["peers", "drain", "op-a", "op-b", "--reason", "kernel", "--dry-run", "-o", "json"]);
    expect(run.code).toBe(4);
    const out = json<{ items: { peer: string; outcome: string; cumulative?: { outcome: string; pool?: string } }[] }>(run);
    expect(out.items.map((i) => [i.peer, i.outcome])).toEqual([["op-a", "allowed"], ["op-b", "refused"]]);
    expect(out.items[1]!.cumulative).toMatchObject({ outcome: "refused", pool: "web" });
  });

  it("checks the budget before asking, and changes nothing when it would refuse", async () => {
    // No terminal and no --yes: before, this stopped at the prompt; now the budget speaks first.
    const run = await drainctl(server, ["peers", "drain", "op-a", "op-b", "--reason", "kernel"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("Refused before anything changed");
    expect(run.stderr).toContain("drainctl peers drain op-a op-b --sequential --reason");
    expect(await phase("op-a")).toBe("active");
  });

  it("drains one at a time with --sequential, stops at the budget naming the pool, and resumes", async () => {
    let reported = false;
    const first = await drainctl(server, ["peers", "drain", "op-c", "op-d", "--sequential", "--reason", "kernel", "--yes"], {
      onStderr: (all) => {
        if (!reported && /op-c: draining/.test(all)) {
          reported = true;
          void agent.report("op-c", 1, "drained", 0);
        }
      },
    });
    expect(first.code).toBe(4);
    expect(first.stderr).toContain("Stopped at the budget");
    expect(first.stderr).toContain("drainctl peers list --pool web");
    expect(first.stderr).toContain("drainctl peers drain op-c op-d --sequential");
    expect(await phase("op-c")).toBe("drained");
    expect(await phase("op-d")).toBe("active");

    // Run again: op-c is skipped, not drained a second time; op-d is still over the budget.
    const again = await drainctl(server, ["peers", "drain", "op-c", "op-d", "--sequential", "--reason", "kernel", "--yes"]);
    expect(again.stderr).toContain("op-c: already drained");
    expect(again.code).toBe(4);
    await drainctl(server, ["peers", "resume", "op-c"]);
  });

  it("names the pool in the next hint of a refusal", async () => {
    await drainctl(server, ["peers", "drain", "op-a", "--reason", "r", "--yes", "--no-wait"]);
    const run = await drainctl(server, ["peers", "drain", "op-b", "--reason", "r", "--yes", "--no-wait"]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("next: ");
    expect(run.stderr).toContain("--pool web");
    expect(run.stderr).not.toContain("<pool>");
    await drainctl(server, ["peers", "resume", "op-a"]);
  });
});

describe("describe, completion and version", () => {
  it("describes a peer: cordons by owner, drain, audit", async () => {
    const run = await drainctl(server, ["peers", "describe", LONG]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Cordons:\n\s+OWNER\s+EXPIRES\s+REASON\n\s+admin\s+never\s+disk check/m);
    expect(run.stdout).toMatch(/^Recent audit \(last 10\):/m);
    expect(run.stdout).toMatch(/admin\s+cordon\s+ok/);
    const d = json<{ peer: { id: string }; drain: { status: string }; audit: unknown[] }>(await drainctl(server, ["peers", "describe", LONG, "-o", "json"]));
    expect(d.peer.id).toBe(LONG);
    expect(d.audit.length).toBeGreaterThan(0);
  });

  it("completes peer ids, pools and roles from the live fleet", async () => {
    expect((await drainctl(server, ["__complete", "peers"])).stdout.split("\n")).toEqual(expect.arrayContaining(["op-a", LONG]));
    expect((await drainctl(server, ["__complete", "pools"])).stdout).toBe("bulk\nstorage\nweb\n");
    const down = await drainctl(undefined, ["__complete", "peers", "--server", "http://127.0.0.1:1"]);
    expect(down).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const script = await drainctl(server, ["completion", "bash"]);
    expect(script.stdout).toContain("drainctl __complete peers");
    expect(script.stdout).not.toMatch(/compgen -W '[^']*__complete/);
  });

  it("prints the version of its package.json", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect((await drainctl(undefined, ["--version"])).stdout.trim()).toBe(pkg.version);
  });
});
