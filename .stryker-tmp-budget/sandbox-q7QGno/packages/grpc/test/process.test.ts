// @ts-nocheck
import type { WatchEventsChange } from "../src/index.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createControlClient } from "../src/index.ts";
import { grpcContractTargetAt, runControlContract, testToken, type ContractTarget } from "../src/testing/index.ts";

const script = fileURLToPath(new URL("./fixtures/serveControl.ts", import.meta.url));

/** Starts the control service in a child Node process; resolves with its address. */
async function startChild(): Promise<{ address: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, "line")) as [string];
  const { address } = JSON.parse(line) as { address: string };
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.stdin!.end();
    await exited;
  };
  return { address, child, stop };
}

async function childTarget(): Promise<ContractTarget> {
  const { address, stop } = await startChild();
  return grpcContractTargetAt(address, stop);
}

// Every unary RPC is exercised by the contract table; here against a separate process.
runControlContract("grpc, control service in a child process", childTarget, { timeout: 60_000 });

describe("control service in a child process", () => {
  it("streams WatchEvents across the process boundary and exits cleanly", async () => {
    const { address, child, stop } = await startChild();
    const client = createControlClient(address, { token: testToken("mesh.operate") });
    try {
      const from = (await client.listPeers()).revision;
      const seen: WatchEventsChange[] = [];
      const watch = client.watchEvents({ fromRevision: from, kinds: ["peer"] }, (c) => seen.push(c));
      await client.registerPeer({ id: "web-1", address: "a:80", pools: ["web"], roles: ["edge"] });
      await client.cordon("web-1", { reason: "cross-process" });
      await new Promise<void>((resolve) => {
        const check = (): void => (seen.length >= 2 ? resolve() : void setImmediate(check));
        check();
      });
      watch.close();
      expect(seen.map((c) => (c.value as { phase?: string }).phase)).toEqual(["active", "cordoned"]);
    } finally {
      client.close();
      await stop();
    }
    expect(child.exitCode).toBe(0);
  });
});
