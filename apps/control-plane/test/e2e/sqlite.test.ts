import { writeFile } from "node:fs/promises";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { api, serversPerTest, type Served } from "./serve.ts";

const servers = serversPerTest("drainkit-cp-");

const start = (args: string[] = [], env: Record<string, string> = {}): Promise<Served> => servers.start(args, env);

describe("drainkit serve on SQLite", () => {
  it("prints the URL and a fresh admin token once, serves the API, and keeps state and tokens across restarts", async () => {
    const first = await start();
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = first.adminToken!;
    expect(token).toMatch(/^dk_/);

    const events = await fetch(`${first.url}/control/events?kinds=peer`, { headers: { authorization: `Bearer ${token}` } });
    expect(events.status).toBe(200);

    for (const id of ["web-1", "web-2"]) {
      expect((await api(first.url, token, "PUT", `/control/peers/${id}`, { address: `${id}:80`, pools: ["web"], roles: ["edge"] })).status).toBe(200);
    }
    expect((await api(first.url, token, "POST", "/control/peers/web-1:cordon", { reason: "kernel upgrade", ticket: "CHG-7" })).status).toBe(200);
    const drain = await api(first.url, token, "POST", "/control/peers/web-1:drain", { reason: "kernel upgrade", deadlineMs: 600_000 }, { "idempotency-key": "drain-web-1" });
    expect(drain.status).toBe(202);
    expect(drain.body).toMatchObject({ status: "draining", epoch: 1 });

    // The event feed saw every change, in order.
    const reader = events.body!.getReader();
    let text = "";
    while ((text.match(/event: peer/g) ?? []).length < 4) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain('"phase":"draining"');

    const audit = await api(first.url, token, "GET", "/control/audit?target=peer%2Fweb-1");
    expect((audit.body["items"] as { action: string; actor: string }[]).map((e) => `${e.actor}:${e.action}`)).toEqual(["admin:registerPeer", "admin:cordon", "admin:drain"]);

    first.proc.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);

    const second = await start();
    expect(second.adminToken).toBeUndefined();
    expect(second.stdout.join("\n")).toContain("printed on the first start");
    const peer = await api(second.url, token, "GET", "/control/peers/web-1/drain");
    expect(peer.status).toBe(202);
    expect(peer.body).toMatchObject({ status: "draining", epoch: 1 });
    const replay = await api(second.url, token, "POST", "/control/peers/web-1:drain", { reason: "kernel upgrade", deadlineMs: 600_000 }, { "idempotency-key": "drain-web-1" });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await api(second.url, "dk_wrong", "GET", "/control/peers")).status).toBe(401);
  });

  it("takes the admin token from DRAINKIT_ADMIN_TOKEN", async () => {
    const s = await start([], { DRAINKIT_ADMIN_TOKEN: "automation-token-0123456789" });
    expect(s.adminToken).toBeUndefined();
    expect(s.stdout.join("\n")).toContain("DRAINKIT_ADMIN_TOKEN");
    expect((await api(s.url, "automation-token-0123456789", "GET", "/control/peers")).status).toBe(200);
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { store: true, leader: true } });
    await api(s.url, "automation-token-0123456789", "PUT", "/control/peers/web-1", { address: "w:1", pools: ["web"], roles: ["edge"] });
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toContain("drainkit_http_request_duration_seconds");
    expect(metrics).toContain('drainkit_audit_write_latency_seconds_count{outcome="ok"} 1');
    expect(metrics).toContain('drainkit_pool_available{pool="web"} 1');
  });

  it("accepts JWTs signed by a key in --jwks from --jwt-issuer, scopes from the scope claim", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    await writeFile(join(servers.dir(), "jwks.json"), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] }));
    const s = await start(["--jwks", join(servers.dir(), "jwks.json"), "--jwt-issuer", "https://idp.test"]);
    const jwt = await new SignJWT({ scope: "mesh.read" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer("https://idp.test").setSubject("carol").setExpirationTime("5m").sign(privateKey);
    expect((await api(s.url, jwt, "GET", "/control/peers")).status).toBe(200);
    const refused = await api(s.url, jwt, "POST", "/control/peers/web-1:cordon", { reason: "x" });
    expect(refused.status).toBe(403);
    const audit = await api(s.url, s.adminToken!, "GET", "/control/audit?outcome=refused");
    expect((audit.body["items"] as { actor: string; errorCode: string }[]).map((e) => `${e.actor}:${e.errorCode}`)).toEqual(["carol:forbidden"]);
  });

  it("fails a drain that misses its deadline (the leader's drain controller reports it)", async () => {
    const s = await start();
    const token = s.adminToken!;
    for (const id of ["web-1", "web-2"]) await api(s.url, token, "PUT", `/control/peers/${id}`, { address: `${id}:80`, pools: ["web"], roles: ["edge"] });
    expect((await api(s.url, token, "POST", "/control/peers/web-1:drain", { reason: "short", deadlineMs: 300 })).status).toBe(202);
    await s.waitForLog((l) => l["msg"] === "drain missed its deadline; failed it");
    const status = await api(s.url, token, "GET", "/control/peers/web-1/drain");
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: "failed", epoch: 1 });
    const audit = await api(s.url, token, "GET", "/control/audit?target=peer%2Fweb-1&action=drain");
    expect((audit.body["items"] as unknown[]).length).toBe(1);
  });

  it("drains itself on SIGTERM: SSE clients are told to reconnect elsewhere, then it stops cleanly", async () => {
    const s = await start();
    const res = await fetch(`${s.url}/control/events`, { headers: { authorization: `Bearer ${s.adminToken!}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    s.proc.kill("SIGTERM");
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("event: reconnect");
    expect(text).toContain('"reason":"draining"');
    expect((await s.exited).code).toBe(0);
    const msgs = s.logs.map((l) => l["msg"]);
    expect(msgs).toContain("drained: nothing in flight");
    expect(msgs.indexOf("drained: nothing in flight")).toBeLessThan(msgs.indexOf("stopped"));
  });
});
