// Drain reaction end to end: a REST drain request to one replica (its own
// process, on 127.0.0.1) until the host's real DrainAgent (in this process,
// following the replica's event stream) has closed its gate; then resume and
// wait for the gate to reopen and the peer to be active again before the next
// drain. Prints p50/p99 over N drains. Asserts nothing about time.
//
//   DRAINKIT_BENCH_DRAINS=1000          drains per store (default 200)
//   DRAINKIT_BENCH_DRAIN_STORES=sqlite,etcd  (default sqlite; etcd is a 3-member cluster)
//
// The agent takes a ControlPlaneClient (REST + SSE); @drainkit/client's gRPC
// ControlClient is not one, so there is no gRPC variant of this figure.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { figure, quantile } from "@drainkit/bench";
import { createControlPlaneClient } from "@drainkit/client";
import { NodeDrainCoordinator, systemClock, type DrainParticipant } from "@drainkit/core";
import { DrainAgent } from "@drainkit/agent";
import { startEtcd } from "@drainkit/store-etcd/testing";
import { spawnServer } from "./spawnServer.ts";

const TOKEN = "bench-admin-token-0123456789abcdef";
const DRAINS = Number(process.env["DRAINKIT_BENCH_DRAINS"] ?? 200);
const STORES = (process.env["DRAINKIT_BENCH_DRAIN_STORES"] ?? "sqlite").split(",");
const STUCK_MS = 5_000;

/** A participant that notes when its gate closes and reopens. */
function gate(): DrainParticipant & { closed(): Promise<number>; opened(): Promise<number> } {
  let onClose: ((at: number) => void) | undefined;
  let onOpen: ((at: number) => void) | undefined;
  return {
    name: "gate",
    drain: () => onClose?.(performance.now()),
    inFlight: () => 0,
    onIdle: () => () => {},
    resume: () => onOpen?.(performance.now()),
    closed: () => new Promise((resolve) => (onClose = resolve)),
    opened: () => new Promise((resolve) => (onOpen = resolve)),
  };
}

function agentFor(url: string, id: string, participant: DrainParticipant): DrainAgent {
  const clock = systemClock();
  return new DrainAgent({
    controlPlane: { url, token: TOKEN },
    peer: { id, address: `127.0.0.1:${id === "host" ? 8001 : 8002}`, pools: ["web"], roles: ["edge"] },
    coordinator: new NodeDrainCoordinator({ clock, participants: [participant], roles: ["edge"], node: id }),
    clock,
    heartbeatMs: 1_000,
  });
}

async function run(label: string, store: string, dir: string): Promise<void> {
  const server = await spawnServer({ store, token: TOKEN, dir });
  const ops = createControlPlaneClient({ url: server.url, token: TOKEN });
  const host = gate();
  // A second live host in the pool, so draining the first never takes the role's last node.
  const agents = [agentFor(server.url, "host", host), agentFor(server.url, "spare", gate())];
  try {
    await Promise.all(agents.map((a) => a.start()));
    const reaction: number[] = [];
    const requestMs: number[] = [];
    /** Drains whose gate had not closed STUCK_MS after the request (counted, left out of the quantiles). */
    let stuck = 0;
    let firstStuck: string | undefined;
    const within = <T>(p: Promise<T>): Promise<T | undefined> => Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), STUCK_MS))]);
    const started = performance.now();
    for (let i = 0; i < DRAINS; i++) {
      const closed = host.closed();
      const t0 = performance.now();
      const status = await ops.drain("host", { reason: `bench ${i}`, deadlineMs: 60_000 });
      requestMs.push(performance.now() - t0);
      const at = await within(closed);
      if (at === undefined) {
        stuck++;
        firstStuck ??= `drain ${i} (epoch ${status.epoch}): agent ${JSON.stringify(agents[0]!.snapshot()).slice(0, 300)}`;
      } else reaction.push(at - t0);
      const opened = host.opened();
      await ops.resume("host", { reason: "bench" });
      await within(opened);
      for (let p = await ops.getPeer("host"); p.phase !== "active"; p = await ops.getPeer("host")) await new Promise((r) => setTimeout(r, 5));
    }
    figure(`control-plane.drain-reaction.${label}.rest`, quantile(reaction, 0.99), "ms p99", {
      p50Ms: quantile(reaction, 0.5),
      p99Ms: quantile(reaction, 0.99),
      maxMs: Math.max(...reaction),
      drains: DRAINS,
      stuck,
      ...(firstStuck === undefined ? {} : { firstStuck }),
      drainRequestP50Ms: quantile(requestMs, 0.5),
      drainRequestP99Ms: quantile(requestMs, 0.99),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      what: "POST :drain sent -> the agent's participant gate closed (SSE to the agent)",
    });
  } finally {
    await Promise.all(agents.map((a) => a.stop()));
    await ops.close();
    await server.stop();
  }
}

for (const storeKind of STORES) {
  const dir = await mkdtemp(join(tmpdir(), "drainkit-bench-drains-"));
  try {
    if (storeKind === "sqlite") await run("sqlite", `sqlite:${join(dir, "drainkit.db")}`, dir);
    else if (storeKind === "etcd") {
      const etcd = await startEtcd({ members: 3 }).catch((e: unknown) => {
        process.stderr.write(`etcd unavailable, skipping the etcd drain reaction: ${e instanceof Error ? e.message : String(e)}\n`);
        return undefined;
      });
      if (etcd === undefined) continue;
      try {
        await run("etcd3", `etcd://${etcd.endpoints.map((u) => u.replace(/^https?:\/\//, "")).join(",")}/bench`, dir);
      } finally {
        await etcd.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
