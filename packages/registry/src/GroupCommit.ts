import { httpStatusFor, isDrainkitError, backoff, type BackoffPolicy, type Clock, type Counter, type EventSink, type Histogram, type Logger, type Metrics, type Random } from "@drainkit/core";
import { EMPTY_HEAD, sealEntry, type AuditHead } from "./audit/chain.ts";
import { IdempotencyConflictError, WriteContentionError } from "./errors.ts";
import { errorRecord, fingerprintOf, isLive, pinsFailure, recordKeyOf, replay, type IdempotencyRecord } from "./idempotency.ts";
import { AUDIT_HEAD, AUDIT_INDEX, auditKey, auditTargetKey, idemTimeKey } from "./keys.ts";
import type { Attempt, Plan } from "./plan.ts";
import type { Compare, RegistryStore, TxnOp, TxnResult, Versioned } from "./store.ts";
import { TOMBSTONE, toStoreError, type StoreView } from "./StoreView.ts";
import type { AuditEntry, AuditOutcome } from "./types/audit.ts";
import type { MutationOutcome } from "./types/mutation.ts";

/**
 * Most operations in one transaction: a batch is cut before it would pass
 * this. The store's declared limit less room for what it adds itself (etcd's
 * store adds a commit marker; its default limit is 128, hence 120); a store
 * that declares none is taken to have etcd's.
 */
function txnOpLimit(store: Pick<RegistryStore, "maxTxnOps">): number {
  const declared = store.maxTxnOps ?? 128;
  return declared === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.max(16, Math.floor(declared) - 8);
}
/** Waits between lost write races: 4 ms doubling to 50 ms; a rival replica's commit takes milliseconds, not seconds. */
const CONTENTION_BACKOFF: BackoffPolicy = { initialMs: 4, maxMs: 50 };

/** What the registry emits after each audited attempt. */
export interface RegistryEvent {
  readonly type: "audit-appended";
  readonly entry: AuditEntry;
}

/** Options of {@link GroupCommit}: the store and its view, ports, settings. */
export interface GroupCommitOptions {
  readonly store: RegistryStore;
  readonly view: StoreView;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly events: EventSink<RegistryEvent>;
  readonly maxAttempts: number;
  readonly batchLimit: number;
  readonly idempotencyTtlMs: number;
}

/** One queued mutation. */
interface Job {
  readonly attempt: Attempt;
  readonly plan: () => Promise<Plan<unknown>>;
  readonly resolve: (outcome: MutationOutcome<unknown>) => void;
  readonly reject: (error: unknown) => void;
  /** Monotonic time it was queued: the audit's latency counts the wait. */
  readonly started: number;
}

type Stage = (key: string, value: unknown, readVersion: number) => void;

function outcomeOf(error: unknown): AuditOutcome {
  return isDrainkitError(error) && httpStatusFor(error.code) < 500 ? "refused" : "error";
}

/**
 * The registry's one writer. Every mutation appends to the one audit chain,
 * so they cannot run in parallel anyway: queued attempts are committed in
 * batches (group commit), one transaction for many of them, which costs the
 * store one round trip instead of many.
 */
export class GroupCommit {
  readonly #o: GroupCommitOptions;
  readonly #mutations: Counter;
  readonly #conflicts: Counter;
  readonly #latency: Histogram;
  readonly #queue: Job[] = [];
  #flushing = false;
  readonly #opLimit: number;
  /** True once `audit-index` is known to exist (every entry from then on is indexed by target). */
  #auditIndexed = false;

  constructor(options: GroupCommitOptions) {
    this.#o = options;
    this.#opLimit = txnOpLimit(options.store);
    this.#mutations = options.metrics.counter("registry_mutations_total", "Registry mutation attempts by action and outcome.");
    this.#conflicts = options.metrics.counter("registry_write_conflicts_total", "Registry writes retried after losing a compare-and-swap race.");
    this.#latency = options.metrics.histogram("registry_mutation_latency_ms", "Latency of registry mutations, audit included.");
  }

  /** Queues one audited attempt; resolves once the batch holding it committed. */
  mutate<T>(attempt: Attempt, plan: () => Promise<Plan<T>>): Promise<MutationOutcome<T>> {
    return new Promise<MutationOutcome<T>>((resolve, reject) => {
      this.#queue.push({ attempt, plan, resolve: resolve as (o: MutationOutcome<unknown>) => void, reject, started: this.#o.clock.monotonic() });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      // Let every caller whose request is already in join the first batch:
      // callers of the same tick, and (setImmediate runs after the event
      // loop's I/O phase) every request read from the sockets in this turn.
      // A microtask would close the batch before the next socket is read, so
      // HTTP requests would commit one per transaction (one fsync each).
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#o.batchLimit);
        try {
          // Jobs that did not fit the transaction's operation limit go first in the next batch.
          this.#queue.unshift(...(await this.#commitBatch(batch)));
        } catch (e) {
          for (const job of batch) job.reject(e);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /**
   * Plans every job of the batch in order, each seeing the writes of the ones
   * before it, then commits all changes, one audit entry per job, the new
   * audit head and the idempotency records in ONE transaction that compares
   * the head and every key written at the version first read. Losing the race
   * re-reads and re-plans the whole batch. Callers hear back only after the
   * commit. Jobs past the transaction's operation limit are left out and
   * returned, to go first in the next batch.
   */
  async #commitBatch(batch: readonly Job[]): Promise<readonly Job[]> {
    const { view, store, clock, random, logger, events, maxAttempts } = this.#o;
    for (let round = 1; ; round++) {
      const staged = view.beginBatch();
      let settle: (() => void)[];
      let compare: Compare[];
      let ops: TxnOp[];
      let entries: { entry: AuditEntry; job: Job }[];
      let jobs: readonly Job[] = batch;
      let indexMarker: Versioned | undefined;
      try {
        const headRead = await view.getForWrite(AUDIT_HEAD);
        let head = (headRead?.value as AuditHead | undefined) ?? EMPTY_HEAD;
        compare = [{ key: AUDIT_HEAD, version: headRead?.version ?? 0 }];
        const compared = new Set<string>([AUDIT_HEAD]);
        ops = [];
        settle = [];
        entries = [];
        let fake = 0;
        const stage: Stage = (key, value, readVersion) => {
          // A key first written in this batch is compared at the version read from the store.
          if (readVersion >= 0 && !compared.has(key)) {
            compared.add(key);
            compare.push({ key, version: readVersion });
          }
          if (value === TOMBSTONE) ops.push({ type: "delete", key });
          else ops.push({ type: "put", key, value });
          staged.set(key, { key, value, version: --fake });
        };
        if (!this.#auditIndexed) {
          indexMarker = await view.getForWrite(AUDIT_INDEX);
          if (indexMarker !== undefined) this.#auditIndexed = true;
        }
        const firstSeq = head.seq + 1;
        for (const [i, job] of batch.entries()) {
          const opsBefore = ops.length;
          const compareBefore = compare.length;
          const planned = await this.#planJob(job, head, stage);
          // Room is kept for the audit head and the index marker.
          if (i > 0 && ops.length + 2 > this.#opLimit) {
            // Undone: nothing later in this round reads what it staged.
            ops.length = opsBefore;
            compare.length = compareBefore;
            jobs = batch.slice(0, i);
            break;
          }
          settle.push(planned.settle);
          if (planned.entry !== undefined) {
            head = { seq: planned.entry.seq, hash: planned.entry.hash, at: planned.entry.at };
            entries.push({ entry: planned.entry, job });
          }
        }
        if (entries.length > 0) ops.push({ type: "put", key: AUDIT_HEAD, value: head });
        if (!this.#auditIndexed && indexMarker === undefined && entries.length > 0) {
          // The first entries this registry indexes: older ones are found by scanning.
          compare.push({ key: AUDIT_INDEX, version: 0 });
          ops.push({ type: "put", key: AUDIT_INDEX, value: { since: firstSeq } });
        }
      } finally {
        view.endBatch();
      }
      const left = batch.slice(jobs.length);
      if (ops.length === 0) {
        for (const s of settle) s();
        return left;
      }
      let txn: TxnResult;
      try {
        txn = await store.txn({ compare, ops });
      } catch (e) {
        view.forget();
        throw toStoreError(e);
      }
      if (txn.ok) {
        if (entries.length > 0) this.#auditIndexed = true;
        view.remember(ops, txn.revision);
        for (const { entry, job } of entries) {
          this.#mutations.inc({ action: job.attempt.action, outcome: entry.outcome });
          this.#latency.observe(entry.latencyMs, { action: job.attempt.action });
          events.emit({ type: "audit-appended", entry });
          job.attempt.onCommitted?.(entry);
        }
        for (const s of settle) s();
        return left;
      }
      view.forget();
      this.#conflicts.inc({ action: jobs.length === 1 ? jobs[0]!.attempt.action : "batch" });
      if (round >= maxAttempts) {
        logger.warn({ jobs: jobs.length, rounds: round }, "registry mutations gave up after losing every write race");
        for (const job of jobs) job.reject(new WriteContentionError(job.attempt.action, round));
        return left;
      }
      // The first retry goes at once (the rival has already committed); after that,
      // jittered, capped exponential backoff so replicas stop colliding in lockstep.
      if (round > 1) await backoff(round - 1, CONTENTION_BACKOFF, { clock, random });
    }
  }

  /** An accepted unaudited attempt (observed state): its writes and idempotency record, no audit entry. */
  #planUnaudited(
    job: Job,
    decided: Plan<unknown>,
    stage: Stage,
    idemKey: string | undefined,
    storeIdem: boolean,
    fingerprint: string,
    idemVersion: number,
    expiredIndex: string | undefined,
    now: number,
  ): { readonly settle: () => void } {
    stageWrites(decided, stage);
    const result: MutationOutcome<unknown> = { value: decided.result, etag: decided.write ? decided.etagAfter : decided.etag, changed: decided.write, auditId: "" };
    if (idemKey !== undefined && storeIdem) {
      stage(idemKey, { fingerprint, at: now, outcome: result } satisfies IdempotencyRecord, idemVersion);
      if (expiredIndex !== undefined && expiredIndex !== idemTimeKey(now, idemKey)) stage(expiredIndex, TOMBSTONE, -1);
      stage(idemTimeKey(now, idemKey), { key: idemKey, at: now }, -1);
    }
    return {
      settle: () => {
        this.#mutations.inc({ action: job.attempt.action, outcome: "ok" });
        job.resolve(result);
      },
    };
  }

  #auditId(): string {
    const { random, clock } = this.#o;
    const a = random.int(0, 0x7fffffff).toString(36).padStart(6, "0");
    const b = random.int(0, 0x7fffffff).toString(36).padStart(6, "0");
    return `aud_${clock.now().toString(36)}${a}${b}`;
  }

  /**
   * Decides one job against the batch so far: a replay, a dry run (both
   * write nothing), or an audit entry sealed after `head` with the job's
   * writes staged. `settle` answers the caller once the batch committed.
   */
  async #planJob(job: Job, head: AuditHead, stage: Stage): Promise<{ readonly entry?: AuditEntry; readonly settle: () => void }> {
    const { view, clock, idempotencyTtlMs } = this.#o;
    const { attempt } = job;
    const { principal, options } = attempt;
    const idemKey = recordKeyOf(attempt);
    const fingerprint = idemKey === undefined ? "" : fingerprintOf(attempt);
    // Drain and cordon carry reason and ticket in their input; the options' win when both are given.
    const input = (typeof attempt.request === "object" && attempt.request !== null ? attempt.request : {}) as { reason?: unknown; ticket?: unknown };
    const reason = options.reason ?? (typeof input.reason === "string" ? input.reason : undefined);
    const ticket = options.ticket ?? (typeof input.ticket === "string" ? input.ticket : undefined);

    let failure: unknown;
    let decided: Plan<unknown> | undefined;
    let storeIdem = idemKey !== undefined;
    let idemVersion = 0;
    /** The time index entry of an expired record this attempt replaces. */
    let expiredIndex: string | undefined;
    const now = clock.now();
    if (idemKey !== undefined) {
      const read = await view.getForWrite(idemKey);
      const found = read?.value as IdempotencyRecord | undefined;
      idemVersion = read?.version ?? 0;
      // A record past its TTL no longer counts: the key is free for a fresh request.
      const stored = found !== undefined && isLive(found, now, idempotencyTtlMs) ? found : undefined;
      if (found !== undefined && stored === undefined && typeof found.at === "number") expiredIndex = idemTimeKey(found.at, idemKey);
      if (stored !== undefined) {
        if (stored.fingerprint === fingerprint) {
          return { settle: () => settleReplay(job, stored) };
        }
        failure = new IdempotencyConflictError(options.idempotencyKey!);
        storeIdem = false;
      }
    }
    if (failure === undefined) {
      try {
        decided = await job.plan();
      } catch (e) {
        // The store failing is no refusal to audit (the audit could not be written either).
        if (isDrainkitError(e) && e.code.startsWith("store-")) throw e;
        failure = e;
      }
    }
    if (failure !== undefined && !pinsFailure(failure)) storeIdem = false;
    const dryRun = options.dryRun === true;
    if (!dryRun && attempt.audited === false && failure === undefined && decided !== undefined) return this.#planUnaudited(job, decided, stage, idemKey, storeIdem, fingerprint, idemVersion, expiredIndex, now);

    const outcome: AuditOutcome = failure === undefined ? "ok" : outcomeOf(failure);
    const etagBefore = decided === undefined ? attempt.etagBefore?.() : decided.write ? decided.etagBefore : decided.etag;
    const etagAfter = decided === undefined ? undefined : decided.write ? decided.etagAfter : decided.etag;
    const entry = sealEntry(head, {
      id: this.#auditId(),
      at: clock.now(),
      actor: principal?.id ?? "anonymous",
      scopes: principal?.scopes ?? [],
      action: attempt.action,
      target: attempt.target,
      ...(reason === undefined ? {} : { reason }),
      ...(ticket === undefined ? {} : { ticket }),
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
      outcome,
      ...(failure === undefined ? {} : { errorCode: isDrainkitError(failure) ? failure.code : "internal" }),
      latencyMs: clock.monotonic() - job.started,
      ...(etagBefore === undefined ? {} : { etagBefore }),
      ...(etagAfter === undefined ? {} : { etagAfter }),
      ...(dryRun ? { dryRun: true as const } : {}),
    });
    if (dryRun) {
      // A dry run is evidence too (who asked what, and what the server would have said), but writes nothing else.
      stage(auditKey(entry.seq), entry, -1);
      stage(auditTargetKey(entry.target, entry.seq), { seq: entry.seq }, -1);
      const d = decided;
      return {
        entry,
        settle: () => (d === undefined ? job.reject(failure) : job.resolve({ value: d.result, etag: d.write ? d.etagAfter : d.etag, changed: d.write, auditId: entry.id })),
      };
    }
    if (decided !== undefined) stageWrites(decided, stage);
    stage(auditKey(entry.seq), entry, -1);
    stage(auditTargetKey(entry.target, entry.seq), { seq: entry.seq }, -1);
    const result: MutationOutcome<unknown> | undefined =
      decided === undefined ? undefined : { value: decided.result, etag: decided.write ? decided.etagAfter : decided.etag, changed: decided.write, auditId: entry.id };
    if (idemKey !== undefined && storeIdem) {
      const record: IdempotencyRecord =
        result !== undefined
          ? { fingerprint, at: now, outcome: { value: result.value, etag: result.etag, changed: result.changed, auditId: result.auditId } }
          : { fingerprint, at: now, error: errorRecord(failure) };
      stage(idemKey, record, idemVersion);
      if (expiredIndex !== undefined && expiredIndex !== idemTimeKey(now, idemKey)) stage(expiredIndex, TOMBSTONE, -1);
      stage(idemTimeKey(now, idemKey), { key: idemKey, at: now }, -1);
    }
    return { entry, settle: () => (result === undefined ? job.reject(failure) : job.resolve(result)) };
  }
}

function stageWrites(decided: Plan<unknown>, stage: Stage): void {
  if (decided.write !== true) return;
  if (decided.key !== undefined) stage(decided.key, decided.record, decided.readVersion ?? 0);
  for (const p of decided.puts ?? []) stage(p.key, p.record, p.readVersion);
  for (const d of decided.deletes ?? []) stage(d.key, TOMBSTONE, d.readVersion);
}

function settleReplay(job: Job, stored: IdempotencyRecord): void {
  try {
    job.resolve(replay(stored));
  } catch (e) {
    job.reject(e);
  }
}
