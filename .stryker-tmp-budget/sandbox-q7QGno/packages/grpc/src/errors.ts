// @ts-nocheck
import * as grpc from "@grpc/grpc-js";
import { DrainkitError, httpStatusFor, isDrainkitError } from "@drainkit/core";
import { statusPackage } from "./proto.ts";

/** Trailer naming the drainkit error code (the suffix of the REST problem type). */
export const ERROR_CODE_METADATA = "drainkit-error-code";
/** Domain of the google.rpc.ErrorInfo every failed call carries. */
export const ERROR_DOMAIN = "drainkit.dev";
const PROBLEM_BASE = "https://drainkit.dev/problems/";
const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";

/**
 * Each HTTP status of core's error catalogue, turned into its gRPC status
 * code. `test/errors.test.ts` fails when the catalogue gains a status this
 * table lacks.
 */
export const GRPC_STATUS_BY_HTTP: Readonly<Record<number, grpc.status>> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  409: grpc.status.FAILED_PRECONDITION,
  410: grpc.status.OUT_OF_RANGE,
  412: grpc.status.ABORTED,
  413: grpc.status.RESOURCE_EXHAUSTED,
  415: grpc.status.INVALID_ARGUMENT,
  428: grpc.status.FAILED_PRECONDITION,
  429: grpc.status.RESOURCE_EXHAUSTED,
  500: grpc.status.INTERNAL,
  501: grpc.status.UNIMPLEMENTED,
  // A gateway whose upstream failed: the gRPC HTTP-status mapping calls that UNAVAILABLE.
  502: grpc.status.UNAVAILABLE,
  503: grpc.status.UNAVAILABLE,
  504: grpc.status.DEADLINE_EXCEEDED,
  507: grpc.status.RESOURCE_EXHAUSTED,
};

/**
 * The gRPC status code for a drainkit error code, derived from the HTTP
 * status core's `catalogue` gives it, so REST and gRPC cannot disagree about
 * which class of failure a code is.
 *
 * @example
 * grpcStatusFor("etag-mismatch"); // grpc.status.ABORTED (REST: 412)
 */
export function grpcStatusFor(code: string): grpc.status {
  return GRPC_STATUS_BY_HTTP[httpStatusFor(code)] ?? grpc.status.INTERNAL;
}

type ErrorInfoType = { serialize: (v: object) => Buffer; deserialize: (b: Buffer) => { reason?: string; domain?: string; metadata?: Record<string, string> } };
type StatusType = { serialize: (v: object) => Buffer; deserialize: (b: Buffer) => { code?: number; message?: string; details?: { typeUrl?: string; type_url?: string; value?: Buffer }[] } };

function messageTypes(): { status: StatusType; errorInfo: ErrorInfoType } {
  const pkg = statusPackage();
  return { status: pkg["google.rpc.Status"] as unknown as StatusType, errorInfo: pkg["google.rpc.ErrorInfo"] as unknown as ErrorInfoType };
}

/**
 * Turns anything a handler threw into a gRPC error: drainkit errors keep their
 * code (trailer `drainkit-error-code`, google.rpc.ErrorInfo in
 * `grpc-status-details-bin`); anything else is INTERNAL and leaks nothing.
 */
export function toServiceError(error: unknown): Partial<grpc.StatusObject> {
  const known = isDrainkitError(error);
  const code = known ? error.code : "internal";
  const grpcCode = known ? grpcStatusFor(code) : grpc.status.INTERNAL;
  const message = known ? error.message : "The server failed to handle this request.";
  const retryable = known ? error.retryable : false;
  const details: Record<string, string> = { type: `${PROBLEM_BASE}${code}`, retryable: String(retryable) };
  if (known && Object.keys(error.details).length > 0) details["details"] = JSON.stringify(error.details);
  const types = messageTypes();
  const info = types.errorInfo.serialize({ reason: code, domain: ERROR_DOMAIN, metadata: details });
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_METADATA, code);
  metadata.set("grpc-status-details-bin", types.status.serialize({ code: grpcCode, message, details: [{ type_url: ERROR_INFO_TYPE, typeUrl: ERROR_INFO_TYPE, value: info }] }));
  return { code: grpcCode, details: message, metadata };
}

/**
 * A failed control call as the client sees it: the same `code`, `retryable`
 * and `details` the REST problem carries, plus the gRPC status code.
 *
 * @example
 * await client.cordon("web-1", { reason: "x" }).catch((e) => e instanceof ControlError && e.code); // "forbidden"
 */
export class ControlError extends DrainkitError<string> {
  readonly grpcCode: grpc.status;
  constructor(code: string, message: string, grpcCode: grpc.status, options: { retryable: boolean; details: Readonly<Record<string, unknown>>; cause?: unknown }) {
    super(code, message, options);
    this.grpcCode = grpcCode;
  }
}

/** Reads the drainkit error back out of a gRPC error (ErrorInfo first, then the trailer, then the status code). */
export function controlErrorFrom(error: grpc.ServiceError): ControlError {
  let code: string | undefined;
  let retryable = error.code === grpc.status.UNAVAILABLE;
  let details: Record<string, unknown> = {};
  const bin = error.metadata?.get("grpc-status-details-bin")[0];
  if (Buffer.isBuffer(bin)) {
    try {
      const types = messageTypes();
      for (const any of types.status.deserialize(bin).details ?? []) {
        // protobufjs's built-in Any keeps its snake_case field name whatever keepCase says.
        if ((any.typeUrl ?? any.type_url) !== ERROR_INFO_TYPE || any.value === undefined) continue;
        const info = types.errorInfo.deserialize(Buffer.from(any.value));
        if (info.domain !== ERROR_DOMAIN) continue;
        code = info.reason;
        retryable = info.metadata?.["retryable"] === "true";
        if (info.metadata?.["details"] !== undefined) details = JSON.parse(info.metadata["details"]) as Record<string, unknown>;
      }
    } catch {
      // A malformed details trailer still leaves the plain status code to go on.
    }
  }
  const trailer = error.metadata?.get(ERROR_CODE_METADATA)[0];
  code ??= typeof trailer === "string" ? trailer : codeForStatus(error.code);
  return new ControlError(code, error.details || error.message, error.code, { retryable, details, cause: error });
}

/** For failures that never reached a drainkit server (connection refused, deadline, draining proxy). */
function codeForStatus(status: grpc.status): string {
  switch (status) {
    case grpc.status.UNAVAILABLE:
      return "unavailable";
    case grpc.status.DEADLINE_EXCEEDED:
      return "deadline-exceeded";
    case grpc.status.CANCELLED:
      return "cancelled";
    case grpc.status.UNAUTHENTICATED:
      return "unauthenticated";
    case grpc.status.PERMISSION_DENIED:
      return "forbidden";
    case grpc.status.UNIMPLEMENTED:
      return "unimplemented";
    default:
      return "internal";
  }
}
