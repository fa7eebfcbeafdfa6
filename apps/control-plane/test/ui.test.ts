import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "@drainkit/core/testing";
import type { Authenticator } from "@drainkit/http";
import { DASHBOARD_CSP, registerDashboard } from "../src/ui.ts";

// registerDashboard on a bare Fastify app with a throw-away dist/: only the
// authenticator is a stand-in (the e2e test runs the real one).
const authenticator: Authenticator = { authenticate: async (t) => (t === "good-token" ? { id: "alice", scopes: ["mesh.read"] } : undefined) };

let dir: string;
let app: FastifyInstance;
let warnings: { obj: object; msg: string }[];

async function start(built: boolean): Promise<void> {
  const dist = join(dir, "dist");
  if (built) {
    await mkdir(join(dist, "assets"), { recursive: true });
    await writeFile(join(dist, "index.html"), "<!doctype html><title>drainkit</title>");
    await writeFile(join(dist, "assets", "index-abc123.js"), "console.log(1)");
    await writeFile(join(dir, "secret.txt"), "outside dist");
  }
  warnings = [];
  app = Fastify();
  await registerDashboard(app, { authenticator, pools: [{ name: "web", maxUnavailable: 1 }], clock: new SimulatedClock(), logger: { warn: (obj, msg) => warnings.push({ obj, msg }) }, distDir: dist });
  await app.ready();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drainkit-ui-unit-"));
});
afterEach(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the dashboard's static files", () => {
  it("redirects /ui to /ui/ and serves index.html there under a strict CSP, never cached stale", async () => {
    await start(true);
    const redirect = await app.inject("/ui");
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers["location"]).toBe("/ui/");
    const index = await app.inject("/ui/");
    expect(index.statusCode).toBe(200);
    expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(index.headers["content-security-policy"]).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).not.toContain("unsafe-inline");
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.body).toContain("<title>drainkit</title>");
    expect(warnings).toEqual([]);
  });

  it("caches content-hashed assets for a year", async () => {
    await start(true);
    const js = await app.inject("/ui/assets/index-abc123.js");
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  it("serves nothing outside dist/, however the path is spelled", async () => {
    await start(true);
    for (const path of ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/%252e%252e/secret.txt", "/ui/assets/..%2f..%2fsecret.txt", "/ui/.hidden", "/ui/nope.js"]) {
      const res = await app.inject(path);
      expect(res.body, path).not.toContain("outside dist");
      expect(res.statusCode, path).toBeGreaterThanOrEqual(300);
    }
    const missing = await app.inject("/ui/nope.js");
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toContain("application/problem+json");
  });

  it("answers 503 problem+json saying how to build the dashboard when dist/ is missing, and warns at start", async () => {
    await start(false);
    expect(warnings.map((w) => w.msg)).toEqual(["dashboard not built: /ui answers 503 until it is"]);
    const res = await app.inject("/ui/");
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ type: "https://drainkit.dev/problems/dashboard-not-built", title: "Dashboard not built", status: 503 });
    expect(res.json().detail).toContain("turbo run build --filter=@drainkit/dashboard");
  });
});

describe("GET /ui/api/session", () => {
  it("tells a valid token who it is and which pool budgets the server enforces", async () => {
    await start(true);
    const res = await app.inject({ url: "/ui/api/session", headers: { authorization: "Bearer good-token" } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ principal: { id: "alice", scopes: ["mesh.read"] }, pools: [{ name: "web", maxUnavailable: 1 }] });
  });

  it("refuses a missing or wrong token with 401 problem+json, then rate-limits the guesser", async () => {
    await start(true);
    const none = await app.inject("/ui/api/session");
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ type: "https://drainkit.dev/problems/unauthenticated", detail: "No Authorization header was sent." });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await app.inject({ url: "/ui/api/session", headers: { authorization: "Bearer wrong" } })).statusCode);
    expect(statuses.slice(0, 9).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
