// @ts-nocheck
import { createHash } from "node:crypto";
import type { AuditEntry, AuditQuery, AuditVerification } from "../types/audit.ts";
import { canonicalJson } from "./canonicalJson.ts";

/** prevHash of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** The `audit-head` record: the last entry's seq and hash, compared in every mutation. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
  /** Time of the head entry; absent in heads written before it was recorded. */
  readonly at?: number;
}

export const EMPTY_HEAD: AuditHead = { seq: 0, hash: GENESIS_HASH };

/** sha256 over the entry's content (everything but `hash`), which includes `prevHash`. */
export function hashEntry(entry: Omit<AuditEntry, "hash"> & { readonly hash?: string }): string {
  const { hash: _hash, ...content } = entry;
  return createHash("sha256").update(canonicalJson(content)).digest("hex");
}

/** Seals an entry onto the chain after `head`. */
export function sealEntry(head: AuditHead, content: Omit<AuditEntry, "seq" | "prevHash" | "hash">): AuditEntry {
  const unsealed = { ...content, seq: head.seq + 1, prevHash: head.hash };
  return { ...unsealed, hash: hashEntry(unsealed) };
}

/**
 * Walks entries in seq order and names the first that does not match: a gap
 * in seq, a prevHash that is not the previous entry's hash, or a hash that is
 * not the hash of its content. `head`, when given, must name the last entry.
 * `start` is where the chain begins: genesis, or the checkpoint of a pruned prefix.
 */
export function verifyChain(entries: Iterable<unknown>, head?: AuditHead, start: AuditHead = EMPTY_HEAD): AuditVerification {
  let prev: AuditHead = start;
  let count = 0;
  let last: { seq: number; id: string } | undefined;
  for (const raw of entries) {
    const entry = raw as AuditEntry;
    count++;
    const bad = (reason: string): AuditVerification => ({
      ok: false,
      entries: count - 1,
      firstBad: { seq: typeof entry?.seq === "number" ? entry.seq : prev.seq + 1, id: typeof entry?.id === "string" ? entry.id : "", reason },
    });
    if (typeof entry !== "object" || entry === null) return bad("entry is not an object");
    if (entry.seq !== prev.seq + 1) return bad(`expected seq ${prev.seq + 1}, found ${String(entry.seq)} (an entry was removed or inserted)`);
    if (entry.prevHash !== prev.hash) return bad("prevHash does not match the previous entry's hash (an entry before it was changed or removed)");
    if (entry.hash !== hashEntry(entry)) return bad("hash does not match the entry's content (the entry was changed)");
    prev = { seq: entry.seq, hash: entry.hash };
    last = { seq: entry.seq, id: entry.id };
  }
  if (head !== undefined && (head.seq !== prev.seq || head.hash !== prev.hash)) {
    return {
      ok: false,
      entries: count,
      firstBad: { seq: prev.seq + 1, id: last === undefined ? "" : last.id, reason: `the audit head names seq ${head.seq} but the chain ends at seq ${prev.seq} (entries were removed from the end)` },
    };
  }
  return { ok: true, entries: count, ...(start.seq > 0 ? { from: start.seq } : {}) };
}

/** True when `entry` passes every filter of `query`. */
export function matchesQuery(entry: AuditEntry, query: AuditQuery): boolean {
  return (
    (query.target === undefined || entry.target === query.target) &&
    (query.actor === undefined || entry.actor === query.actor) &&
    (query.action === undefined || entry.action === query.action) &&
    (query.outcome === undefined || entry.outcome === query.outcome) &&
    (query.from === undefined || entry.at >= query.from) &&
    (query.to === undefined || entry.at < query.to)
  );
}
