import type { FastifyInstance, FastifyReply } from "fastify";
import type { Clock, PoolBudget } from "@drainkit/core";
import { PROBLEM_CONTENT_TYPE, problem, type Authenticator, type Problem } from "@drainkit/http";
import { hasScope } from "@drainkit/registry";
import type { AvailabilityHistory } from "./availabilityHistory.ts";

/** Settings of {@link registerAvailabilityHistory}. */
export interface AvailabilityHistoryRouteOptions {
  readonly authenticator: Authenticator;
  readonly history: AvailabilityHistory;
  readonly pools: readonly PoolBudget[] | (() => Promise<readonly PoolBudget[]>);
  readonly clock: Clock;
}

/** The path; beside `/control/*` but served by the control plane, which keeps the history. */
export const AVAILABILITY_HISTORY_PATH = "/control/history/availability";

function send(reply: FastifyReply, p: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(p.status).headers({ "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store", ...headers }).send(JSON.stringify(p));
}

const bearer = /^Bearer\s+(\S+)$/i;

/**
 * `GET /control/history/availability[?since=<epoch ms>]` (mesh.read): each
 * pool's available and total members at every change this replica saw, from
 * `since` on (led by the point in force at `since`), with `now` (where a
 * chart's x-axis ends) and the pool budgets. The dashboard draws its chart
 * from it, so a reload keeps the history.
 *
 * @example
 * registerAvailabilityHistory(app, { authenticator, history, pools, clock });
 * // curl -H "Authorization: Bearer $T" 'http://127.0.0.1:7400/control/history/availability?since=1765000000000'
 */
export function registerAvailabilityHistory(app: FastifyInstance, options: AvailabilityHistoryRouteOptions): void {
  app.get(AVAILABILITY_HISTORY_PATH, async (request, reply) => {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? bearer.exec(header) : null;
    const principal = match ? await options.authenticator.authenticate(match[1]!) : undefined;
    if (!principal) {
      const why = header === undefined ? "No Authorization header was sent." : match ? "The bearer token is not valid." : "The Authorization header is not `Bearer <token>`.";
      return send(reply, problem("unauthenticated", why, { instance: request.url }), { "www-authenticate": 'Bearer realm="drainkit"' });
    }
    if (!hasScope(principal, "mesh.read")) {
      return send(reply, problem("forbidden", `Reading the availability history needs mesh.read; ${principal.id} holds ${principal.scopes.join(", ") || "no scope"}.`, { instance: request.url }));
    }
    const raw = (request.query as Record<string, unknown>)["since"];
    let since = 0;
    if (raw !== undefined) {
      since = typeof raw === "string" && /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(since)) {
        return send(reply, problem("validation", `Invalid since: expected epoch milliseconds, got ${JSON.stringify(raw)}.`, { instance: request.url, errors: [{ field: "since", message: "must be epoch milliseconds (a whole number)" }] }));
      }
    }
    return reply.header("cache-control", "no-store").send({ now: options.clock.now(), since, pools: typeof options.pools === "function" ? await options.pools() : options.pools, points: options.history.since(since) });
  });
}
