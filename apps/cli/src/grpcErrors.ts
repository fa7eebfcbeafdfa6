import { errorEntry } from "@drainkit/core";
import { ControlError } from "@drainkit/grpc";
import { CliError, EXIT, ProblemError, type Problem } from "./errors.ts";

/**
 * gRPC status code → the HTTP status REST uses for that class (the inverse of
 * @drainkit/grpc's mapping), for a code core's catalogue does not know (a
 * newer server's).
 */
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
  // The same row of core's catalogue REST answers from, so both transports print the same title, next step and exit code.
  const cause = errorEntry(error.code);
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
