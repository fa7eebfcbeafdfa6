export interface DrainkitErrorOptions {
  readonly retryable?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * Base of every typed error in drainkit. `code` is stable and becomes the
 * problem+json `type` (`https://drainkit.dev/problems/<code>`); the message says
 * what to do next; `retryable` tells a client whether trying again can help.
 *
 * @example
 * try { guard.admit(...) } catch (e) {
 *   if (isDrainkitError(e) && e.code === "pool-depletion") console.log(e.details);
 * }
 */
export class DrainkitError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: DrainkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** True for any drainkit typed error (also across package copies, by shape). */
export function isDrainkitError(e: unknown): e is DrainkitError {
  return (
    e instanceof DrainkitError ||
    (typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string" &&
      typeof (e as { retryable?: unknown }).retryable === "boolean" && e instanceof Error)
  );
}
