// @ts-nocheck
import type { RegistryContext } from "../verbs/RegistryContext.ts";

/** Limits of auditing unauthenticated refusals one by one. */
export interface RefusalLimit {
  /** Unauthenticated refusals audited one by one per window, across all sources. Default 60. */
  readonly unauthenticatedPerWindow?: number;
  /** Length of the window in ms. Default 60 s. */
  readonly windowMs?: number;
}

/**
 * Keeps unauthenticated callers from flooding the chain: their refusals are
 * audited one by one up to a limit per window (across all sources, so many
 * addresses do not multiply it); the rest are counted
 * (`audit_unwritten_total{cause="suppressed"}`), and the next one after the
 * window first brings a summary with their number. Refusals of an
 * authenticated principal are never limited.
 */
export function refusalLimiter(ctx: Pick<RegistryContext, "clock" | "unwritten">, limit: RefusalLimit = {}): { admit(): { readonly audit: boolean; readonly summary?: string } } {
  const perWindow = limit.unauthenticatedPerWindow ?? 60;
  const windowMs = limit.windowMs ?? 60_000;
  let windowStart = ctx.clock.monotonic();
  let admitted = 0;
  let suppressed = 0;
  return {
    admit() {
      let summary: string | undefined;
      if (ctx.clock.monotonic() - windowStart >= windowMs) {
        if (suppressed > 0) {
          summary = `${suppressed} more unauthenticated requests were refused in the previous window but not audited one by one (limit ${perWindow} per ${Math.round(windowMs / 1000)} s)`;
        }
        windowStart = ctx.clock.monotonic();
        admitted = 0;
        suppressed = 0;
      }
      if (admitted >= perWindow) {
        suppressed++;
        ctx.unwritten?.inc({ cause: "suppressed" });
        return { audit: false, ...(summary === undefined ? {} : { summary }) };
      }
      admitted++;
      return { audit: true, ...(summary === undefined ? {} : { summary }) };
    },
  };
}
