import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DrainAgent } from "@drainkit/agent";
import { createCountingParticipant, NodeDrainCoordinator, systemClock } from "@drainkit/core";
import { ADMIN_TOKEN, DRAINCTL, startServer, type Server } from "./harness.ts";

/**
 * The runbooks under docs/runbooks are run here, block by block, so a page
 * that no longer matches the CLI or the API fails this test. Each page gets
 * its own fresh control plane (SQLite) and four real agents in this process.
 */
const RUNBOOKS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../docs/runbooks");

/** Every ```sh block of a page, in order. */
function shellBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```sh[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) blocks.push(m[1]!);
  return blocks;
}

interface Fleet {
  stop(): Promise<void>;
}

/** web-1 … web-3 in pool `web`, role `edge`; batch-1 (pool `batch`) holds one request that never ends. */
async function startFleet(server: Server): Promise<Fleet> {
  const clock = systemClock();
  const agents: DrainAgent[] = [];
  for (const id of ["web-1", "web-2", "web-3", "batch-1"]) {
    const http = createCountingParticipant("http");
    if (id === "batch-1") http.begin();
    const coordinator = new NodeDrainCoordinator({ clock, participants: [http], roles: ["edge"], node: id });
    const agent = new DrainAgent({
      controlPlane: { url: server.url, token: ADMIN_TOKEN },
      peer: { id, address: `127.0.0.1:${8080 + agents.length}`, pools: [id.startsWith("web") ? "web" : "batch"], roles: ["edge"], labels: { version: "1.0.0" } },
      coordinator,
      clock,
      heartbeatMs: 250,
      drainReportMs: 100,
    });
    await agent.start();
    agents.push(agent);
  }
  // The hosts' upgrade tooling: a node a rolling upgrade drained and now waits on
  // ("upgrading") is given the target version, which its peer then reports, as a
  // real host restarted on the new release would. Without it a verified rollout
  // (the default) waits out its healthy deadline.
  let stopped = false;
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  const tooling = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${server.url}/control/upgrade`, { headers });
        if (res.ok) {
          const rollout = (await res.json()) as { version: string; nodes?: Record<string, { step: string }> };
          for (const [node, step] of Object.entries(rollout.nodes ?? {})) {
            if (step.step !== "upgrading") continue;
            const peer = await fetch(`${server.url}/control/peers/${node}`, { headers });
            const body = (await peer.json()) as { peer?: { metadata?: Record<string, unknown> }; metadata?: Record<string, unknown> };
            if ((body.peer ?? body).metadata?.["version"] === rollout.version) continue;
            await fetch(`${server.url}/control/peers/${node}`, { method: "PATCH", headers: { ...headers, "if-match": peer.headers.get("etag") ?? "*" }, body: JSON.stringify({ metadata: { version: rollout.version } }) });
          }
        }
      } catch {
        // The server is starting or stopping; try again.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await tooling;
      await Promise.all(agents.map((a) => a.stop()));
    },
  };
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn("bash", ["-c", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((ok) => child.once("close", (code) => ok({ code, output })));
}

const pages = readdirSync(RUNBOOKS).filter((f) => f.endsWith(".md") && f !== "README.md").sort();

describe("runbooks", () => {
  let server: Server | undefined;
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.stop();
    await server?.stop();
    fleet = undefined;
    server = undefined;
  });

  it("has a page for every operation the index lists, and each page has commands", () => {
    const index = readFileSync(join(RUNBOOKS, "README.md"), "utf8");
    const linked = [...index.matchAll(/\]\(([a-z-]+\.md)\)/g)].map((m) => m[1]!).sort();
    expect(linked).toEqual(pages);
    for (const page of pages) expect(shellBlocks(readFileSync(join(RUNBOOKS, page), "utf8")).length, page).toBeGreaterThan(0);
  });

  it.each(pages)("%s runs as written against a live control plane", { timeout: 300_000 }, async (page) => {
    // The replica is a peer too (role and pool control-plane), as `drainkit serve` runs by default;
    // a second principal for the two-person rule (approvals.md).
    server = await startServer({ selfPeer: true, args: ["--cluster", "east:active", "--cluster", "west:backup", "--pool", "web:maxUnavailable=1", "--replica-id", "cp-1"], tokens: { approver: ["mesh.admin"] } });
    fleet = await startFleet(server);
    const bin = join(server.dir, "bin");
    mkdirSync(bin, { recursive: true });
    // `drainctl` on PATH exactly as an installed bin, on this process's Node.
    writeFileSync(join(bin, "drainctl"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(DRAINCTL)} "$@"\n`);
    chmodSync(join(bin, "drainctl"), 0o755);
    const blocks = shellBlocks(readFileSync(join(RUNBOOKS, page), "utf8"));
    const env = {
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
      DK: server.url,
      TOKEN: ADMIN_TOKEN,
      APPROVER_TOKEN: server.tokens["approver"]!,
      DRAINCTL_SERVER: server.url,
      DRAINCTL_TOKEN: ADMIN_TOKEN,
      XDG_CONFIG_HOME: join(server.dir, "xdg"),
      TMPDIR: server.dir,
    };
    for (const [i, block] of blocks.entries()) {
      const run = await bash(`set -euo pipefail\n${block}`, env);
      expect(run.code, `${page}, block ${i + 1}:\n${block}\n--- output ---\n${run.output}`).toBe(0);
    }
  });
});
