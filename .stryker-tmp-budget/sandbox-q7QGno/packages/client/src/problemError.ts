// @ts-nocheck
import { ControlPlaneError } from "./errors.ts";

/**
 * The {@link ControlPlaneError} for an error answer: the problem document's
 * `code`, `retryable` and `detail` when the body is one, else what the
 * status says (5xx and 429 are worth retrying).
 */
export function problemError(status: number, text: string, what: string): ControlPlaneError {
  let parsed: Record<string, unknown>;
  try {
    const value: unknown = text === "" ? {} : JSON.parse(text);
    parsed = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { detail: text };
  } catch {
    parsed = { detail: text };
  }
  const code = typeof parsed["code"] === "string" ? parsed["code"] : `http-${status}`;
  const retryable = typeof parsed["retryable"] === "boolean" ? parsed["retryable"] : status >= 500 || status === 429;
  const detail = typeof parsed["detail"] === "string" ? parsed["detail"] : text;
  return new ControlPlaneError(status, code, `${what}: ${status} ${code}${detail === "" ? "" : `: ${detail}`}`, { retryable, details: parsed });
}

/** The {@link ControlPlaneError} for a request that got no answer at all. */
export function unreachableError(base: string, what: string, cause: unknown): ControlPlaneError {
  const reason = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const why = reason?.code ?? reason?.message ?? (cause instanceof Error ? cause.message : String(cause));
  return new ControlPlaneError(0, "unreachable", `${what} failed: ${why}. Check that the control plane runs at ${base}.`, { retryable: true, cause });
}
