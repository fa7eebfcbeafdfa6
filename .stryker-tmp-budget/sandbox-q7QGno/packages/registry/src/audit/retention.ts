// @ts-nocheck
import { AuditChainBrokenError, ValidationError } from "../errors.ts";
import { AUDIT, AUDIT_CHECKPOINT, AUDIT_HEAD, auditKey, auditTargetKey } from "../keys.ts";
import { hasScope, requireScope } from "../rbac.ts";
import type { AuditPruner } from "../roles.ts";
import type { AuditCheckpoint, AuditEntry, AuditPrune, AuditRetention } from "../types/audit.ts";
import type { MutationOptions, MutationOutcome } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import type { RegistryContext } from "../verbs/RegistryContext.ts";
import { EMPTY_HEAD, hashEntry, type AuditHead } from "./chain.ts";
import { makeCheckpoint, type AuditSigner } from "./checkpoint.ts";

/** Entries one prune call removes: two deletes each (entry and target index) keep a call within etcd's 128 operations. */
const PRUNE_LIMIT = 50;
/** How far past a call's batch `remaining` counts. */
const REMAINING_CAP = 1_000;

function checkRetention(input: AuditRetention): void {
  const { before, keepEntries, minBatch } = (input ?? {}) as { before?: unknown; keepEntries?: unknown; minBatch?: unknown };
  if (minBatch !== undefined && (typeof minBatch !== "number" || !Number.isInteger(minBatch) || minBatch < 1)) throw new ValidationError("minBatch", "expected a whole number >= 1");
  if (before === undefined && keepEntries === undefined) throw new ValidationError("retention", "name `before` (epoch ms) and/or `keepEntries`");
  if (before !== undefined && (typeof before !== "number" || !Number.isFinite(before))) throw new ValidationError("before", "expected epoch milliseconds");
  if (keepEntries !== undefined && (typeof keepEntries !== "number" || !Number.isInteger(keepEntries) || keepEntries < 1)) {
    throw new ValidationError("keepEntries", "expected a whole number >= 1 (the newest entries always stay)");
  }
}

/**
 * Audit retention: removes the oldest entries (a prefix of the chain, never
 * the head), a batch per call, and in the same transaction stores the
 * checkpoint of what it removed (signed when the registry has a key), so the
 * rest of the chain still verifies from it. It refuses to prune a prefix
 * whose links are broken: that would erase the evidence.
 */
export function auditPruner(ctx: RegistryContext, signer: AuditSigner | undefined): AuditPruner {
  const { view, clock, mutate } = ctx;

  /** Oldest entries first, the ones `retention` lets go, up to `max`; only a contiguous prefix and never the head. */
  const due = async (retention: AuditRetention, max: number, forWrite: boolean): Promise<{ entries: { entry: AuditEntry; version: number }[]; head: AuditHead; headVersion: number }> => {
    const headRead = forWrite ? await view.getForWrite(AUDIT_HEAD) : await view.get(AUDIT_HEAD);
    const head = (headRead?.value as AuditHead | undefined) ?? EMPTY_HEAD;
    const { items } = await view.list(AUDIT, { limit: max });
    const entries: { entry: AuditEntry; version: number }[] = [];
    for (const item of items.slice(0, max)) {
      const entry = item.value as AuditEntry;
      if (typeof entry?.seq !== "number" || entry.seq >= head.seq) break;
      const old = retention.before !== undefined && entry.at < retention.before;
      const beyond = retention.keepEntries !== undefined && entry.seq <= head.seq - retention.keepEntries;
      if (!old && !beyond) break;
      entries.push({ entry, version: item.version });
    }
    return { entries, head, headVersion: headRead?.version ?? 0 };
  };

  return {
    async pruneAudit(principal: Principal, retention: AuditRetention, options: MutationOptions = {}): Promise<MutationOutcome<AuditPrune>> {
      let valid = true;
      try {
        checkRetention(retention);
      } catch {
        valid = false;
      }
      // Nothing due is housekeeping with nothing to record: no write, no audit entry.
      const minBatch = valid ? Math.min(retention.minBatch ?? 1, PRUNE_LIMIT) : 1;
      if (valid && hasScope(principal, "mesh.admin") && options.dryRun !== true && (await due(retention, minBatch, false)).entries.length < minBatch) {
        return { value: { pruned: 0, remaining: 0 }, etag: '"0"', changed: false, auditId: "" };
      }
      return mutate({ principal, action: "pruneAudit", target: "audit", options, request: retention }, async () => {
        requireScope(principal, "mesh.admin", "pruneAudit");
        checkRetention(retention);
        const cpRead = await view.getForWrite(AUDIT_CHECKPOINT);
        const previous = cpRead?.value as AuditCheckpoint | undefined;
        const { entries: found } = await due(retention, PRUNE_LIMIT + REMAINING_CAP, true);
        const batch = found.slice(0, PRUNE_LIMIT);
        const etag = `"${previous?.seq ?? 0}"`;
        if (batch.length < Math.min(retention.minBatch ?? 1, PRUNE_LIMIT)) return { write: false, etag, result: { pruned: 0, remaining: 0, ...(previous === undefined ? {} : { checkpoint: previous }) } };
        // The prefix must still chain from the last checkpoint: pruning a broken link would hide it.
        let link: AuditHead = previous === undefined ? EMPTY_HEAD : { seq: previous.seq, hash: previous.hash };
        for (const { entry } of batch) {
          if (entry.seq !== link.seq + 1) throw new AuditChainBrokenError(link.seq + 1, `expected seq ${link.seq + 1}, found ${entry.seq}`);
          if (entry.prevHash !== link.hash) throw new AuditChainBrokenError(entry.seq, "prevHash does not match the previous entry's hash");
          if (entry.hash !== hashEntry(entry)) throw new AuditChainBrokenError(entry.seq, "hash does not match the entry's content");
          link = { seq: entry.seq, hash: entry.hash };
        }
        const last = batch[batch.length - 1]!.entry;
        const checkpoint = makeCheckpoint({ seq: last.seq, hash: last.hash, at: last.at }, clock.now(), signer);
        const deletes = batch.flatMap(({ entry, version }) => [
          { key: auditKey(entry.seq), readVersion: version },
          { key: auditTargetKey(entry.target, entry.seq), readVersion: -1 },
        ]);
        return {
          write: true,
          key: AUDIT_CHECKPOINT,
          readVersion: cpRead?.version ?? 0,
          record: checkpoint,
          deletes,
          etagBefore: etag,
          etagAfter: `"${checkpoint.seq}"`,
          result: { pruned: batch.length, remaining: Math.min(found.length - batch.length, REMAINING_CAP), checkpoint },
        };
      });
    },
  };
}
