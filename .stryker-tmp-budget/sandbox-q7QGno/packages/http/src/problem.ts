// @ts-nocheck
import { catalogue, errorEntry, isDrainkitError } from "@drainkit/core";

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

/** Builds a problem document for `code`; `extra` adds extension members. */
export function problem(code: string, detail: string, extra: Record<string, unknown> = {}, statusOverride?: number): Problem {
  // Title, status, retryable and next come from core's catalogue, the one
  // table gRPC and the CLI derive theirs from too.
  const cause = errorEntry(code) ?? catalogue["internal"];
  const status = statusOverride ?? cause.status;
  return {
    type: `${PROBLEM_BASE}${code}`,
    title: cause.title,
    status,
    detail,
    code,
    retryable: statusOverride === undefined ? cause.retryable : status >= 500 || status === 429,
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
export function problemFromError(error: unknown): Problem {
  if (isDrainkitError(error)) {
    const known = errorEntry(error.code);
    // A code missing from the catalogue can only come from another version of a package; answer by its retryability.
    const status = known?.status ?? (error.retryable ? 503 : 500);
    const details = Object.keys(error.details).length > 0 ? { details: error.details } : {};
    const p = problem(error.code, error.message, details, status);
    return { ...p, retryable: error.retryable, ...(known ? {} : { title: titleFromCode(error.code) }) };
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
