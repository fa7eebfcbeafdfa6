// @ts-nocheck
import { ValidationError } from "./errors.ts";

const DEFAULT_PAGE = 100;
/** Most items one page (and one store read of a paged walk) carries. */
export const MAX_PAGE = 1_000;

/** Opaque to callers: they pass back the `nextCursor` they were given. */
export function encodeCursor(s: string): string {
  return Buffer.from(s, "utf8").toString("base64url");
}

export function decodeCursor(s: string | undefined): string | undefined {
  if (s === undefined || s === "") return undefined;
  return Buffer.from(s, "base64url").toString("utf8");
}

/** The page size asked for, checked, capped at {@link MAX_PAGE}. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError("limit", "expected a whole number >= 1");
  return Math.min(limit, MAX_PAGE);
}
