// @ts-nocheck
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ControlError, type WatchEventsChange } from "../src/index.ts";
import { startTestControlServer, type TestControlServer } from "../src/testing/index.ts";

let api: TestControlServer;

beforeEach(async () => {
  api = await startTestControlServer();
});

afterEach(async () => {
  await api.close();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof ControlError) return e.code;
    throw e;
  }
}

describe("pools over gRPC", () => {
  it("declares, reads, lists, replaces and deletes a pool as REST does, counts and percents kept apart", async () => {
    const admin = api.client("mesh.admin");
    const reader = api.client("mesh.read");
    expect(await codeOf(api.client("mesh.operate").putPool("web", { maxUnavailable: 1 }))).toBe("forbidden");
    const put = await admin.putPool("web", { maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } } }, { reason: "launch" });
    expect(put).toMatchObject({ changed: true, etag: '"1"', value: { name: "web", maxUnavailable: 1, roles: { edge: { minAvailable: "50%" } }, version: 1 } });
    expect(await reader.getPool("web")).toEqual({ pool: put.value, etag: '"1"' });
    expect(await reader.listPools()).toEqual([put.value]);
    expect(await codeOf(admin.putPool("web", { maxUnavailable: 2 }, { ifMatch: '"5"' }))).toBe("etag-mismatch");
    expect(await codeOf(admin.putPool("web", { minAvailable: "150%" }))).toBe("validation");
    expect(await codeOf(reader.getPool("db"))).toBe("not-found");
    expect(await codeOf(admin.deletePool("web"))).toBe("confirmation-required");
    expect((await admin.deletePool("web", { confirm: true, reason: "retired" })).value.name).toBe("web");
    expect(await reader.listPools()).toEqual([]);
  });

  it("streams pool changes on WatchEvents", async () => {
    const admin = api.client("mesh.admin");
    const changes: WatchEventsChange[] = [];
    const watch = api.client("mesh.read").watchEvents({ fromRevision: 0, kinds: ["pool"] }, (c) => changes.push(c));
    await admin.putPool("web", { maxUnavailable: "25%" });
    await admin.deletePool("web", { confirm: true });
    await new Promise<void>((resolve) => {
      const check = (): void => (changes.length >= 2 ? resolve() : void setImmediate(check));
      check();
    });
    watch.close();
    expect(changes.map((c) => [c.kind, c.id, c.value === undefined ? "deleted" : (c.value as { maxUnavailable?: unknown }).maxUnavailable])).toEqual([["pool", "web", "25%"], ["pool", "web", "deleted"]]);
  });
});
