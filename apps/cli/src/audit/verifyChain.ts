import { createHash } from "node:crypto";

/** prevHash of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** JSON with keys sorted at every depth: the form the server hashes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}

export type ChainVerdict =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly firstBad: { readonly seq: number; readonly id: string; readonly reason: string } };

/**
 * Walks the audit chain on the client, with code independent of the server's,
 * so a tampered store cannot also vouch for itself: every seq follows the last,
 * every prevHash is the previous hash, every hash is sha256 of the entry's content.
 * `start` is where the chain begins: genesis, or the checkpoint of a pruned prefix.
 */
export function verifyChain(entries: Iterable<Readonly<Record<string, unknown>>>, start: { readonly seq: number; readonly hash: string } = { seq: 0, hash: GENESIS_HASH }): ChainVerdict {
  let prevSeq = start.seq;
  let prevHash = start.hash;
  let count = 0;
  for (const entry of entries) {
    const seq = typeof entry["seq"] === "number" ? entry["seq"] : prevSeq + 1;
    const bad = (reason: string): ChainVerdict => ({ ok: false, entries: count, firstBad: { seq, id: typeof entry["id"] === "string" ? entry["id"] : "", reason } });
    if (entry["seq"] !== prevSeq + 1) return bad(`expected seq ${prevSeq + 1}, found ${String(entry["seq"])} (an entry was removed or inserted)`);
    if (entry["prevHash"] !== prevHash) return bad("prevHash does not match the previous entry's hash (an entry before it was changed or removed)");
    const { hash, ...content } = entry;
    if (hash !== createHash("sha256").update(canonicalJson(content)).digest("hex")) return bad("hash does not match the entry's content (the entry was changed)");
    prevSeq = seq;
    prevHash = hash;
    count++;
  }
  return { ok: true, entries: count };
}
