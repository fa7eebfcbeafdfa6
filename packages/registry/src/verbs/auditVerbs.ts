import { DrainkitError } from "@drainkit/core";
import { EMPTY_HEAD, matchesQuery, verifyChain, type AuditHead } from "../audit/chain.ts";
import { StoreUnavailableError, ValidationError } from "../errors.ts";
import { AUDIT, AUDIT_HEAD, AUDIT_INDEX, auditKey, auditTargetPrefix } from "../keys.ts";
import { MAX_PAGE, pageLimit } from "../paging.ts";
import type { Attempt } from "../plan.ts";
import { requireScope } from "../rbac.ts";
import type { AuditLog } from "../roles.ts";
import type { Versioned } from "../store.ts";
import type { AuditAction, AuditEntry, AuditQuery, AuditVerification } from "../types/audit.ts";
import type { MutationOptions, Page } from "../types/mutation.ts";
import type { Principal } from "../types/principal.ts";
import type { RegistryContext } from "./RegistryContext.ts";

/** The audit log: paged queries (by target through its index), chain verification, and refusals made before a mutation. */
export function auditVerbs(ctx: RegistryContext): AuditLog {
  const { view } = ctx;
  return {
    async queryAudit(principal: Principal, query: AuditQuery = {}): Promise<Page<AuditEntry>> {
      requireScope(principal, "mesh.read", "queryAudit");
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
      const { items } = await view.list(AUDIT);
      const upToHead = items.filter((i) => {
        const seq = (i.value as { seq?: unknown } | null)?.seq;
        return typeof seq !== "number" || seq <= head.seq;
      });
      return verifyChain(upToHead.map((i) => i.value), head);
    },

    async recordRefusal(principal: Principal | undefined, action: AuditAction, target: string, error: { readonly code: string }, options: MutationOptions = {}): Promise<AuditEntry> {
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
    },
  };
}
