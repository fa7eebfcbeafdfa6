// @ts-nocheck
import { DrainkitError } from "@drainkit/core";
import { EMPTY_HEAD, matchesQuery, verifyChain, type AuditHead } from "../audit/chain.ts";
import { makeCheckpoint, type AuditSigner } from "../audit/checkpoint.ts";
import { refusalLimiter, type RefusalLimit } from "../audit/refusalLimiter.ts";
import { auditPruner } from "../audit/retention.ts";
import { StoreUnavailableError, ValidationError } from "../errors.ts";
import { AUDIT, AUDIT_CHECKPOINT, AUDIT_HEAD, AUDIT_INDEX, auditKey, auditTargetPrefix } from "../keys.ts";
import { MAX_PAGE, pageLimit } from "../paging.ts";
import type { Attempt } from "../plan.ts";
import { requireScope } from "../rbac.ts";
import type { AuditLog, AuditPruner } from "../roles.ts";
import type { Versioned } from "../store.ts";
import type { AuditAction, AuditCheckpoint, AuditEntry, AuditHeadView, AuditQuery, AuditVerification } from "../types/audit.ts";
import type { MutationOptions, Page } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** Checks the time range of an audit query: epoch ms, `from` before `to`. */
function checkRange(query: AuditQuery): void {
  for (const field of ["from", "to"] as const) {
    const v = query[field];
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 0)) throw new ValidationError(field, "expected epoch milliseconds (an integer >= 0)");
  }
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new ValidationError("to", `must be after from (from=${new Date(query.from).toISOString()}, to=${new Date(query.to).toISOString()})`);
  }
}

/**
 * The audit log: paged queries (by target through its index), the head and
 * signed checkpoints of it, chain verification (from the checkpoint of the
 * pruned prefix, when retention removed one), retention, and refusals made
 * before a mutation.
 */
export function auditVerbs(ctx: RegistryContext, signer?: AuditSigner, refusalLimit?: RefusalLimit): AuditLog & AuditPruner {
  const { view } = ctx;
  /** The stored checkpoint of the pruned prefix, if retention ever pruned. */
  const prunedCheckpoint = async (): Promise<AuditCheckpoint | undefined> => (await view.get(AUDIT_CHECKPOINT))?.value as AuditCheckpoint | undefined;
  const headView = async (): Promise<AuditHeadView> => {
    const head = ((await view.get(AUDIT_HEAD))?.value as AuditHead | undefined) ?? EMPTY_HEAD;
    // Heads written before they carried `at` take it from their entry.
    const at = head.at ?? (head.seq === 0 ? 0 : (((await view.get(auditKey(head.seq)))?.value as AuditEntry | undefined)?.at ?? 0));
    const checkpoint = await prunedCheckpoint();
    return { seq: head.seq, hash: head.hash, at, ...(checkpoint === undefined ? {} : { checkpoint }) };
  };
  const limiter = refusalLimiter(ctx, refusalLimit);
  /** One refused entry for an attempt refused before it reached a mutation. */
  const write = async (principal: Principal | undefined, action: AuditAction, target: string, error: { readonly code: string }, options: MutationOptions): Promise<AuditEntry> => {
    const refusal = new DrainkitError<string>(error.code, "Refused before it reached the registry.");
    let entry: AuditEntry | undefined;
    const attempt: Attempt = { principal, action, target, options: { ...options, dryRun: false }, request: null, remember: false, onCommitted: (e) => (entry = e) };
    try {
      await ctx.mutate(attempt, async () => {
        throw refusal;
      });
    } catch (e) {
      if (e !== refusal) throw e;
    }
    if (entry === undefined) throw new StoreUnavailableError();
    return entry;
  };
  return {
    ...auditPruner(ctx, signer),

    async auditHead(principal: Principal): Promise<AuditHeadView> {
      requireScope(principal, "mesh.read", "auditHead");
      return headView();
    },

    async auditCheckpoint(principal: Principal): Promise<AuditCheckpoint> {
      requireScope(principal, "mesh.read", "auditCheckpoint");
      const { checkpoint: _pruned, ...head } = await headView();
      return makeCheckpoint(head, ctx.clock.now(), signer);
    },

    async queryAudit(principal: Principal, query: AuditQuery = {}): Promise<Page<AuditEntry>> {
      requireScope(principal, "mesh.read", "queryAudit");
      checkRange(query);
      const limit = pageLimit(query.limit);
      const after = query.cursor === undefined || query.cursor === "" ? 0 : Number(query.cursor);
      if (!Number.isInteger(after) || after < 0) throw new ValidationError("cursor", "pass back the nextCursor of the previous page");
      const out: AuditEntry[] = [];
      let nextCursor: string | undefined;
      let revision: number | undefined;
      let full = false;
      // Reads go page by page and stop once the page is full plus one match (to know a next page exists).
      const chunk = Math.min(MAX_PAGE, limit + 1);
      /** Takes a candidate in seq order; true once the page is complete. */
      const take = (entry: AuditEntry): boolean => {
        if (!matchesQuery(entry, query)) return false;
        if (out.length === limit) {
          nextCursor = String(out[out.length - 1]!.seq);
          full = true;
          return true;
        }
        out.push(entry);
        return false;
      };
      /** Walks `prefix` after `startAfter` in pages of `chunk` keys; true once `visit` says the page is complete. */
      const walk = async (prefix: string, startAfter: string, visit: (items: readonly Versioned[]) => Promise<boolean>): Promise<boolean> => {
        for (let from = startAfter; ; ) {
          const listed = await view.list(prefix, { startAfter: from, limit: chunk });
          revision ??= listed.revision;
          // A store that ignores ListOptions hands back everything: keep what follows `from`, and stop after it.
          const items = listed.items.filter((i) => i.key > from);
          if (await visit(items)) return true;
          if (items.length === 0 || listed.items.length !== chunk) return false;
          from = items[items.length - 1]!.key;
        }
      };
      /** Entries after seq `from` and before seq `until`, straight from the log. */
      const scan = (from: number, until: number): Promise<boolean> => {
        const end = auditKey(until);
        return walk(AUDIT, auditKey(from), async (items) => {
          for (const item of items) if (item.key >= end || take(item.value as AuditEntry)) return true;
          return false;
        });
      };
      const since = query.target === undefined ? undefined : ((await view.get(AUDIT_INDEX))?.value as { since?: unknown } | undefined)?.since;
      if (typeof since !== "number") {
        await scan(after, Number.MAX_SAFE_INTEGER);
      } else {
        // Entries older than the target index are scanned (a bounded, shrinking share); the rest come from the index.
        if (after + 1 < since) await scan(after, since);
        const prefix = auditTargetPrefix(query.target!);
        if (!full) {
          await walk(prefix, `${prefix}${String(Math.max(after, since - 1)).padStart(12, "0")}`, async (items) => {
            const got = await Promise.all(items.map((i) => view.get(auditKey((i.value as { seq: number }).seq))));
            for (const g of got) if (g !== undefined && take(g.value as AuditEntry)) return true;
            return false;
          });
        }
      }
      revision ??= await view.revision();
      return { items: out, revision, ...(nextCursor === undefined ? {} : { nextCursor }) };
    },

    async verifyAudit(): Promise<AuditVerification> {
      // Head first: entries appended after it are not yet covered by it and are left for the next walk.
      const headRead = await view.get(AUDIT_HEAD);
      const head = (headRead?.value as AuditHead | undefined) ?? EMPTY_HEAD;
      const checkpoint = await prunedCheckpoint();
      const start: AuditHead = checkpoint === undefined ? EMPTY_HEAD : { seq: checkpoint.seq, hash: checkpoint.hash };
      const { items } = await view.list(AUDIT);
      const inRange = items.filter((i) => {
        const seq = (i.value as { seq?: unknown } | null)?.seq;
        return typeof seq !== "number" || (seq > start.seq && seq <= head.seq);
      });
      return verifyChain(inRange.map((i) => i.value), head, start);
    },

    async recordRefusal(principal: Principal | undefined, action: AuditAction, target: string, error: { readonly code: string }, options: MutationOptions = {}): Promise<AuditEntry | undefined> {
      if (principal === undefined) {
        const gate = limiter.admit();
        if (gate.summary !== undefined) await write(undefined, "suppressedRefusals", "door", { code: "unauthenticated" }, { reason: gate.summary });
        if (!gate.audit) return undefined;
      }
      return write(principal, action, target, error, options);
    },
  };
}