/**
 * @drainkit/http: the control API as a Fastify plugin (REST, SSE, health,
 * metrics, OpenAPI), bearer-token and JWT authentication, and an HTTP drain
 * participant for node:http, https, http2 and Fastify servers.
 */
// @ts-nocheck

export { controlApi, registerControlApi, problemFrameworkErrors, type ControlApiOptions, type ReadinessChecks, type ReadinessReport } from "./plugin.ts";
export { routes, type RouteDefinition, type RouteContext, type RouteResult } from "./routes.ts";
export { buildOpenApi } from "./openapi.ts";
export { problem, problemFromError, fieldErrors, PROBLEM_BASE, PROBLEM_CONTENT_TYPE, type Problem, type FieldError } from "./problem.ts";
export { SCOPES, isScope, chainAuthenticators, type Authenticator } from "./auth/principal.ts";
export { openTokenFile, addToken, tokenAuthenticator, hashToken, generateToken, type TokenRecord, type TokenFileContents, type OpenedTokenFile } from "./auth/tokenFile.ts";
export { jwtAuthenticator, jwtAuthenticatorFromFile, type JwtOptions } from "./auth/jwt.ts";
export { createFailureLimiter, type FailureLimiter, type FailureLimiterOptions } from "./auth/failureLimiter.ts";
export { createPromMetrics, type PromMetrics } from "./metrics.ts";
export { createEventFeed, passesFilter, sseMessage, type EventFeed, type EventFeedOptions, type StreamEnd, type EventKind, type FeedChange, type FeedFilter } from "./sse.ts";
export { createHttpDrainParticipant, DRAINING_HEADER, type HttpDrainParticipant, type HttpDrainParticipantOptions, type HttpDrainPhase, type GateableServer } from "./participant.ts";
