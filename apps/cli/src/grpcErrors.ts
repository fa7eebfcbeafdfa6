import { ControlError } from "@drainkit/grpc";
import { CliError, EXIT, ProblemError, type Problem } from "./errors.ts";

interface Cause {
  readonly status: number;
  readonly title: string;
  readonly next: string;
}

/**
 * The problem document REST would have answered for each drainkit code, so a
 * gRPC failure prints the same title, next step and exit code. It mirrors
 * @drainkit/http's table (the CLI does not load the server's HTTP stack);
 * `test/grpcErrors.test.ts` checks that the two agree.
 */
export const REST_CAUSES: Readonly<Record<string, Cause>> = {
  "validation": { status: 400, title: "Invalid request", next: "Fix the fields named in `errors` and send the request again." },
  "confirmation-required": { status: 400, title: "Confirmation required", next: "Repeat the request with `\"confirm\": true` once you are sure." },
  "unauthenticated": { status: 401, title: "Authentication required", next: "Send `Authorization: Bearer <token>` with a valid token." },
  "forbidden": { status: 403, title: "Missing scope", next: "Use a token that carries the scope named in `detail`." },
  "not-found": { status: 404, title: "Not found", next: "Check the id; list what exists with GET /control/peers." },
  "invalid-transition": { status: 409, title: "Invalid transition", next: "Read the peer's state; `details.allowed` names the events it accepts now." },
  "pool-depletion": { status: 409, title: "Pool would be depleted", next: "Wait for other nodes in the pool to come back, or have an admin force it with a reason." },
  "only-schedulable-node": { status: 409, title: "Only schedulable node", next: "Bring another node of this role back first." },
  "future-epoch": { status: 409, title: "Report for a drain epoch never issued", next: "Re-read the peer's spec (GET /control/peers/{id}) and report for the epoch in `details.current`." },
  "last-active-cluster": { status: 409, title: "Last active cluster", next: "Promote another cluster first." },
  "rollout-in-progress": { status: 409, title: "Rollout in progress", next: "Wait for the rollout to finish (GET /control/upgrade), or abort it first." },
  "idempotency-conflict": { status: 409, title: "Idempotency key reused", next: "Use a new Idempotency-Key for a different request." },
  "etag-mismatch": { status: 412, title: "ETag mismatch", next: "GET the resource again and retry with its current ETag in If-Match." },
  "precondition-required": { status: 428, title: "If-Match required", next: "GET the resource and send its ETag in If-Match." },
  "rate-limited": { status: 429, title: "Too many failed attempts", next: "Wait for the number of seconds in Retry-After, then use a valid token." },
  "internal": { status: 500, title: "Internal error", next: "Retry later; if it persists, report the request id in `instance`." },
  "write-contention": { status: 503, title: "Write contention", next: "Retry with the same Idempotency-Key; nothing was written." },
  "store-unavailable": { status: 503, title: "Store unavailable", next: "Retry after a short wait; check the store's health." },
  "not-leader": { status: 503, title: "Not the leader", next: "Retry; another replica leads and will answer." },
  "draining": { status: 503, title: "Server draining", next: "Retry against another replica, after Retry-After seconds." },
};

/** gRPC status code → the HTTP status REST uses for that class (the inverse of @drainkit/grpc's mapping). */
const HTTP_BY_GRPC: Readonly<Record<number, number>> = {
  3: 400, // INVALID_ARGUMENT
  5: 404, // NOT_FOUND
  7: 403, // PERMISSION_DENIED
  8: 429, // RESOURCE_EXHAUSTED
  9: 409, // FAILED_PRECONDITION
  10: 412, // ABORTED
  11: 410, // OUT_OF_RANGE
  14: 503, // UNAVAILABLE
  16: 401, // UNAUTHENTICATED
};

const titleFromCode = (code: string): string => {
  const words = code.replace(/-/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** Codes the client makes up when no drainkit server answered (connection refused, deadline). */
const TRANSPORT_CODES = new Set(["unavailable", "deadline-exceeded", "cancelled", "unimplemented"]);

/**
 * A failed gRPC call as the CLI reports it: the same {@link ProblemError}
 * (title, detail, next, exit code) REST gives for that code, or "Server
 * unavailable" (exit 6) when no drainkit server answered.
 */
export function cliErrorFromGrpc(error: unknown, address: string): unknown {
  if (!(error instanceof ControlError)) return error;
  if (TRANSPORT_CODES.has(error.code)) {
    if (error.code === "unimplemented") {
      return new CliError("Not a drainkit gRPC API", `${address} does not serve drainkit.control.v1: ${error.message}.`, EXIT.unavailable, "Check --grpc: it is the address `drainkit serve --grpc` prints.");
    }
    return new CliError("Server unavailable", `Could not reach grpc://${address}: ${error.message}.`, EXIT.unavailable, "Check --grpc (or DRAINKIT_GRPC / the current context) and that `drainkit serve --grpc` is running.");
  }
  const cause = REST_CAUSES[error.code];
  const status = cause?.status ?? HTTP_BY_GRPC[error.grpcCode] ?? 500;
  const details = Object.keys(error.details).length > 0 ? { details: error.details } : {};
  const problem: Problem = {
    type: `https://drainkit.dev/problems/${error.code}`,
    title: cause?.title ?? titleFromCode(error.code),
    status,
    detail: error.message,
    code: error.code,
    retryable: error.retryable,
    ...(cause ? { next: cause.next } : {}),
    ...details,
  };
  return new ProblemError(status, problem);
}
