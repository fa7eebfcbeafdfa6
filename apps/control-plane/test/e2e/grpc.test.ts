import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createControlClient, type ControlClient } from "@drainkit/grpc";
import { api, serve, type Served } from "./serve.ts";

let dir: string;
let served: Served | undefined;
let client: ControlClient | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drainkit-grpc-"));
});
afterEach(async () => {
  client?.close();
  if (served && served.proc.exitCode === null && served.proc.signalCode === null) {
    served.proc.kill("SIGKILL");
    await served.exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe("drainkit serve --grpc", () => {
  it("serves the gRPC API beside REST over one registry: same state, same RBAC, one audit trail", async () => {
    const token = "dk_e2e_admin_token_0123456789";
    served = await serve(["--store", `sqlite:${join(dir, "drainkit.db")}`, "--grpc", "127.0.0.1:0"], { DRAINKIT_ADMIN_TOKEN: token });
    const line = served.stdout.find((l) => l.includes("gRPC (drainkit.control.v1):"));
    expect(line, served.stdout.join("\n")).toBeDefined();
    const address = line!.split("):")[1]!.trim();

    client = createControlClient(address, { token });
    const seen: string[] = [];
    const watch = client.watchEvents({ fromRevision: 0, kinds: ["peer"] }, (c) => seen.push(`${c.kind}:${c.id}`));

    for (const id of ["web-1", "web-2", "web-3"]) {
      await client.registerPeer({ id, address: `${id}:80`, pools: ["web"], roles: ["edge"] });
    }
    const cordoned = await client.cordon("web-1", { reason: "disk check" }, { idempotencyKey: "k-1" });
    expect(cordoned.changed).toBe(true);
    const replay = await client.cordon("web-1", { reason: "disk check" }, { idempotencyKey: "k-1" });
    expect(replay.replayed).toBe(true);

    // REST sees what gRPC wrote.
    const rest = await api(served.url, token, "GET", "/control/peers/web-1");
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({ id: "web-1", phase: "cordoned" });

    // A token that is not known is refused the same way on both transports.
    const stranger = createControlClient(address, { token: "dk_not_a_real_token_000000" });
    await expect(stranger.listPeers()).rejects.toMatchObject({ code: "unauthenticated" });
    stranger.close();
    expect((await fetch(`${served.url}/control/peers`, { headers: { authorization: "Bearer dk_not_a_real_token_000000" } })).status).toBe(401);

    // One audit trail: gRPC mutations are in the log REST reads, and the chain verifies.
    const audit = await api(served.url, token, "GET", `/control/audit?target=${encodeURIComponent("peer/web-1")}`);
    const actions = (audit.body["items"] as { action: string; outcome: string }[]).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(["registerPeer:ok", "cordon:ok"]));
    expect(actions.filter((a) => a === "cordon:ok")).toHaveLength(1);

    // The stream delivered the peers registered above.
    for (let i = 0; i < 100 && !["web-1", "web-2", "web-3"].every((id) => seen.includes(`peer:${id}`)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toEqual(expect.arrayContaining(["peer:web-1", "peer:web-2", "peer:web-3"]));
    watch.close();
  });
});
