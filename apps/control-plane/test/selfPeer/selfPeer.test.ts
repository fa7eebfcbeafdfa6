import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../src/index.ts";

const ADMIN = "self-peer-admin-token-0123456789";
let cp: ControlPlane | undefined;
let dir = "";

afterEach(async () => {
  await cp?.shutdown("test over");
  cp = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(cp!.url + path, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("a replica that is a peer of its own fleet", () => {
  it("registers itself (role and pool control-plane, its version) and heartbeats its HTTP, gRPC and leadership participants; shutdown drains them", async () => {
    dir = await mkdtemp(join(tmpdir(), "drainkit-self-peer-"));
    const logs: Record<string, unknown>[] = [];
    cp = await startControlPlane({
      store: `sqlite:${join(dir, "drainkit.db")}`,
      listen: "127.0.0.1:0",
      grpc: "127.0.0.1:0",
      adminToken: ADMIN,
      replicaId: "cp-1",
      selfPeer: { version: "1.4.2" },
      logDestination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } as unknown as NodeJS.WritableStream,
    });
    let peer: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) {
      const res = await get("/control/peers/cp-1");
      peer = res.body;
      if (res.status === 200 && peer["liveness"] === "live") break;
      await sleep(50);
    }
    expect(peer).toMatchObject({ id: "cp-1", pools: ["control-plane"], roles: ["control-plane"], labels: { version: "1.4.2" }, metadata: { version: "1.4.2", grpc: cp.grpcAddress }, phase: "active", liveness: "live" });
    expect(Object.keys((peer["status"] as { inFlight: Record<string, number> }).inFlight).sort()).toEqual(["grpc", "http", "leadership"]);
    // The pool budget comes with it: the only replica may not be drained through the registry.
    const refused = await fetch(`${cp.url}/control/peers/cp-1:drain`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ reason: "test" }) });
    expect(refused.status).toBe(409);

    const stopping = cp.shutdown("SIGTERM");
    // Alone, it has nobody to hand over to: the drain ends once nothing is in flight.
    await stopping;
    expect(cp.selfPeer!.coordinator.snapshot().node.roles["control-plane"]!.phase).toBe("drained");
    expect(logs.some((l) => l["msg"] === "drained: nothing in flight, leadership released")).toBe(true);
    cp = undefined;
  });
});
