// @ts-nocheck
import { DrainkitError, isDrainkitError, type Clock } from "@drainkit/core";
import { canonicalJson } from "./audit/canonicalJson.ts";
import { ValidationError } from "./errors.ts";
import { IDEM_BY_TIME, IDEMPOTENCY, idempotencyKey, idemTimeBound, idemTimeKey } from "./keys.ts";
import type { Attempt, Mutate } from "./plan.ts";
import { hasScope, requireScope } from "./rbac.ts";
import type { IdempotencySweep, IdempotencySweeper } from "./roles.ts";
import { sha256 } from "./sha256.ts";
import type { StoreView } from "./StoreView.ts";
import type { MutationOptions, MutationOutcome } from "./types/mutation.ts";
import type { Principal } from "./types/principal.ts";

/**
 * Idempotency records: what an attempt under an Idempotency-Key decided,
 * kept for the registry's TTL so a retry replays it instead of acting twice,
 * and the sweep that deletes them once they no longer count.
 */

/** How long a record counts unless the registry is told otherwise: 24 h. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Records per sweep: two deletes each (record and time index) keeps a sweep well within etcd's 128 operations per transaction. */
const SWEEP_LIMIT = 30;
/** How far past its batch a sweep counts what is still due. */
const SWEEP_COUNT_CAP = 1_000;
/** Most legacy records a sweep's one-off scan queues at a time. */
const LEGACY_QUEUE = 5_000;

export interface IdempotencyRecord {
  readonly fingerprint: string;
  /** Wall time it was written; records without one (older releases) never replay. */
  readonly at?: number;
  readonly outcome?: { readonly value: unknown; readonly etag: string; readonly changed: boolean; readonly auditId: string };
  readonly error?: { readonly code: string; readonly message: string; readonly retryable: boolean; readonly details: Readonly<Record<string, unknown>> };
}

/** Refusals about who asked or how, not what: a retry with better credentials must not replay them. */
const UNPINNED_CODES: ReadonlySet<string> = new Set(["unauthenticated", "forbidden", "confirmation-required", "precondition-required"]);

/** The record an attempt reads and writes; none for a dry run or a transport refusal (looking it up could turn their refusal into a replay or a conflict). */
export function recordKeyOf(attempt: Attempt): string | undefined {
  const { options } = attempt;
  if (options.idempotencyKey === undefined || options.dryRun === true || attempt.remember === false) return undefined;
  return idempotencyKey(attempt.principal?.id ?? "anonymous", options.idempotencyKey);
}

/** What makes two attempts under one key the same request. */
export function fingerprintOf(attempt: Attempt): string {
  const { options } = attempt;
  return sha256(canonicalJson({ action: attempt.action, target: attempt.target, request: attempt.request, reason: options.reason, ticket: options.ticket, confirm: options.confirm, ifMatch: options.ifMatch }));
}

/** Whether a stored record still counts at `now`: written less than the TTL ago. */
export function isLive(record: IdempotencyRecord, now: number, ttlMs: number): boolean {
  return typeof record.at === "number" && now - record.at < ttlMs;
}

/** Whether a failure is pinned to the key: a refusal that may pass later (pool-depletion) is not. */
export function pinsFailure(failure: unknown): boolean {
  return isDrainkitError(failure) && !failure.retryable && !UNPINNED_CODES.has(failure.code);
}

/** The stored outcome again, or the stored refusal thrown again, marked `replayed`. */
export function replay<T>(stored: IdempotencyRecord): MutationOutcome<T> {
  if (stored.error !== undefined) {
    // A stored record may come from another version: its code is not checked against this catalogue.
    throw new DrainkitError<string>(stored.error.code, stored.error.message, { retryable: stored.error.retryable, details: { ...stored.error.details, replayed: true } });
  }
  const o = stored.outcome!;
  return { value: o.value as T, etag: o.etag, changed: o.changed, auditId: o.auditId, replayed: true };
}

export function errorRecord(error: unknown): NonNullable<IdempotencyRecord["error"]> {
  if (isDrainkitError(error)) return { code: error.code, message: error.message, retryable: error.retryable, details: error.details };
  return { code: "internal", message: error instanceof Error ? error.message : String(error), retryable: false, details: {} };
}

/** What the sweep needs: reads, the writer, the clock and the TTL. */
export interface SweepOptions {
  readonly view: StoreView;
  readonly mutate: Mutate;
  readonly clock: Clock;
  readonly ttlMs: number;
}

/** `sweepIdempotency`: deletes records past their TTL (and records of older releases, which never replay), a batch per call. */
export function idempotencySweeper({ view, mutate, clock, ttlMs }: SweepOptions): IdempotencySweeper {
  /**
   * Idempotency records without `at` (written before records expired), found
   * by a one-off scan of `idem/` from the sweep, waiting to be deleted.
   */
  const legacy = new Set<string>();
  /** Where that scan goes on; undefined once it reached the end. */
  let legacyScanFrom: string | undefined = IDEMPOTENCY;

  /** Records written before this may go: never one still inside its TTL (one written `ttl` ago or earlier no longer counts). */
  const sweepCutoff = (before: number): number => Math.min(before, clock.now() - ttlMs + 1);

  /** Time-index entries of records written before `cutoff`, oldest first, at most `max`: reads no further than that. */
  const dueRecords = async (cutoff: number, max: number) => {
    const end = idemTimeBound(cutoff);
    const { items } = await view.list(IDEM_BY_TIME, { limit: max });
    const due = [];
    for (const item of items) {
      if (item.key >= end || due.length === max) break;
      due.push(item);
    }
    return due;
  };

  /**
   * Queues records written before they carried `at` (they never replay and
   * have no time index entry): pages through `idem/` once per registry, up
   * to {@link LEGACY_QUEUE} at a time.
   */
  const findLegacy = async (): Promise<void> => {
    while (legacy.size < LEGACY_QUEUE && legacyScanFrom !== undefined) {
      const from = legacyScanFrom;
      const { items } = await view.list(IDEMPOTENCY, { startAfter: from, limit: 1_000 });
      const page = items.filter((i) => i.key > from);
      for (const item of page) if (typeof (item.value as IdempotencyRecord | null)?.at !== "number") legacy.add(item.key);
      legacyScanFrom = page.length === 0 || items.length !== 1_000 ? undefined : page[page.length - 1]!.key;
    }
  };

  const sweepIdempotency = async (principal: Principal, input: { readonly before: number }, options: MutationOptions = {}): Promise<MutationOutcome<IdempotencySweep>> => {
    const before = (input as { before?: unknown } | undefined)?.before;
    const valid = typeof before === "number" && Number.isFinite(before);
    if (valid && hasScope(principal, "mesh.admin") && options.dryRun !== true) {
      await findLegacy();
      // Finding nothing due is housekeeping with nothing to record: no write, no audit entry.
      if (legacy.size === 0 && (await dueRecords(sweepCutoff(before), 1)).length === 0) {
        return { value: { deleted: 0, remaining: 0 }, etag: '"0"', changed: false, auditId: "" };
      }
    }
    /** Legacy records this sweep deletes: out of the queue once committed. */
    let taken: string[] = [];
    const onCommitted = (): void => {
      for (const key of taken) legacy.delete(key);
    };
    return mutate({ principal, action: "sweepIdempotency", target: "idempotency", options, request: input, onCommitted }, async () => {
      requireScope(principal, "mesh.admin", "sweepIdempotency");
      if (!valid) throw new ValidationError("before", "expected epoch milliseconds");
      const now = clock.now();
      const due = await dueRecords(sweepCutoff(before), SWEEP_LIMIT + SWEEP_COUNT_CAP);
      const batch = due.slice(0, SWEEP_LIMIT);
      const deletes: { key: string; readVersion: number }[] = [];
      let deleted = 0;
      for (const entry of batch) {
        deletes.push({ key: entry.key, readVersion: entry.version });
        const key = (entry.value as { key?: unknown } | null)?.key;
        if (typeof key !== "string" || !key.startsWith(IDEMPOTENCY)) continue;
        const got = await view.getForWrite(key);
        const record = got?.value as IdempotencyRecord | undefined;
        // Only the record this entry indexes, once it no longer counts: a key reused since carries a newer `at`.
        if (got === undefined || typeof record?.at !== "number" || idemTimeKey(record.at, key) !== entry.key || isLive(record, now, ttlMs)) continue;
        deletes.push({ key, readVersion: got.version });
        deleted++;
      }
      await findLegacy();
      taken = [...legacy].slice(0, SWEEP_LIMIT - batch.length);
      for (const key of taken) {
        const got = await view.getForWrite(key);
        if (got === undefined || typeof (got.value as IdempotencyRecord).at === "number") continue;
        deletes.push({ key, readVersion: got.version });
        deleted++;
      }
      // A scan still under way may queue more: at least one more call is due then.
      const legacyLeft = legacy.size - taken.length + (legacyScanFrom === undefined ? 0 : 1);
      const result: IdempotencySweep = { deleted, remaining: Math.min(SWEEP_COUNT_CAP, due.length - batch.length + legacyLeft) };
      if (deletes.length === 0) {
        // Only stale queue entries (reused or deleted since the scan): drop them.
        if (options.dryRun !== true) onCommitted();
        return { write: false, etag: '"0"', result };
      }
      return { write: true, deletes, etagAfter: '"0"', result };
    });
  };
  return { sweepIdempotency };
}
