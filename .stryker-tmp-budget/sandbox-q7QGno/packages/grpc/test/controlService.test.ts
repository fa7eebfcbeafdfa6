// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import type { WatchEventsChange } from "../src/index.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlError, controlServiceDefinition, createControlClient, ERROR_CODE_METADATA, startControlServer } from "../src/index.ts";
import { startTestControlServer, staticTokens, testPrincipals, testToken, type TestControlServer } from "../src/testing/index.ts";

let api: TestControlServer;

beforeEach(async () => {
  api = await startTestControlServer({ pools: [{ name: "web", minAvailable: 1 }] });
});

afterEach(async () => {
  await api.close();
});

/** Resolves once `predicate` holds for the changes seen so far. */
function until(changes: WatchEventsChange[], predicate: (seen: WatchEventsChange[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (predicate(changes)) resolve();
      else setImmediate(check);
    };
    check();
  });
}

describe("control service: every RPC over a real socket", () => {
  it("serves peers: register, report, cordon, uncordon, drain, status, resume, patch, list, get", async () => {
    const ops = api.client("mesh.operate");
    const agent = api.client("mesh.agent");
    const reg = await agent.registerPeer({ id: "node-a", address: "a:80", pools: ["web"], roles: ["edge"], labels: { zone: "z1" }, metadata: { rack: 7, tags: ["x"] } });
    expect(reg.value).toMatchObject({ id: "node-a", address: "a:80", pools: ["web"], roles: ["edge"], labels: { zone: "z1" }, metadata: { rack: 7, tags: ["x"] }, phase: "active" });
    expect(reg.changed).toBe(true);
    expect(reg.etag).toBe('"1"');
    expect(reg.auditId).not.toBe("");
    await ops.registerPeer({ id: "node-b", address: "b:80", pools: ["web"], roles: ["edge"] });
    await ops.reportStatus("node-b", { roles: {}, epoch: 0 }); // live, so node-a is not the only schedulable node

    const reported = await agent.reportStatus("node-a", { roles: { edge: { phase: "active", epoch: 0 } }, inFlight: { grpc: 3 }, workloads: { owners: 1, children: 2 }, epoch: 0 });
    expect(reported.value.status).toMatchObject({ inFlight: { grpc: 3 }, workloads: { owners: 1, children: 2 }, epoch: 0 });
    expect(reported.value.status?.placementVersion).toBeUndefined();
    expect(await ops.getPlacement("node-a")).toEqual({ peer: "node-a", items: [], version: 0, updatedAt: 0 });
    const placement = [{ id: "db" }, { id: "db-1", owner: "db" }];
    const placed = await agent.reportStatus("node-a", { roles: { edge: { phase: "active", epoch: 0 } }, placement, epoch: 0 });
    expect(placed.value.status).toMatchObject({ placementVersion: 1, workloads: { owners: 1, children: 1 } });
    expect((await ops.getPeer("node-a")).peer.status).not.toHaveProperty("placement");
    expect(await agent.getPlacement("node-a")).toMatchObject({ peer: "node-a", items: placement, version: 1 });
    const empty = await agent.reportStatus("node-a", { roles: { edge: { phase: "active", epoch: 0 } }, placement: [], epoch: 0 });
    expect(empty.value.status?.placementVersion).toBe(2);
    expect(await ops.getPlacement("node-a")).toMatchObject({ items: [], version: 2 });
    await expect(ops.getPlacement("ghost")).rejects.toMatchObject({ code: "not-found" });
    await expect(agent.reportStatus("node-a", { roles: {}, placement: [{ id: "a", owner: "a" }], epoch: 0 })).rejects.toMatchObject({ code: "validation" });

    const cordoned = await ops.cordon("node-a", { reason: "kernel", ticket: "CHG-1" });
    expect(cordoned.value.phase).toBe("cordoned");
    expect(cordoned.value.spec.cordons["operator"]).toMatchObject({ reason: "kernel", ticket: "CHG-1" });
    expect((await ops.uncordon("node-a")).value.phase).toBe("active");

    const drained = await ops.drain("node-a", { reason: "upgrade", deadlineMs: 60_000 }, { idempotencyKey: "chg-42" });
    expect(drained.value).toMatchObject({ peer: "node-a", status: "draining", epoch: 1, roles: ["edge"] });
    expect((await ops.drain("node-a", { reason: "upgrade", deadlineMs: 60_000 }, { idempotencyKey: "chg-42" })).replayed).toBe(true);
    await agent.reportStatus("node-a", { roles: { edge: { phase: "draining", epoch: 1 } }, inFlight: { grpc: 3 }, workloads: { owners: 1, children: 2 }, epoch: 1 });
    const status = await ops.drainStatus("node-a");
    expect(status).toMatchObject({ peer: "node-a", status: "draining", epoch: 1, remaining: { inFlight: 3, owners: 1, children: 2 } });
    expect((await ops.getPeer("node-a")).peer.spec.drain).toMatchObject({ epoch: 1, reason: "upgrade", requestedBy: "operator" });
    expect((await ops.resume("node-a", { reason: "done" })).value.phase).toBe("active");

    const { etag } = await ops.getPeer("node-b");
    const patched = await ops.patchPeer("node-b", { labels: { zone: "z2" }, metadata: { owner: "team-a" } }, { ifMatch: etag });
    expect(patched.value).toMatchObject({ labels: { zone: "z2" }, metadata: { owner: "team-a" } });
    const unlabelled = await ops.patchPeer("node-b", { labels: { zone: null } }, { ifMatch: patched.etag });
    expect(unlabelled.value.labels).toEqual({});

    const page = await api.client("mesh.read").listPeers({ limit: 1 });
    expect(page.items.map((p) => p.id)).toEqual(["node-a"]);
    expect(page.nextCursor).toBeDefined();
    const rest = await api.client("mesh.read").listPeers({ limit: 1, cursor: page.nextCursor! });
    expect(rest.items.map((p) => p.id)).toEqual(["node-b"]);
    expect((await api.client("mesh.read").listPeers({ label: "zone=z1" })).items.map((p) => p.id)).toEqual(["node-a"]);
  });

  it("cordons the last schedulable node of a role only when forced by an admin with confirm, as REST does", async () => {
    await api.client("mesh.operate").registerPeer({ id: "solo-1", address: "s:80", pools: [], roles: ["solo"] });
    await api.client("mesh.operate").reportStatus("solo-1", { roles: {}, epoch: 0 });
    const refused = await api.client("mesh.operate").cordon("solo-1", { reason: "disk" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "only-schedulable-node" });
    const unconfirmed = await api.client("mesh.admin").cordon("solo-1", { reason: "disk", force: true }).catch((e: unknown) => e);
    expect(unconfirmed).toMatchObject({ code: "confirmation-required" });
    const forced = await api.client("mesh.admin").cordon("solo-1", { reason: "disk", force: true }, { confirm: true });
    expect(forced.value.phase).toBe("cordoned");
  });

  it("serves routers on a peer: register, ack a drain epoch, release; an agent's own drain", async () => {
    const ops = api.client("mesh.operate");
    const agent = api.client("mesh.agent"); // principal node-a: here also the router's id
    await agent.registerPeer({ id: "node-a", address: "a:80", pools: ["web"], roles: ["edge"] });
    await agent.reportStatus("node-a", { roles: {}, epoch: 0 });
    for (const id of ["node-b", "node-c"]) {
      await ops.registerPeer({ id, address: `${id}:80`, pools: ["web"], roles: ["edge"] });
      await ops.reportStatus(id, { roles: {}, epoch: 0 });
    }
    const reg = await agent.registerRouter("node-b", "node-a");
    expect(reg.value.routers).toEqual({ "node-a": { since: expect.any(Number) } });
    const { value: status } = await ops.drain("node-b", { reason: "upgrade" });
    const acked = await agent.ackRouter("node-b", "node-a", { epoch: status.epoch });
    expect(acked.value.routers?.["node-a"]).toMatchObject({ acked: status.epoch, ackedAt: expect.any(Number) });
    expect((await ops.getPeer("node-b")).peer.routers?.["node-a"]?.acked).toBe(status.epoch);
    await expect(agent.ackRouter("node-b", "front-9", { epoch: status.epoch })).rejects.toMatchObject({ code: "forbidden" });
    expect((await agent.releaseRouter("node-b", "node-a")).value.routers).toBeUndefined();
    // An agent drains its own peer (its shutdown) and ends that drain itself; never another peer.
    expect((await agent.drain("node-a", { reason: "shutdown" })).value.status).toBe("draining");
    await expect(agent.drain("node-c", { reason: "shutdown" })).rejects.toMatchObject({ code: "forbidden" });
    expect((await agent.resume("node-a", { reason: "back" })).value.spec.drain).toBeUndefined();
  });

  it("serves clusters, config and audit", async () => {
    const admin = api.client("mesh.admin");
    expect((await admin.listClusters()).map((c) => [c.id, c.role])).toEqual([["east", "active"], ["west", "backup"]]);
    expect((await admin.promote("west", { reason: "dr" })).value).toMatchObject({ id: "west", role: "active" });
    expect((await admin.demote("east", { reason: "dr", confirm: true })).value).toMatchObject({ id: "east", role: "backup" });

    const before = await admin.getConfig();
    expect(before.values["rollout.maxParallel"]).toBe(1);
    const changed = await admin.patchConfig({ "rollout.maxParallel": 4, "maintenance.freeze": true }, { confirm: true, reason: "faster" });
    expect(changed.value.values).toMatchObject({ "rollout.maxParallel": 4, "maintenance.freeze": true });
    expect(changed.value.version).toBe(before.version + 1);
    expect((await admin.patchConfig({ "maintenance.freeze": null }, { confirm: true })).value.values["maintenance.freeze"]).toBe(false);

    const audit = await api.client("mesh.read").queryAudit({ action: "patchConfig" });
    expect(audit.items).toHaveLength(2);
    expect(audit.items[0]).toMatchObject({ actor: "admin", action: "patchConfig", target: "config", outcome: "ok", reason: "faster" });
    expect(await api.registry.verifyAudit()).toMatchObject({ ok: true });
  });

  it("carries the error code as gRPC status, trailer and google.rpc.ErrorInfo", async () => {
    const error = await api.client("mesh.operate").getPeer("ghost").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlError);
    expect(error).toMatchObject({ code: "not-found", grpcCode: grpc.status.NOT_FOUND, retryable: false, details: { kind: "peer", id: "ghost" } });

    // A client that knows nothing of drainkit still sees the status code and the trailer.
    const raw = new grpc.Client(api.address, grpc.credentials.createInsecure());
    const def = controlServiceDefinition()["Cordon"]!;
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${testToken("mesh.read")}`);
    const rawError = await new Promise<grpc.ServiceError>((resolve) =>
      raw.makeUnaryRequest(def.path, def.requestSerialize as (v: object) => Buffer, def.responseDeserialize as (b: Buffer) => object, { id: "x", reason: "r" }, metadata, (e) => resolve(e!)));
    raw.close();
    expect(rawError.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(rawError.metadata.get(ERROR_CODE_METADATA)).toEqual(["forbidden"]);
    expect(rawError.metadata.get("grpc-status-details-bin")).toHaveLength(1);

    await api.client("mesh.operate").registerPeer({ id: "web-1", address: "a", pools: ["web"], roles: ["edge"] });
    const stale = await api.client("mesh.operate").patchPeer("web-1", { labels: { a: "b" } }, { ifMatch: '"7"' }).catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: "etag-mismatch", grpcCode: grpc.status.ABORTED });
    const missing = await api.client("mesh.operate").patchPeer("web-1", { labels: { a: "b" } }, {}).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: "precondition-required", grpcCode: grpc.status.FAILED_PRECONDITION });
    const bad = await api.client("mesh.operate").cordon("web-1", { reason: "" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "validation", grpcCode: grpc.status.INVALID_ARGUMENT });
    const anonymous = await api.client(null).listPeers().catch((e: unknown) => e);
    expect(anonymous).toMatchObject({ code: "unauthenticated", grpcCode: grpc.status.UNAUTHENTICATED });
  });

  it("takes the idempotency key and ETag from metadata too", async () => {
    await api.client("mesh.operate").registerPeer({ id: "web-1", address: "a", pools: ["web"], roles: ["edge"] });
    const raw = new grpc.Client(api.address, grpc.credentials.createInsecure());
    const def = controlServiceDefinition()["Cordon"]!;
    const call = (key: string, reason: string): Promise<{ error: grpc.ServiceError | null; response: Record<string, unknown> | undefined }> => {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${testToken("mesh.operate")}`);
      metadata.set("idempotency-key", key);
      return new Promise((resolve) =>
        raw.makeUnaryRequest(def.path, def.requestSerialize as (v: object) => Buffer, def.responseDeserialize as (b: Buffer) => Record<string, unknown>, { id: "web-1", reason }, metadata, (error, response) => resolve({ error, response })));
    };
    const first = await call("k-9", "one");
    const again = await call("k-9", "one");
    const other = await call("k-9", "two");
    raw.close();
    expect(first.error).toBeNull();
    expect((again.response?.["outcome"] as { replayed: boolean }).replayed).toBe(true);
    expect(other.error?.metadata.get(ERROR_CODE_METADATA)).toEqual(["idempotency-conflict"]);
  });

  it("streams events from a revision, and a new stream resumes where the last one stopped", async () => {
    const ops = api.client("mesh.operate");
    const start = (await ops.listPeers()).revision;
    await ops.registerPeer({ id: "web-1", address: "a", pools: ["web"], roles: ["edge"] });
    const seen: WatchEventsChange[] = [];
    const watch = ops.watchEvents({ fromRevision: start, kinds: ["peer"] }, (c) => seen.push(c));
    await until(seen, (s) => s.some((c) => c.id === "web-1"));
    await ops.cordon("web-1", { reason: "live" });
    await until(seen, (s) => s.some((c) => c.kind === "peer" && (c.value as { phase?: string } | undefined)?.phase === "cordoned"));
    watch.close();
    expect(seen.every((c) => c.kind === "peer")).toBe(true);
    const last = seen[seen.length - 1]!.revision;

    await ops.uncordon("web-1");
    const resumed: WatchEventsChange[] = [];
    const again = ops.watchEvents({ fromRevision: last }, (c) => resumed.push(c));
    await until(resumed, (s) => s.some((c) => c.kind === "peer" && (c.value as { phase?: string } | undefined)?.phase === "active"));
    again.close();
    expect(resumed.every((c) => c.revision > last)).toBe(true);
    expect(resumed.some((c) => c.kind === "audit")).toBe(true);

    const refused = await new Promise<Error | undefined>((resolve) => api.client(null).watchEvents({}, () => {}, resolve));
    expect(refused).toMatchObject({ code: "unauthenticated" });
  });
});

describe("startControlServer", () => {
  it("serves on the address asked for and closes even with a watch open", async () => {
    const served = await startControlServer({ address: "127.0.0.1:0", registry: api.registry, authenticate: staticTokens({ t: testPrincipals["mesh.read"] }) });
    expect(served.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const client = createControlClient(served.address, { token: "t" });
    expect((await client.listClusters()).length).toBe(2);
    const ended = new Promise<Error | undefined>((resolve) => client.watchEvents({}, () => {}, resolve));
    await client.listPeers();
    await served.close(100);
    expect(await ended).toBeDefined();
    client.close();
  });
});

describe("audit over gRPC", () => {
  it("serves the head and a checkpoint, and audits refusals at the door with their reason and ticket", async () => {
    const ops = api.client("mesh.operate");
    await ops.registerPeer({ id: "node-a", address: "a:80", pools: ["web"], roles: ["edge"] });
    await expect(api.client(null).cordon("node-a", { reason: "who am i", ticket: "CHG-9" })).rejects.toMatchObject({ code: "unauthenticated" });
    await expect(api.client("mesh.read").cordon("node-a", { reason: "not mine", ticket: "CHG-10" })).rejects.toMatchObject({ code: "forbidden" });
    const dry = await ops.drain("node-a", { reason: "what if" }, { dryRun: true });
    expect(dry.auditId).not.toBe("");
    const refused = (await ops.queryAudit({ outcome: "refused" })).items;
    expect(refused.map((e) => [e.actor, e.action, e.errorCode, e.reason ?? null, e.ticket ?? null])).toEqual([
      ["anonymous", "cordon", "unauthenticated", "who am i", "CHG-9"],
      ["reader", "cordon", "forbidden", "not mine", "CHG-10"],
    ]);
    expect((await ops.queryAudit({ action: "drain" })).items).toEqual([expect.objectContaining({ outcome: "ok", dryRun: true, reason: "what if" })]);
    expect((await ops.getPeer("node-a")).peer.phase).toBe("active");
    const last = (await ops.queryAudit({ limit: 1_000 })).items.at(-1)!;
    expect(await ops.auditHead()).toEqual({ seq: last.seq, hash: last.hash, at: last.at });
    expect(await ops.auditCheckpoint()).toMatchObject({ seq: last.seq, hash: last.hash, at: last.at });
    await expect(ops.queryAudit({ from: 2_000, to: 1_000 })).rejects.toMatchObject({ code: "validation" });
  });
});
