import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Clock, PoolBudget } from "@drainkit/core";
import { createFailureLimiter, PROBLEM_BASE, PROBLEM_CONTENT_TYPE, problem, type Authenticator, type Problem } from "@drainkit/http";

/**
 * The operator dashboard at /ui: the static files `@drainkit/dashboard`
 * builds (Vite, `dist/`), under a strict Content-Security-Policy, and one
 * small authenticated endpoint, `GET /ui/api/session`, that tells the page
 * who its token is and which pool budgets this server enforces (nothing in
 * /control exposes them). The files themselves need no token; every API call
 * the page makes carries it.
 */

/** Settings of {@link registerDashboard}. */
export interface DashboardOptions {
  readonly authenticator: Authenticator;
  /** The budgets the session publishes: the stored ones, read per request (a function), or fixed. */
  readonly pools: readonly PoolBudget[] | (() => Promise<readonly PoolBudget[]>);
  readonly clock: Clock;
  readonly logger?: { warn(obj: object, msg: string): void };
  /** The built dashboard; default: `dist/` of the `@drainkit/dashboard` package. */
  readonly distDir?: string;
}

/** `default-src 'self'`, no inline script or style, no framing. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

const BUILD_HINT = "npx -y pnpm@10.34.9 turbo run build --filter=@drainkit/dashboard";

/**
 * Where the dashboard's files are: installed, the package build copied them to
 * `dist/dashboard/` beside this module; in the workspace they are the `dist/`
 * of the private `@drainkit/dashboard` package, which is not installed with us.
 */
export function dashboardDistDir(): string {
  const bundled = fileURLToPath(new URL("./dashboard/", import.meta.url));
  if (existsSync(join(bundled, "index.html"))) return bundled;
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve("@drainkit/dashboard/package.json")), "dist");
  } catch {
    return bundled;
  }
}

function notBuilt(dist: string): Problem {
  return {
    type: `${PROBLEM_BASE}dashboard-not-built`,
    title: "Dashboard not built",
    status: 503,
    detail: `The dashboard's files are not at ${dist}. Build them with \`${BUILD_HINT}\` (\`pnpm start\` does it for you), then reload.`,
    code: "dashboard-not-built",
    retryable: false,
    next: `Run \`${BUILD_HINT}\` and reload the page.`,
  };
}

function send(reply: FastifyReply, p: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(p.status).headers({ "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store", ...headers }).send(JSON.stringify(p));
}

/**
 * Serves the dashboard on `app`: `/ui` redirects to `/ui/`, which answers
 * `index.html`; `/ui/assets/*` (content-hashed names) are cached for a year.
 * When the build is missing, every page answers 503 problem+json saying how
 * to build it, and a warning is logged now.
 *
 * @example
 * await registerDashboard(app, { authenticator, pools: [{ name: "web", maxUnavailable: 1 }], clock: systemClock(), logger });
 */
export async function registerDashboard(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const dist = resolve(options.distDir ?? dashboardDistDir());
  if (!existsSync(join(dist, "index.html"))) {
    options.logger?.warn({ dist, build: BUILD_HINT }, "dashboard not built: /ui answers 503 until it is");
  }
  const limiter = createFailureLimiter({ clock: options.clock });
  const bearer = /^Bearer\s+(\S+)$/i;

  app.get("/ui", async (_request, reply) => reply.redirect("/ui/", 302));

  app.get("/ui/api/session", async (request, reply) => {
    const wait = limiter.blockedFor(request.ip);
    if (wait > 0) return send(reply, problem("rate-limited", `Too many failed authentication attempts from ${request.ip}; wait ${wait} s.`, { instance: request.url }), { "retry-after": String(wait) });
    const header = request.headers.authorization;
    const match = typeof header === "string" ? bearer.exec(header) : null;
    const principal = match ? await options.authenticator.authenticate(match[1]!) : undefined;
    if (!principal) {
      limiter.fail(request.ip);
      const why = header === undefined ? "No Authorization header was sent." : match ? "The bearer token is not valid." : "The Authorization header is not `Bearer <token>`.";
      return send(reply, problem("unauthenticated", why, { instance: request.url }), { "www-authenticate": 'Bearer realm="drainkit"' });
    }
    const pools = typeof options.pools === "function" ? await options.pools() : options.pools;
    return reply.header("cache-control", "no-store").send({ principal: { id: principal.id, scopes: principal.scopes }, pools });
  });

  app.get("/ui/*", async (request, reply) => {
    const wildcard = (request.params as { "*"?: string })["*"] ?? "";
    // The router has already decoded the path once; decoding again would let `%252e` through as a dot.
    const rel = wildcard === "" ? "index.html" : wildcard;
    const file = resolve(dist, rel);
    const inside = file.startsWith(dist + sep) && !rel.includes("\0") && !rel.split(/[\\/]/).some((s) => s === ".." || s.startsWith("."));
    const info = inside ? await stat(file).catch(() => undefined) : undefined;
    if (!info?.isFile()) {
      if (!existsSync(join(dist, "index.html"))) return send(reply, notBuilt(dist));
      return send(reply, problem("route-not-found", `No dashboard file ${request.url.split("?")[0]}.`, { instance: request.url }));
    }
    const body = await readFile(file);
    const hashed = rel.startsWith("assets/");
    return reply
      .headers({
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        // Hashed names never change content; index.html must be re-read to pick up a new build.
        "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
        "content-security-policy": DASHBOARD_CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
      })
      .send(body);
  });
}
