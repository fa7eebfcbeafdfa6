// @ts-nocheck
import { DrainkitError } from "@drainkit/core";

/**
 * The control plane answered with an error (an RFC 9457 problem document) or
 * could not be reached. `code` is the problem's stable code (`not-found`,
 * `forbidden`, `store-unavailable`, …) or `unreachable` for network failures;
 * `status` is the HTTP status (0 when unreachable); `details` is the problem
 * document as sent.
 *
 * @example
 * await client.getPeer("web-1").catch((e) => {
 *   if (e instanceof ControlPlaneError && e.code === "not-found") return undefined;
 *   throw e;
 * });
 */
export class ControlPlaneError extends DrainkitError<string> {
  readonly status: number;
  constructor(status: number, code: string, message: string, options: { retryable: boolean; details?: Record<string, unknown>; cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/**
 * The event stream cannot resume from the revision asked for: re-read, then
 * follow from a fresh revision. `details.reset` is the server's `reset`
 * event data as sent.
 */
export class HistoryLostError extends DrainkitError {
  constructor(detail: string) {
    super("history-lost", `The control plane no longer has the changes after the last revision seen: ${detail}`, { retryable: true, details: { reset: detail } });
  }
}
