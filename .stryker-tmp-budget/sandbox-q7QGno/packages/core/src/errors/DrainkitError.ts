// @ts-nocheck
import { catalogue, type ErrorCode } from "./catalogue.ts";

export interface DrainkitErrorOptions {
  /** Overrides the catalogue's `retryable` for this one error (rarely right; prefer a separate code). */
  readonly retryable?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * Base of every typed error in drainkit. `code` is stable, has a row in the
 * {@link catalogue} and becomes the problem+json `type`
 * (`https://drainkit.dev/problems/<code>`); the message says what to do next;
 * `retryable` (the catalogue's, unless overridden) tells a client whether
 * trying again can help.
 *
 * `C` is wider than {@link ErrorCode} only for errors that carry a code read
 * off the wire, which may come from a newer server.
 *
 * @example
 * try { guard.admit(...) } catch (e) {
 *   if (isDrainkitError(e) && e.code === "pool-depletion") console.log(e.details);
 * }
 */
export class DrainkitError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  // NoInfer: a literal that is not an ErrorCode must fail to compile, not widen C.
  constructor(code: NoInfer<C>, message: string, options: DrainkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? (Object.hasOwn(catalogue, code) ? catalogue[code as ErrorCode].retryable : false);
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** True for any drainkit typed error (also across package copies, by shape). */
export function isDrainkitError(e: unknown): e is DrainkitError<string> {
  return (
    e instanceof DrainkitError ||
    (typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" &&
      typeof (e as { retryable?: unknown }).retryable === "boolean" && e instanceof Error)
  );
}
