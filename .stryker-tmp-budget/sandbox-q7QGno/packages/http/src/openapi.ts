// @ts-nocheck
import type { RouteDefinition } from "./routes.ts";
import { eventsHeaders, eventsQuery, problemSchema } from "./schemas.ts";

const ERRORS: Readonly<Record<string, string>> = {
  400: "Invalid input; `errors` names the fields",
  401: "No or invalid bearer token",
  403: "Missing scope",
  404: "No such peer, cluster, rollout or move",
  409: "Invalid transition, pool depletion, idempotency conflict, rollout in progress, move state conflict",
  412: "If-Match does not match the current ETag",
  428: "If-Match required",
  429: "Too many failed authentication attempts",
  503: "Store unavailable, not leader, or draining",
};

type Json = Record<string, unknown>;

function parameters(where: "path" | "query" | "header", schema: object | undefined): Json[] {
  const props = (schema as { properties?: Record<string, Json>; required?: string[] } | undefined)?.properties ?? {};
  const required = new Set((schema as { required?: string[] } | undefined)?.required ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    ...(typeof s["description"] === "string" ? { description: s["description"] } : {}),
    schema: s,
  }));
}

/**
 * The OpenAPI 3.1 document of the control API, generated from the same route
 * table and JSON Schemas the server validates with.
 */
export function buildOpenApi(routes: readonly RouteDefinition[], serverUrl?: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const problem = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
  for (const r of routes) {
    const responses: Json = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = { description: res.description, ...(res.schema ? { content: { "application/json": { schema: res.schema } } } : {}) };
    }
    const codes = r.mutation ? ["400", "401", "403", "404", "409", "412", "428", "429", "503"] : ["400", "401", "403", "404", "429", "503"];
    for (const c of codes) responses[c] = { description: ERRORS[c], content: problem };
    const op: Json = {
      operationId: r.operationId,
      summary: r.summary,
      security: [{ bearer: r.anyOf }],
      "x-drainkit-scopes": r.anyOf,
      parameters: [...parameters("path", r.schema.params), ...parameters("query", r.schema.querystring), ...parameters("header", r.schema.headers)],
      responses,
    };
    if (r.schema.body) {
      op["requestBody"] = {
        required: false,
        content: r.method === "PATCH"
          ? { "application/merge-patch+json": { schema: r.schema.body }, "application/json": { schema: r.schema.body } }
          : { "application/json": { schema: r.schema.body } },
      };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  paths["/control/events"] = {
    get: {
      operationId: "events",
      summary: "Server-Sent Events: every registry change; resumable with Last-Event-ID (ids are store revisions)",
      security: [{ bearer: ["mesh.read"] }],
      parameters: [...parameters("query", eventsQuery), ...parameters("header", eventsHeaders)],
      responses: {
        200: { description: "An event stream: `event:` peer|cluster|config|pool|audit|rollout|move, plus `reconnect` and `reset`", content: { "text/event-stream": { schema: { type: "string" } } } },
        401: { description: ERRORS[401], content: problem },
        403: { description: ERRORS[403], content: problem },
      },
    },
  };
  paths["/healthz"] = { get: { operationId: "healthz", summary: "Liveness", responses: { 200: { description: "Alive" } } } };
  paths["/readyz"] = { get: { operationId: "readyz", summary: "Store reachable, leader known", responses: { 200: { description: "Ready" }, 503: { description: "Not ready", content: problem } } } };
  paths["/metrics"] = { get: { operationId: "metrics", summary: "Prometheus metrics", responses: { 200: { description: "Text exposition", content: { "text/plain": { schema: { type: "string" } } } } } } };
  return {
    openapi: "3.1.0",
    info: { title: "drainkit control API", version: "1", description: "Cordon, drain, resume and observe peers. Errors are RFC 9457 problem+json." },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "Token-file token or JWT; scopes: mesh.read, mesh.agent, mesh.operate, mesh.admin." } },
    },
  };
}
