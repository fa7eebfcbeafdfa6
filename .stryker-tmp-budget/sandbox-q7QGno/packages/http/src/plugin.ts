// @ts-nocheck
import { Ajv } from "ajv";
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { pages, systemClock, type Clock, type Logger } from "@drainkit/core";
import { hasScope, type MutationOptions, type Principal, type Registry, type Scope } from "@drainkit/registry";
import type { TLSSocket } from "node:tls";
import { createFailureLimiter, type FailureLimiter, type FailureLimiterOptions } from "./auth/failureLimiter.ts";
import type { Authenticator } from "./auth/principal.ts";
import type { PromMetrics } from "./metrics.ts";
import { buildOpenApi } from "./openapi.ts";
import type { HttpDrainParticipant } from "./participant.ts";
import { problem, problemFromError, PROBLEM_CONTENT_TYPE, type Problem } from "./problem.ts";
import { createRefusalAuditor, reasonAndTicket } from "./refusalAudit.ts";
import { routes, type RouteDefinition } from "./routes.ts";
import { eventsHeaders, eventsQuery } from "./schemas.ts";
import { createEventFeed, type EventFeed, type EventFeedOptions, type EventKind, type FeedFilter } from "./sse.ts";

/** One readiness check's answer; `/readyz` is 200 only when all pass. */
export type ReadinessChecks = Readonly<Record<string, boolean>>;

/**
 * Checks plus what they found, shown in the `/readyz` body either way (e.g.
 * `role: "follower"`, `leader: "r2"`, `store: { status: "writes-failing" }`).
 * The failing check decides the problem type: `store` / `store-writes` give
 * `store-unavailable`, `leader` gives `no-leader`.
 */
export interface ReadinessReport {
  readonly checks: ReadinessChecks;
  readonly [finding: string]: unknown;
}

/** Options of {@link controlApi}. */
export interface ControlApiOptions {
  readonly registry: Registry;
  readonly authenticator: Authenticator;
  /** Used for the auth-failure window. Default: the system clock. */
  readonly clock?: Clock;
  /** When set, `/metrics` renders it and every request is measured. */
  readonly metrics?: PromMetrics;
  /** Store reachable, leader known, ...; `/readyz` answers 503 naming what fails. */
  readonly readiness?: () => Promise<ReadinessChecks | ReadinessReport>;
  /** Auth-failure rate limiting (429 after repeated failures from one address). */
  readonly failureLimiter?: FailureLimiter | Omit<FailureLimiterOptions, "clock">;
  /** Settings of `/control/events`. */
  readonly events?: EventFeedOptions;
  /** A feed created by the caller (to watch its open count); one is made from `events` otherwise. */
  readonly eventFeed?: EventFeed;
  /** When given, a drain tells SSE subscribers to reconnect elsewhere. */
  readonly participant?: HttpDrainParticipant;
  /**
   * Mutual TLS for agents: a request without a bearer token whose client
   * certificate the server verified (against `--client-ca`) is the principal
   * named by the certificate's CN, with these scopes.
   */
  readonly clientCertificates?: { readonly scopes: readonly Scope[] };
  /** Server URL in the OpenAPI document. */
  readonly publicUrl?: string;
  readonly logger?: Logger;
}

declare module "fastify" {
  interface FastifyRequest {
    drainkitPrincipal?: Principal;
    /** A refusal decided at the door of a mutation, answered once the body is read (to audit its reason and ticket). */
    drainkitRefusal?: { readonly principal: Principal | undefined; readonly code: string; readonly problem: Problem; readonly headers: Record<string, string> };
  }
}

interface RouteConfig {
  readonly definition?: RouteDefinition;
  readonly guard?: "read";
}

function isReport(answer: ReadinessChecks | ReadinessReport): answer is ReadinessReport {
  return typeof (answer as { checks?: unknown }).checks === "object" && (answer as { checks?: unknown }).checks !== null;
}

function sendProblem(reply: FastifyReply, p: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(p.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(p);
}

/** Ajv instances per request part: bodies are never coerced; query strings, params and headers are text and are. */
function validatorCompiler(): (route: { schema: object; httpPart?: string }) => (data: unknown) => boolean {
  const common = { allErrors: true, strict: false, removeAdditional: false as const, useDefaults: true };
  const body = new Ajv({ ...common, coerceTypes: false });
  const text = new Ajv({ ...common, coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === "body" ? body : text).compile(schema);
}

const bearer = /^Bearer ([\x21-\x7e]{1,4096})$/;

/**
 * The drainkit control API as a Fastify plugin: `/control/*` REST and SSE,
 * `/healthz`, `/readyz`, `/metrics` and `/openapi.json`. Every error is
 * application/problem+json; bodies, queries, params and headers are validated
 * against the schemas the OpenAPI document is generated from.
 *
 * @example
 * const app = Fastify();
 * await app.register(controlApi, { registry, authenticator });
 * await app.listen({ host: "127.0.0.1", port: 7400 });
 */
export const controlApi: FastifyPluginAsync<ControlApiOptions> = async (app, options) => {
  const { registry, authenticator, metrics } = options;
  const clock = options.clock ?? systemClock();
  const limiter: FailureLimiter =
    options.failureLimiter && "fail" in options.failureLimiter ? options.failureLimiter : createFailureLimiter({ clock, ...(options.failureLimiter ?? {}) });
  const feed = options.eventFeed ?? createEventFeed(registry, options.events ?? {});
  const participant = options.participant;
  // Streams go last: requests in flight finish first (their changes still reach the
  // subscribers), then every stream is told to reconnect elsewhere; 10 s at most.
  participant?.onDrain(() => {
    const until = clock.monotonic() + 10_000;
    const closeWhenOnlyStreamsLeft = (): void => {
      if (!participant.draining) return;
      if (participant.inFlight() <= feed.open || clock.monotonic() >= until) feed.closeAll("draining");
      else clock.setTimer(50, closeWhenOnlyStreamsLeft);
    };
    closeWhenOnlyStreamsLeft();
  });
  // preClose, not onClose: the server waits for open connections, and SSE streams never end on their own.
  app.addHook("preClose", async () => feed.closeAll("server-closed"));

  app.setValidatorCompiler(validatorCompiler());
  app.setSchemaErrorFormatter((errors, dataVar) => Object.assign(new Error(`${dataVar} is invalid`), { validation: errors, validationContext: dataVar }));
  // RFC 7396 bodies are JSON too.
  app.addContentTypeParser("application/merge-patch+json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, body === "" ? {} : JSON.parse(body as string));
    } catch (e) {
      done(Object.assign(e as Error, { statusCode: 400 }), undefined);
    }
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  if (metrics) {
    app.addHook("onResponse", async (request, reply) => {
      metrics.httpDuration.observe({ method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
  }

  const auditor = createRefusalAuditor({ registry, ...(options.logger ? { logger: options.logger } : {}), ...(metrics ? { metrics } : {}) });
  const audit = async (principal: Principal | undefined, def: RouteDefinition | undefined, params: unknown, code: string, body?: unknown): Promise<void> => {
    const action = def?.action ?? "watchEvents";
    const target = def ? def.target((params ?? {}) as Record<string, string>) : "events";
    await auditor.refuse(principal, action, target, code, body);
  };
  /**
   * A mutation refused at the door waits for its body, so the audit entry
   * keeps the reason and ticket it carried; reads are answered at once.
   */
  const refuse = async (request: FastifyRequest, reply: FastifyReply, principal: Principal | undefined, code: string, p: Problem, headers: Record<string, string> = {}): Promise<FastifyReply | undefined> => {
    const def = (request.routeOptions.config as RouteConfig).definition;
    if (def?.mutation) {
      request.drainkitRefusal = { principal, code, problem: p, headers };
      return undefined;
    }
    await audit(principal, def, request.params, code);
    return sendProblem(reply, p, headers);
  };
  /** Answers a refusal deferred to after the body was read (or failed to be). */
  const answerRefusal = async (request: FastifyRequest, reply: FastifyReply, body: unknown): Promise<FastifyReply> => {
    const r = request.drainkitRefusal!;
    await audit(r.principal, (request.routeOptions.config as RouteConfig).definition, request.params, r.code, body);
    return sendProblem(reply, r.problem, r.headers);
  };

  const certificatePrincipal = (request: FastifyRequest): Principal | undefined => {
    const socket = request.raw.socket as Partial<TLSSocket>;
    if (!options.clientCertificates || socket.authorized !== true || typeof socket.getPeerCertificate !== "function") return undefined;
    const cn = socket.getPeerCertificate().subject?.CN;
    const id = Array.isArray(cn) ? cn[0] : cn;
    return typeof id === "string" && id !== "" ? { id, scopes: options.clientCertificates.scopes } : undefined;
  };

  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const config = request.routeOptions.config as RouteConfig;
    const def = config.definition;
    const client = request.ip;
    const header = request.headers.authorization;
    const match = typeof header === "string" ? bearer.exec(header) : null;
    const principal = match ? await authenticator.authenticate(match[1]!) : header === undefined ? certificatePrincipal(request) : undefined;
    if (!principal) {
      // Only failures are limited: agents behind one NAT share an address, and a
      // guesser next to them must never lock their valid tokens out.
      const wait = limiter.blockedFor(client);
      if (wait > 0) {
        return sendProblem(reply, problem("rate-limited", `Too many failed authentication attempts from ${client}; wait ${wait} s, then retry with a valid token.`), { "retry-after": String(wait) });
      }
      limiter.fail(client);
      if (def?.mutation) metrics?.mutations.inc({ action: def.action, outcome: "unauthenticated" });
      const why = header === undefined ? "No Authorization header was sent." : match ? "The bearer token is not valid." : "The Authorization header is not `Bearer <token>`.";
      return refuse(request, reply, undefined, "unauthenticated", problem("unauthenticated", why, { instance: request.url }), { "www-authenticate": 'Bearer realm="drainkit"' });
    }
    request.drainkitPrincipal = principal;
    const anyOf = def?.anyOf ?? ["mesh.read"];
    if (!anyOf.some((s) => hasScope(principal, s))) {
      if (def?.mutation) metrics?.mutations.inc({ action: def.action, outcome: "refused" });
      const p = problem("forbidden", `"${def?.operationId ?? "events"}" needs one of ${anyOf.join(", ")}; ${principal.id} has ${principal.scopes.join(", ") || "no scopes"}.`, { instance: request.url, details: { needs: anyOf } });
      return refuse(request, reply, principal, "forbidden", p);
    }
    return undefined;
  };

  app.setErrorHandler(async (error, request, reply) => {
    // A body that could not be read still gets the refusal decided at the door.
    if (request.drainkitRefusal) return answerRefusal(request, reply, undefined);
    const p = problemFromError(error);
    const def = (request.routeOptions.config as RouteConfig | undefined)?.definition;
    if (p.status >= 500) request.log.error({ err: error }, "request failed");
    // A request refused at the schema never reached the registry, so it is audited here, with the reason and ticket it carried.
    // Only schema errors (Fastify sets `.validation`); the registry already audited its own refusals.
    const schemaError = typeof error === "object" && error !== null && "validation" in error;
    if (def?.mutation && schemaError && p.code === "validation" && request.drainkitPrincipal) {
      await audit(request.drainkitPrincipal, def, request.params, "validation", request.body);
      metrics?.mutations.inc({ action: def.action, outcome: "refused" });
    }
    return sendProblem(reply, { ...p, instance: request.url, requestId: request.id }, p.status === 503 || p.status === 429 ? { "retry-after": "1" } : {});
  });

  app.setNotFoundHandler(async (request, reply) =>
    sendProblem(reply, problem("route-not-found", `No route ${request.method} ${request.url.split("?")[0]}.`, { instance: request.url })));

  for (const def of routes) {
    app.route({
      method: def.method,
      url: def.url,
      schema: def.schema,
      config: { definition: def } satisfies RouteConfig,
      onRequest: authenticate,
      // Verbs without a body are fine: an absent body validates as an empty object.
      preValidation: async (request, reply) => {
        if (request.drainkitRefusal) return answerRefusal(request, reply, request.body);
        if (def.schema.body && (request.body === undefined || request.body === null)) request.body = {};
        return undefined;
      },
      handler: async (request, reply) => {
        const body = (request.body ?? {}) as Record<string, unknown>;
        const headers = request.headers;
        const mutationOptions: MutationOptions = {
          ...(typeof headers["idempotency-key"] === "string" ? { idempotencyKey: headers["idempotency-key"] } : {}),
          ...(typeof headers["if-match"] === "string" ? { ifMatch: headers["if-match"] } : {}),
          ...(typeof body["reason"] === "string" ? { reason: body["reason"] } : {}),
          ...(typeof body["ticket"] === "string" ? { ticket: body["ticket"] } : {}),
          ...(body["confirm"] === true ? { confirm: true } : {}),
          ...(body["dryRun"] === true ? { dryRun: true } : {}),
        };
        let result;
        try {
          result = await def.handle({
            registry,
            principal: request.drainkitPrincipal!,
            params: (request.params ?? {}) as Record<string, string>,
            query: (request.query ?? {}) as Record<string, unknown>,
            body,
            options: mutationOptions,
          });
        } catch (e) {
          const code = (e as { code?: string }).code ?? "error";
          if (def.mutation) metrics?.mutations.inc({ action: def.action, outcome: code });
          // The audit lives in the same store: when the store failed, so did its entry.
          if (def.mutation && (code.startsWith("store-") || code === "write-contention")) {
            auditor.unaudited(request.drainkitPrincipal, def.action, def.target((request.params ?? {}) as Record<string, string>), code, reasonAndTicket(body));
          }
          throw e;
        }
        if (result.kind === "read") {
          if (result.etag) reply.header("etag", result.etag);
          return reply.code(result.status ?? 200).send(result.body);
        }
        const { outcome } = result;
        metrics?.mutations.inc({ action: def.action, outcome: outcome.replayed ? "replayed" : outcome.changed ? "ok" : "noop" });
        reply.header("etag", outcome.etag);
        if (outcome.auditId) reply.header("drainkit-audit-id", outcome.auditId);
        reply.header("drainkit-changed", String(outcome.changed));
        if (outcome.replayed) reply.header("idempotent-replayed", "true");
        for (const [name, value] of Object.entries(result.headers ?? {})) reply.header(name, value);
        return reply.code(result.status ?? 200).send(outcome.value);
      },
    });
  }

  app.get("/control/events", {
    schema: { querystring: eventsQuery, headers: eventsHeaders },
    config: { guard: "read" } satisfies RouteConfig,
    onRequest: authenticate,
    handler: async (request, reply) => {
      const q = request.query as { kinds?: string; since?: number; peer?: string };
      const principal = request.drainkitPrincipal!;
      // An agent follows its own peer: it may narrow the feed to itself only, and sees only its own moves.
      const agentOnly = !hasScope(principal, "mesh.operate") && !principal.scopes.includes("mesh.read");
      if (agentOnly && q.peer !== undefined && q.peer !== principal.id) {
        await audit(principal, undefined, request.params, "forbidden");
        return sendProblem(reply, problem("forbidden", `An agent may only follow its own peer: use ?peer=${principal.id}.`, { instance: request.url, details: { needs: ["mesh.read"] } }));
      }
      const filter: FeedFilter = { ...(q.peer === undefined ? {} : { peer: q.peer }), ...(agentOnly ? { movesOf: principal.id } : {}) };
      const lastId = request.headers["last-event-id"];
      let from: number;
      if (typeof lastId === "string") from = Number(lastId);
      else if (q.since !== undefined) from = q.since;
      else from = (await registry.listPeers(request.drainkitPrincipal!, { limit: 1 })).revision;
      const kinds = q.kinds ? new Set(q.kinds.split(",") as EventKind[]) : undefined;
      reply.hijack();
      reply.raw.setHeader("x-request-id", request.id);
      await feed.serve(reply.raw, from, kinds, filter);
    },
  });

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    let checks: ReadinessChecks;
    let findings: Record<string, unknown> = {};
    try {
      const answer = options.readiness ? await options.readiness() : {};
      if (isReport(answer)) {
        ({ checks, ...findings } = answer);
      } else {
        checks = answer;
      }
    } catch (e) {
      checks = { readiness: false };
      options.logger?.warn({ err: e instanceof Error ? e.message : String(e) }, "readiness check failed");
    }
    if (options.participant?.draining) checks = { ...checks, "not-draining": false };
    const failing = Object.entries(checks).filter(([, ok]) => !ok).map(([k]) => k);
    if (failing.length > 0) {
      // A store outage is named as such even though no leader can be known without the store.
      const code = failing.includes("not-draining")
        ? "draining"
        : failing.some((f) => f === "store" || f === "store-writes" || f === "readiness")
          ? "store-unavailable"
          : failing.includes("leader")
            ? "no-leader"
            : "store-unavailable";
      return sendProblem(reply, problem(code, `Not ready: ${failing.join(", ")} failing.`, { checks, ...findings }), { "retry-after": "1" });
    }
    return reply.send({ status: "ready", checks, ...findings });
  });

  if (metrics) {
    const observer: Principal = { id: "metrics", scopes: ["mesh.read"] };
    app.get("/metrics", async (_request, reply) => {
      // Availability and drains in flight are read at scrape time so every replica reports them, leader or not.
      try {
        const available = new Map<string, number>();
        let draining = 0;
        for await (const page of pages((cursor) => registry.listPeers(observer, { limit: 500, ...(cursor ? { cursor } : {}) }))) {
          for (const peer of page.items) {
            if (peer.phase === "draining") draining++;
            for (const pool of peer.pools) available.set(pool, (available.get(pool) ?? 0) + (peer.phase === "active" ? 1 : 0));
          }
        }
        metrics.drainsInFlight.set(draining);
        metrics.poolAvailable.reset();
        for (const [pool, n] of available) metrics.poolAvailable.set({ pool }, n);
      } catch (e) {
        options.logger?.warn({ err: e instanceof Error ? e.message : String(e) }, "pool availability not refreshed");
      }
      try {
        const latest = (await registry.listRollouts(observer)).at(-1);
        metrics.rolloutNodes.reset();
        for (const n of Object.values(latest?.nodes ?? {})) metrics.rolloutNodes.inc({ step: n.step });
      } catch (e) {
        options.logger?.warn({ err: e instanceof Error ? e.message : String(e) }, "rollout progress not refreshed");
      }
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  }

  let openapi: object | undefined;
  app.get("/openapi.json", async () => (openapi ??= buildOpenApi(routes, options.publicUrl)));
};

/** Registers {@link controlApi}; handy when the caller wants the instance back for chaining. */
export async function registerControlApi(app: FastifyInstance, options: ControlApiOptions): Promise<FastifyInstance> {
  await app.register(controlApi, options);
  return app;
}

/**
 * Pass as Fastify's `frameworkErrors` option: errors the router raises before
 * any plugin runs (a malformed URL, an over-long parameter) then answer with
 * problem+json like everything else.
 *
 * @example
 * const app = Fastify({ frameworkErrors: problemFrameworkErrors });
 */
export function problemFrameworkErrors(error: Error & { statusCode?: number }, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  void sendProblem(reply, problem(status >= 500 ? "internal" : "validation", error.message, { instance: request.url, errors: [{ field: "url", message: error.message }] }, status >= 500 ? 500 : 400));
}
