// @ts-nocheck
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NODE, run, userEnv } from "./run.ts";

const { project } = inject("consumer");
const bin = (name: string): string => join(project, "node_modules", ".bin", name);

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** Starts a long-running process and resolves once a line of its stdout matches. */
function startUntil(cmd: string, args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv): Promise<Started & { match: RegExpExecArray }> {
  const child = spawn(cmd, args, { cwd: project, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString("utf8");
      const match = ready.exec(out);
      if (match) resolve({ child, output: () => out, match });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.once("exit", (code) => reject(new Error(`${cmd} exited ${code} before it was ready:\n${out}`)));
    child.once("error", reject);
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}

describe("the installed bins and agent", () => {
  let server: (Started & { match: RegExpExecArray }) | undefined;
  let service: (Started & { match: RegExpExecArray }) | undefined;
  let url = "";
  let adminToken = "";
  const env = userEnv();

  const drainctl = (...args: string[]): string =>
    run(bin("drainctl"), args, { cwd: project, env: { ...env, DRAINCTL_SERVER: url, DRAINCTL_TOKEN: adminToken } }).stdout;

  beforeAll(async () => {
    // Exec'd directly, as a shell would: the shebang must find the pinned Node first on PATH.
    server = await startUntil(bin("drainkit"), ["serve", "--store", "sqlite:./data/drainkit.db", "--listen", "127.0.0.1:0"], /admin token[^\n]*\n\s+(dk_\S+)\n/, env);
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())![1]!;
    adminToken = server.match[1]!;
  });

  afterAll(async () => {
    await stop(service?.child);
    await stop(server?.child);
  });

  it("are compiled JavaScript with a shebang, not TypeScript through a loader", () => {
    for (const name of ["drainkit", "drainctl"]) {
      const target = realpathSync(bin(name));
      expect(target).toMatch(/\/dist\/main\.js$/);
      expect(readFileSync(target, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
      expect(statSync(target).mode & 0o111).not.toBe(0);
    }
    expect(readdirTsx()).toBe(false);
    expect(run(bin("drainctl"), ["--version"], { cwd: project, env }).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("drainkit serve on SQLite, a peer registered, cordoned with drainctl", async () => {
    for (const id of ["web-1", "web-2"]) {
      const res = await fetch(`${url}/control/peers/${id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ address: `10.0.0.${id.slice(-1)}:8080`, pools: ["web"], roles: ["edge"] }),
      });
      expect(res.status).toBe(200);
    }
    drainctl("peers", "cordon", "web-1", "--reason", "consumer test", "--ticket", "CHG-1");
    const peer = JSON.parse(drainctl("peers", "get", "web-1", "-o", "json")) as { phase: string; spec: { cordons: Record<string, { reason: string }> } };
    expect(peer.phase).toBe("cordoned");
    expect(Object.values(peer.spec.cordons).map((c) => c.reason)).toEqual(["consumer test"]);
    const ui = await fetch(`${url}/ui/`);
    expect(ui.status, "the dashboard ships inside @drainkit/control-plane").toBe(200);
    expect(await ui.text()).toContain("<!doctype html>");
  });

  it("the installed agent, embedded in a node:http service, drains it and brings it back", async () => {
    // The server reads its token file when it starts: mint the host's token, then restart it
    // (which also shows the SQLite store keeps web-1's cordon across a restart).
    const agentToken = run(bin("drainkit"), ["token", "add", "web-3", "--scope", "mesh.agent", "--token-file", "data/tokens.json"], { cwd: project, env }).stdout.trim();
    await stop(server?.child);
    server = await startUntil(bin("drainkit"), ["serve", "--store", "sqlite:./data/drainkit.db", "--listen", "127.0.0.1:0"], /listening on (http:\/\/127\.0\.0\.1:\d+)/, env);
    url = server.match[1]!;
    expect((JSON.parse(drainctl("peers", "get", "web-1", "-o", "json")) as { phase: string }).phase).toBe("cordoned");
    writeFileSync(join(project, "service.mjs"), SERVICE);
    service = await startUntil(NODE, ["service.mjs"], /serving on (http:\/\/127\.0\.0\.1:\d+)/, { ...env, DRAINKIT_URL: url, DRAINKIT_TOKEN: agentToken });
    const own = service.match[1]!;
    expect((await fetch(own)).status).toBe(200);

    // web-2 reports too (as its agent would), so web-3 is not the role's last live node and may be drained.
    const beat = await fetch(`${url}/control/peers/web-2/status`, {
      method: "PUT",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ roles: {}, epoch: 0 }),
    });
    expect(beat.status).toBe(200);
    // drainctl waits until the agent reports the host drained.
    drainctl("peers", "drain", "web-3", "--reason", "consumer test", "--yes", "--deadline", "60s");
    const drained = JSON.parse(drainctl("peers", "get", "web-3", "-o", "json")) as { phase: string };
    expect(drained.phase).toBe("drained");
    // The drain closed the idle keep-alive connection this process held: a fresh one gets the 503.
    const status = await fetch(own).then((r) => r.status, () => fetch(own).then((r) => r.status));
    expect(status, "a drained service refuses new requests").toBe(503);

    drainctl("peers", "resume", "web-3", "--reason", "done");
    await until(async () => (await fetch(own)).status === 200, "the agent reopens the gates after resume");
  });
});

function readdirTsx(): boolean {
  try {
    statSync(join(project, "node_modules", "tsx"));
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}

const SERVICE = `
import { createServer } from "node:http";
import { NodeDrainCoordinator, systemClock } from "@drainkit/core";
import { createHttpDrainParticipant } from "@drainkit/http";
import { DrainAgent } from "@drainkit/agent";

const clock = systemClock();
const server = createServer((_req, res) => res.end("ok\\n"));
const http = createHttpDrainParticipant(server);
const coordinator = new NodeDrainCoordinator({ clock, participants: [http], roles: ["edge"], node: "web-3" });
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = \`127.0.0.1:\${server.address().port}\`;
const agent = new DrainAgent({
  controlPlane: { url: process.env.DRAINKIT_URL, token: process.env.DRAINKIT_TOKEN },
  peer: { id: "web-3", address, pools: ["web"], roles: ["edge"] },
  coordinator,
  clock,
  heartbeatMs: 1_000,
});
await agent.start();
console.log(\`serving on http://\${address}\`);
process.once("SIGTERM", async () => {
  await agent.stop();
  server.close();
  server.closeAllConnections();
});
`;
