import { checkSignature, type Checkpoint, type SignatureCheck } from "./checkpoint.ts";
import { GENESIS_HASH, verifyChain } from "./verifyChain.ts";

/** The server's head, with the checkpoint of the prefix retention pruned (if any). */
export interface HeadView {
  readonly seq: number;
  readonly hash: string;
  readonly at: number;
  readonly checkpoint?: Checkpoint;
}

/** What `drainctl audit verify` found. */
export type Evidence =
  | {
      readonly ok: true;
      readonly entries: number;
      /** The chain was verified from this seq (retention pruned what came before). */
      readonly from?: number;
      readonly head: { readonly seq: number; readonly hash: string };
      readonly checkpoint?: { readonly seq: number; readonly signature: SignatureCheck["status"] };
      /** What the verification could not vouch for. */
      readonly notes: readonly string[];
    }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly firstBad: { readonly seq: number; readonly id: string; readonly reason: string };
      readonly notes: readonly string[];
    };

/**
 * Checks the downloaded chain against the server's head and, when given, a
 * checkpoint kept from earlier:
 * - every link from genesis (or the pruned prefix's checkpoint) holds;
 * - the chain ends exactly at the head (an entry deleted from the end while
 *   the head still names it is caught here);
 * - the checkpoint's signature verifies with `key`, its seq is not past the
 *   chain's end (a truncation, even with the head rewritten to match), and
 *   the entry at its seq has its hash (a rewrite with recomputed hashes).
 */
export function verifyEvidence(entries: readonly Readonly<Record<string, unknown>>[], head: HeadView, options: { readonly checkpoint?: Checkpoint; readonly key?: string } = {}): Evidence {
  const notes: string[] = [];
  const bad = (count: number, seq: number, id: string, reason: string): Evidence => ({ ok: false, entries: count, firstBad: { seq, id, reason }, notes });
  const pruned = head.checkpoint;
  let prunedTrusted = false;
  if (pruned !== undefined) {
    const sig = checkSignature(pruned, options.key);
    if (sig.status === "invalid") return bad(0, pruned.seq, "", `the stored checkpoint of the pruned prefix (seq ${pruned.seq}) is not signed by this key: ${sig.reason}`);
    if (sig.status === "valid") prunedTrusted = true;
    else notes.push(`entries up to seq ${pruned.seq} were pruned by retention; the stored checkpoint of them is ${sig.status === "unsigned" ? "unsigned" : "signed, but no --key was given to check it"}`);
  }
  const start = pruned === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: pruned.seq, hash: pruned.hash };
  const chain = verifyChain(entries, start);
  if (!chain.ok) return { ...chain, notes };
  const last = entries.at(-1);
  const end = last === undefined ? start : { seq: last["seq"] as number, hash: last["hash"] as string };
  if (end.seq !== head.seq || end.hash !== head.hash) {
    const reason =
      end.seq < head.seq
        ? `the head names seq ${head.seq} but the chain ends at seq ${end.seq} (entries were removed from the end)`
        : end.seq > head.seq
          ? `the chain runs to seq ${end.seq}, past the head at seq ${head.seq}`
          : `the head's hash is not the hash of entry ${head.seq}`;
    return bad(chain.entries, Math.min(end.seq, head.seq) + (end.seq < head.seq ? 1 : 0), typeof last?.["id"] === "string" ? last["id"] : "", reason);
  }
  let checkpoint: { seq: number; signature: SignatureCheck["status"] } | undefined;
  const cp = options.checkpoint;
  if (cp !== undefined) {
    const sig = checkSignature(cp, options.key);
    if (sig.status === "invalid") return bad(chain.entries, cp.seq, "", `the checkpoint's signature is not valid: ${sig.reason}`);
    if (sig.status === "no-key") return bad(chain.entries, cp.seq, "", `the checkpoint is signed (${sig.alg}); pass --key <file> to check the signature`);
    if (sig.status === "unsigned") notes.push("the checkpoint is unsigned: it proves only as much as the file it came from can be trusted");
    checkpoint = { seq: cp.seq, signature: sig.status };
    if (cp.seq > end.seq) {
      return bad(chain.entries, end.seq + 1, "", `the checkpoint proves seq ${cp.seq} existed (signed ${new Date(cp.signedAt).toISOString()}) but the chain now ends at seq ${end.seq}: entries were cut from the end`);
    }
    if (cp.seq === start.seq) {
      if (cp.hash !== start.hash) return bad(0, cp.seq, "", `the checkpoint's hash for seq ${cp.seq} is not the chain's: the chain was rewritten since the checkpoint`);
    } else if (cp.seq > start.seq) {
      const at = entries.find((e) => e["seq"] === cp.seq);
      if (at === undefined || at["hash"] !== cp.hash) {
        return bad(cp.seq - start.seq - 1, cp.seq, typeof at?.["id"] === "string" ? at["id"] : "", `entry ${cp.seq}'s hash is not the one the checkpoint signed: the chain was rewritten since the checkpoint`);
      }
    } else if (!prunedTrusted) {
      return bad(0, cp.seq, "", `retention pruned past the checkpoint (the chain starts after seq ${start.seq}); the link can be proved only with the stored checkpoint's signature: pass --key <file>`);
    } else {
      notes.push(`retention pruned past the checkpoint; the chain is linked to it through the stored checkpoint at seq ${start.seq}, whose signature verified`);
    }
  }
  return {
    ok: true,
    entries: chain.entries,
    ...(start.seq > 0 ? { from: start.seq } : {}),
    head: { seq: head.seq, hash: head.hash },
    ...(checkpoint === undefined ? {} : { checkpoint }),
    notes,
  };
}
