// @ts-nocheck
import { afterEach, describe, expect, it } from "vitest";
import { startTestControlApi, type TestControlApi } from "../src/testing/index.ts";
import { call, registerLive } from "./client.ts";

let api: TestControlApi;
afterEach(async () => {
  await api.close();
});

const PROBLEM = "https://drainkit.dev/problems/";

// The test's mesh.agent principal is "node-a": here it plays a router of that name.
describe("/control/peers/{id}/routers", () => {
  it("registers a router on a peer, records its acknowledgement of the drain epoch, and releases it", async () => {
    api = await startTestControlApi();
    for (const id of ["node-b", "node-c"]) await registerLive(api, id);
    const put = await call(api, "PUT", "/control/peers/node-b/routers/node-a", "mesh.agent", {});
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ routers: { "node-a": { since: expect.any(Number) } } });
    const drain = await call(api, "POST", "/control/peers/node-b:drain", "mesh.operate", { reason: "kernel" });
    const epoch = (drain.body as { epoch: number }).epoch;
    const ack = await call(api, "POST", "/control/peers/node-b/routers/node-a:ack", "mesh.agent", { epoch });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ routers: { "node-a": { acked: epoch } } });
    expect((await call(api, "GET", "/control/peers/node-b", "mesh.read")).body).toMatchObject({ routers: { "node-a": { acked: epoch } } });
    const other = await call(api, "POST", "/control/peers/node-b/routers/front-9:ack", "mesh.agent", { epoch });
    expect(other).toMatchObject({ status: 403, body: { type: `${PROBLEM}forbidden` } });
    const bad = await call(api, "POST", "/control/peers/node-b/routers/node-a:ack", "mesh.agent", { epoch: "soon" });
    expect(bad).toMatchObject({ status: 400, body: { type: `${PROBLEM}validation` } });
    const released = await call(api, "POST", "/control/peers/node-b/routers/node-a:release", "mesh.agent", {});
    expect(released.status).toBe(200);
    expect((released.body as { routers?: unknown }).routers).toBeUndefined();
  });
});
