import { isDrainkitError } from "@drainkit/core";

/** Base of every problem `type` URI; the suffix is the stable error code. */
export const PROBLEM_BASE = "https://drainkit.dev/problems/";

/** Media type of every error body (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** An RFC 9457 problem document as drainkit sends it. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** Stable machine code; equal to the suffix of `type`. */
  readonly code: string;
  readonly retryable: boolean;
  /** What a client can do about it. */
  readonly next: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

interface Cause {
  readonly status: number;
  readonly title: string;
  readonly next: string;
}

/**
 * One table for every cause the HTTP surface can answer with. The registry
 * owns the domain codes; the codes marked "http" only arise at this layer.
 */
const CAUSES: Readonly<Record<string, Cause>> = {
  "validation": { status: 400, title: "Invalid request", next: "Fix the fields named in `errors` and send the request again." },
  "confirmation-required": { status: 400, title: "Confirmation required", next: "Repeat the request with `\"confirm\": true` once you are sure." },
  "unauthenticated": { status: 401, title: "Authentication required", next: "Send `Authorization: Bearer <token>` with a valid token." },
  "forbidden": { status: 403, title: "Missing scope", next: "Use a token that carries the scope named in `detail`." },
  "not-found": { status: 404, title: "Not found", next: "Check the id; list what exists with GET /control/peers." },
  "route-not-found": { status: 404, title: "No such route", next: "See /openapi.json for the routes this server serves." },
  "invalid-transition": { status: 409, title: "Invalid transition", next: "Read the peer's state; `details.allowed` names the events it accepts now." },
  "pool-depletion": { status: 409, title: "Pool would be depleted", next: "Wait for other nodes in the pool to come back, or have an admin force it with a reason." },
  "only-schedulable-node": { status: 409, title: "Only schedulable node", next: "Bring another node of this role back first." },
  "future-epoch": { status: 409, title: "Report for a drain epoch never issued", next: "Re-read the peer's spec (GET /control/peers/{id}) and report for the epoch in `details.current`." },
  "last-active-cluster": { status: 409, title: "Last active cluster", next: "Promote another cluster first." },
  "rollout-in-progress": { status: 409, title: "Rollout in progress", next: "Wait for the rollout to finish (GET /control/upgrade), or abort it first." },
  "move-state-conflict": { status: 409, title: "Move state conflict", next: "GET /control/moves to read the move's state; `details.allowed` names the states it can take now." },
  "move-plan-conflict": { status: 409, title: "Move id already used", next: "Plan the move under a new id; GET /control/moves shows the existing one." },
  "idempotency-conflict": { status: 409, title: "Idempotency key reused", next: "Use a new Idempotency-Key for a different request." },
  "etag-mismatch": { status: 412, title: "ETag mismatch", next: "GET the resource again and retry with its current ETag in If-Match." },
  "payload-too-large": { status: 413, title: "Payload too large", next: "Send a smaller body." },
  "unsupported-media-type": { status: 415, title: "Unsupported media type", next: "Send `Content-Type: application/json`." },
  "precondition-required": { status: 428, title: "If-Match required", next: "GET the resource and send its ETag in If-Match." },
  "rate-limited": { status: 429, title: "Too many failed attempts", next: "Wait for the number of seconds in Retry-After, then use a valid token." },
  "internal": { status: 500, title: "Internal error", next: "Retry later; if it persists, report the request id in `instance`." },
  "write-contention": { status: 503, title: "Write contention", next: "Retry with the same Idempotency-Key; nothing was written." },
  "store-unavailable": { status: 503, title: "Store unavailable", next: "Retry after a short wait; check the store's health." },
  "not-leader": { status: 503, title: "Not the leader", next: "Retry; another replica leads and will answer." },
  "draining": { status: 503, title: "Server draining", next: "Retry against another replica, after Retry-After seconds." },
};

/** HTTP status for an error code (500 for a code nobody registered). */
export function statusForCode(code: string): number {
  return CAUSES[code]?.status ?? 500;
}

/** True when `code` has a row in the problem table. */
export function isKnownCode(code: string): boolean {
  return Object.hasOwn(CAUSES, code);
}

/** Builds a problem document for `code`; `extra` adds extension members. */
export function problem(code: string, detail: string, extra: Record<string, unknown> = {}, statusOverride?: number): Problem {
  const cause = CAUSES[code] ?? CAUSES["internal"]!;
  const status = statusOverride ?? cause.status;
  return {
    type: `${PROBLEM_BASE}${code}`,
    title: cause.title,
    status,
    detail,
    code,
    retryable: status >= 500 || status === 429,
    next: cause.next,
    ...extra,
  };
}

/** One field-level validation failure. */
export interface FieldError {
  /** Where: `body.reason`, `query.limit`, `params.id`, `headers.if-match`. */
  readonly field: string;
  readonly message: string;
}

/**
 * Maps anything thrown inside a route to a problem. DrainkitErrors keep their
 * code; Fastify's own errors (schema, body parsing, size) become their cause;
 * anything else is a 500 whose detail leaks nothing.
 */
export function problemFromError(error: unknown, statusFor: (code: string) => number | undefined = () => undefined): Problem {
  if (isDrainkitError(error)) {
    const status = statusFor(error.code) ?? (isKnownCode(error.code) ? statusForCode(error.code) : error.retryable ? 503 : 500);
    const details = Object.keys(error.details).length > 0 ? { details: error.details } : {};
    const p = problem(error.code, error.message, details, status);
    return { ...p, retryable: error.retryable, ...(isKnownCode(error.code) ? {} : { title: titleFromCode(error.code) }) };
  }
  const e = error as { validation?: unknown; validationContext?: string; statusCode?: number; code?: string; message?: string };
  if (Array.isArray(e?.validation)) {
    const errors = fieldErrors(e.validation as AjvLikeError[], e.validationContext ?? "body");
    return problem("validation", `Invalid ${errors.map((x) => x.field).join(", ")}: ${errors.map((x) => x.message).join("; ")}`, { errors });
  }
  if (typeof e?.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return problem("payload-too-large", e.message ?? "Body too large");
    if (e.statusCode === 415) return problem("unsupported-media-type", e.message ?? "Unsupported media type");
    return problem("validation", e.message ?? "Bad request", { errors: [{ field: "body", message: e.message ?? "unparseable" }] });
  }
  return problem("internal", "The server failed to handle this request.");
}

function titleFromCode(code: string): string {
  const words = code.replace(/-/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

interface AjvLikeError {
  readonly instancePath?: string;
  readonly message?: string;
  readonly keyword?: string;
  readonly params?: Record<string, unknown>;
}

const CONTEXT_NAME: Readonly<Record<string, string>> = { body: "body", querystring: "query", params: "params", headers: "headers" };

/** Turns Ajv errors into `{field, message}` pairs that name the offending field. */
export function fieldErrors(errors: readonly AjvLikeError[], context: string): FieldError[] {
  const root = CONTEXT_NAME[context] ?? context;
  return errors.map((err) => {
    const path = (err.instancePath ?? "").split("/").filter(Boolean).join(".");
    let leaf = path;
    if (err.keyword === "required" && typeof err.params?.["missingProperty"] === "string") {
      leaf = path ? `${path}.${err.params["missingProperty"]}` : err.params["missingProperty"];
    } else if (err.keyword === "additionalProperties" && typeof err.params?.["additionalProperty"] === "string") {
      leaf = path ? `${path}.${err.params["additionalProperty"]}` : err.params["additionalProperty"];
    }
    return { field: leaf ? `${root}.${leaf}` : root, message: err.message ?? "is invalid" };
  });
}
