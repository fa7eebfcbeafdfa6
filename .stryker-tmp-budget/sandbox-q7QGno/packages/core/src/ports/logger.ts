/**
 * Structured logger port; pino's `logger.info(obj, msg)` signature, so a pino
 * instance can be passed as is.
 */
// @ts-nocheck

export interface Logger {
  debug(fields: Record<string, unknown>, msg?: string): void;
  info(fields: Record<string, unknown>, msg?: string): void;
  warn(fields: Record<string, unknown>, msg?: string): void;
  error(fields: Record<string, unknown>, msg?: string): void;
}

/** A logger that drops everything (the default when none is given). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
