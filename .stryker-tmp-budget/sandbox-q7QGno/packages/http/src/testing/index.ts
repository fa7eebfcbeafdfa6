/**
 * Test support: a control API on a real socket over an in-memory registry,
 * with one bearer token per scope.
 *
 * @example
 * import { startTestControlApi } from "@drainkit/http/testing";
 * const api = await startTestControlApi();
 * await fetch(`${api.url}/control/peers`, { headers: api.auth("mesh.read") });
 * await api.close();
 */
// @ts-nocheck

import Fastify, { type FastifyInstance } from "fastify";
import { systemClock, type Clock } from "@drainkit/core";
import { makeMemoryStore, createRegistry, type PoolBudget, type RefusalLimit, type Principal, type Registry, type RegistryStore, type Scope } from "@drainkit/registry";
import { hashToken, tokenAuthenticator, type TokenRecord } from "../auth/tokenFile.ts";
import type { FailureLimiterOptions } from "../auth/failureLimiter.ts";
import { createPromMetrics, type PromMetrics } from "../metrics.ts";
import { createHttpDrainParticipant, type HttpDrainParticipant } from "../participant.ts";
import { controlApi, problemFrameworkErrors, type ReadinessChecks, type ReadinessReport } from "../plugin.ts";
import { createEventFeed, type EventFeed, type EventFeedOptions } from "../sse.ts";

/** Principal of each scope's test token; the agent is the agent of peer `node-a`. */
export const testPrincipals: Readonly<Record<Scope, Principal>> = {
  "mesh.read": { id: "reader", scopes: ["mesh.read"] },
  "mesh.agent": { id: "node-a", scopes: ["mesh.agent"] },
  "mesh.operate": { id: "operator", scopes: ["mesh.operate"] },
  "mesh.admin": { id: "admin", scopes: ["mesh.admin"] },
};

/** A running test control API. */
export interface TestControlApi {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly registry: Registry;
  readonly store: RegistryStore;
  readonly metrics: PromMetrics;
  readonly participant: HttpDrainParticipant;
  /** The SSE feed (open stream count). */
  readonly events: EventFeed;
  /** The clear-text token of each scope. */
  readonly tokens: Readonly<Record<Scope, string>>;
  /** `{ authorization: "Bearer …" }` for a scope. */
  auth(scope: Scope): Record<string, string>;
  close(): Promise<void>;
}

/** Options of {@link startTestControlApi}. */
export interface TestControlApiOptions {
  readonly store?: RegistryStore;
  readonly clock?: Clock;
  readonly pools?: readonly PoolBudget[];
  readonly events?: EventFeedOptions;
  readonly failureLimiter?: Omit<FailureLimiterOptions, "clock">;
  /** Limits of auditing unauthenticated refusals one by one. */
  readonly refusalLimit?: RefusalLimit;
  readonly readiness?: () => Promise<ReadinessChecks | ReadinessReport>;
  /** Extra routes registered beside the API (e.g. a slow route for drain tests). */
  readonly extraRoutes?: (app: FastifyInstance) => void;
}

/** Starts the control API on 127.0.0.1 with a random port. */
export async function startTestControlApi(options: TestControlApiOptions = {}): Promise<TestControlApi> {
  const store = options.store ?? makeMemoryStore();
  const clock = options.clock ?? systemClock();
  const metrics = createPromMetrics({ defaultMetrics: false });
  const registry = createRegistry({
    store,
    clock,
    metrics,
    ...(options.pools ? { pools: options.pools } : {}),
    ...(options.refusalLimit ? { refusalLimit: options.refusalLimit } : {}),
    clusters: [{ id: "east", role: "active" }, { id: "west", role: "backup" }],
  });
  const tokens = {} as Record<Scope, string>;
  const records: TokenRecord[] = [];
  for (const [scope, p] of Object.entries(testPrincipals) as [Scope, Principal][]) {
    tokens[scope] = `dk_test_${scope.replace(".", "_")}_token`;
    records.push({ id: p.id, sha256: hashToken(tokens[scope]), scopes: p.scopes, createdAt: "" });
  }
  // Tests close the server right after reading event streams; do not wait out keep-alive sockets.
  const app = Fastify({ logger: false, frameworkErrors: problemFrameworkErrors, forceCloseConnections: true });
  const participant = createHttpDrainParticipant(app, { deregistrationDelayMs: 0 });
  const events = createEventFeed(registry, options.events ?? {});
  await app.register(controlApi, {
    registry,
    authenticator: tokenAuthenticator(records),
    clock,
    metrics,
    participant,
    failureLimiter: options.failureLimiter ?? { maxFailures: 1_000_000 },
    eventFeed: events,
    ...(options.readiness ? { readiness: options.readiness } : { readiness: async () => ({ store: await store.ping() }) }),
  });
  options.extraRoutes?.(app);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    registry,
    store,
    metrics,
    participant,
    events,
    tokens,
    auth: (scope) => ({ authorization: `Bearer ${tokens[scope]}` }),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}
