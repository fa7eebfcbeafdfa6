// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlError } from "../src/index.ts";
import { startTestControlServer, type TestControlServer } from "../src/testing/index.ts";

let api: TestControlServer;

beforeEach(async () => {
  api = await startTestControlServer({ pools: [{ name: "web", maxUnavailable: 1 }] });
  const ops = api.client("mesh.operate");
  for (const id of ["web-1", "web-2", "web-3"]) {
    await ops.registerPeer({ id, address: `${id}:80`, pools: ["web"], roles: ["edge"], metadata: { version: "1.0.0" } });
    await ops.reportStatus(id, { roles: {}, epoch: 0 }); // live: never-reported peers are not available
  }
});

afterEach(async () => {
  await api.close();
});

describe("rollouts over gRPC", () => {
  it("refuses StartRollout under maintenance.freeze with FAILED_PRECONDITION maintenance-freeze whose next names the key", async () => {
    const admin = api.client("mesh.admin");
    const ops = api.client("mesh.operate");
    await admin.patchConfig({ "maintenance.freeze": true }, { confirm: true, reason: "change freeze" });
    const refused = await ops.startRollout({ version: "2.0.0", selector: { pool: "web" }, reason: "release" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ControlError);
    const e = refused as ControlError;
    expect([e.code, e.grpcCode, e.retryable]).toEqual(["maintenance-freeze", grpc.status.FAILED_PRECONDITION, false]);
    expect(e.details).toMatchObject({ key: "maintenance.freeze", value: true });
    expect(e.message).toMatch(/drainctl config unset maintenance\.freeze/);
    const audit = await ops.queryAudit({ action: "startRollout" });
    expect(audit.items.map((a) => `${a.outcome}:${a.errorCode ?? ""}`)).toEqual(["refused:maintenance-freeze"]);
  });

  it("starts a rollout with rollout.maxParallel as its default, and verify=false carries the warning; GetRollout reads it back", async () => {
    const admin = api.client("mesh.admin");
    const ops = api.client("mesh.operate");
    await admin.patchConfig({ "rollout.maxParallel": 2 }, { confirm: true, reason: "faster" });
    const dry = await ops.startRollout({ version: "2.0.0", selector: { pool: "web" }, reason: "release" }, { dryRun: true });
    expect(dry.value.settings).toMatchObject({ maxParallel: 2, verify: true, minHealthyMs: 10_000 });
    const started = await ops.startRollout({ version: "2.0.0", selector: { pool: "web" }, verify: false, minHealthyMs: 0, reason: "hotfix" }, { ticket: "CHG-3" });
    expect(started.changed).toBe(true);
    expect(started.value).toMatchObject({ version: "2.0.0", state: "running", settings: { verify: false, minHealthyMs: 0 }, warnings: [expect.stringContaining("unverified")] });
    expect((await ops.getRollout()).id).toBe(started.value.id);
    const entry = (await ops.queryAudit({ action: "startRollout" })).items.at(-1)!;
    expect(entry).toMatchObject({ outcome: "ok", reason: "hotfix [unverified: verify=false]", ticket: "CHG-3" });
  });
});
