import {
  CapacityGuard,
  DrainkitError,
  httpStatusFor,
  isDrainkitError,
  noopMetrics,
  nullEventSink,
  silentLogger,
  sleep,
  systemRandom,
  transitionNode,
  createNodeState,
  type Clock,
  type Counter,
  type EventSink,
  type Histogram,
  type Logger,
  type Metrics,
  type NodeEvent,
  type NodeState,
  type PoolBudget,
  type PoolMember,
  type Random,
} from "@drainkit/core";
import { createHash } from "node:crypto";
import { auditKey, EMPTY_HEAD, matchesQuery, sealEntry, verifyChain, type AuditHead } from "./audit/chain.ts";
import { canonicalJson } from "./audit/canonicalJson.ts";
import { applyConfigPatch, configDefaults, defaultConfigSchema, type SettingValue } from "./config.ts";
import {
  ConfirmationRequiredError,
  EtagMismatchError,
  IdempotencyConflictError,
  LastActiveClusterError,
  NotFoundError,
  OnlySchedulableNodeError,
  PreconditionRequiredError,
  StoreUnavailableError,
  ValidationError,
  WriteContentionError,
} from "./errors.ts";
import { mergePatch } from "./mergePatch.ts";
import { currentNode, drainStatusOf, etagOf, peerKey, placementKey, reshapeNode, toPeer, type PeerRecord } from "./peerRecord.ts";
import {
  applyMoveReport,
  authorizeMoveReport,
  matchesMoveQuery,
  MovePlanConflictError,
  moveKey,
  newMove,
  planOf,
  samePlan,
  validateMovePlan,
  validateMoveQuery,
  validateMoveReport,
  type MoveChange,
  type MovePlan,
  type MoveQuery,
  type MoveReport,
  type WorkloadMove,
} from "./moves.ts";
import { hasScope, requireScope, requireSelfOrOperate } from "./rbac.ts";
import {
  applyRolloutStep,
  applyRolloutVerb,
  planNewRollout,
  RolloutInProgressError,
  rolloutActive,
  rolloutKey,
  type Rollout,
  type RolloutChange,
  type RolloutStartInput,
  type RolloutStep,
} from "./rollouts.ts";
import type { Compare, ListOptions, RegistryStore, TxnOp, TxnResult, Versioned } from "./store.ts";
import type {
  AuditAction,
  AuditEntry,
  AuditOutcome,
  AuditQuery,
  AuditVerification,
  Cluster,
  ClusterRole,
  ConfigSchema,
  IdempotencySweep,
  CordonInput,
  DrainInput,
  DrainSpec,
  DrainStall,
  DrainStallReport,
  DrainRecord,
  DrainStatus,
  MutationOptions,
  MutationOutcome,
  Page,
  Peer,
  PeerPatch,
  PeerQuery,
  PeerRegistration,
  PlacedWorkload,
  Placement,
  PlacementChange,
  Principal,
  Registry,
  RegistryChange,
  RegistryConfig,
  ResumeInput,
  StatusReport,
  UncordonInput,
} from "./types.ts";

/** A cluster the registry knows before anyone writes it. */
export interface DeclaredCluster {
  readonly id: string;
  readonly role: ClusterRole;
  readonly state?: string;
}

/** What the registry emits after each audited attempt. */
export interface RegistryEvent {
  readonly type: "audit-appended";
  readonly entry: AuditEntry;
}

/** Options of {@link createRegistry}: ports first, then settings. */
export interface RegistryOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  /** For audit ids and retry jitter; seeded from the OS when omitted. */
  readonly random?: Random;
  /** Pool budgets the capacity guard enforces on drain and cordon. */
  readonly pools?: readonly PoolBudget[];
  /** Clusters known from configuration (the first write stores them). */
  readonly clusters?: readonly DeclaredCluster[];
  /** The config allow-list; defaults to {@link defaultConfigSchema}. */
  readonly configSchema?: ConfigSchema;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly events?: EventSink<RegistryEvent>;
  /** Write races a mutation may lose before giving up with `write-contention`; default 32. */
  readonly maxAttempts?: number;
  /**
   * Most mutations committed in one store transaction (group commit); default
   * 32, which keeps a batch within etcd's default limit of 128 operations.
   */
  readonly batchLimit?: number;
  /**
   * How long an idempotency record counts, in ms; default 24 h. Reusing a key
   * after that is a fresh request, and `sweepIdempotency` deletes the record.
   */
  readonly idempotencyTtlMs?: number;
}

const AUDIT_HEAD = "audit-head";
const CONFIG_KEY = "config";
const clusterKey = (id: string): string => `clusters/${id}`;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$/;
const DEFAULT_PAGE = 100;
const MAX_PLACEMENT = 10_000;
/** Deletes per prune: with a full batch of other mutations it stays within etcd's 128 operations per transaction. */
const PRUNE_LIMIT = 25;
/** Marks a key deleted by an earlier mutation of the batch being planned. */
const TOMBSTONE: unique symbol = Symbol("deleted");
const MAX_PAGE = 1_000;
const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Records per sweep: two deletes each (record and time index) keeps a sweep well within etcd's 128 operations per transaction. */
const SWEEP_LIMIT = 30;
/** How far past its batch a sweep counts what is still due. */
const SWEEP_COUNT_CAP = 1_000;
/** Most legacy records a sweep's one-off scan queues at a time. */
const LEGACY_QUEUE = 5_000;
/** Most operations in one transaction: a batch is cut before it would pass this (etcd's default limit is 128). */
const TXN_OP_LIMIT = 120;
/** Idempotency records by write time, so the sweep reads only what is due. */
const IDEM_BY_TIME = "idem-by-time/";
const idemTimeKey = (at: number, idemKey: string): string => `${IDEM_BY_TIME}${String(Math.max(0, Math.floor(at))).padStart(15, "0")}/${idemKey.slice("idem/".length)}`;
/**
 * Audit entries by target, written with each entry, so a `target` query reads
 * only that target's entries. `audit-index` records the first seq indexed
 * (entries written before the index existed are found by scanning).
 */
const AUDIT_INDEX = "audit-index";
const auditTargetPrefix = (target: string): string => `audit-by-target/${encodeURIComponent(target)}/`;
const auditTargetKey = (target: string, seq: number): string => `${auditTargetPrefix(target)}${String(seq).padStart(12, "0")}`;

interface ClusterRecord {
  readonly id: string;
  readonly role: ClusterRole;
  readonly state: string;
  readonly generation: number;
}

interface ConfigRecord {
  readonly overrides: Readonly<Record<string, SettingValue>>;
  readonly generation: number;
}

interface IdempotencyRecord {
  readonly fingerprint: string;
  /** Wall time it was written; records without one (older releases) never replay. */
  readonly at?: number;
  readonly outcome?: { readonly value: unknown; readonly etag: string; readonly changed: boolean; readonly auditId: string };
  readonly error?: { readonly code: string; readonly message: string; readonly retryable: boolean; readonly details: Readonly<Record<string, unknown>> };
}

/** What a mutation decided, before it is written. */
type Plan<T> =
  | {
      readonly write: true;
      /** The key written; absent for a plan that only deletes. */
      readonly key?: string;
      /** Version the decision was based on: 0 = absent, negative = staged by an earlier mutation of the same batch. */
      readonly readVersion?: number;
      readonly record?: unknown;
      /** Keys deleted in the same transaction, each compared at the version read. */
      readonly deletes?: readonly { readonly key: string; readonly readVersion: number }[];
      /** Further keys written in the same transaction, each compared at the version read (negative: not compared). */
      readonly puts?: readonly { readonly key: string; readonly record: unknown; readonly readVersion: number }[];
      readonly etagBefore?: string;
      readonly etagAfter: string;
      readonly result: T;
    }
  | { readonly write: false; readonly etag: string; readonly result: T };

interface Attempt {
  readonly principal: Principal | undefined;
  readonly action: AuditAction;
  readonly target: string;
  readonly options: MutationOptions;
  /** The request's content, hashed for the idempotency record. */
  readonly request: unknown;
  /** Known before the plan (refusals before any read). */
  readonly etagBefore?: () => string | undefined;
  readonly onCommitted?: (entry: AuditEntry) => void;
  /** False to audit the key without pinning an outcome to it (transport refusals). */
  readonly remember?: boolean;
}

/** Refusals about who asked or how, not what: a retry with better credentials must not replay them. */
const UNPINNED_CODES: ReadonlySet<string> = new Set(["unauthenticated", "forbidden", "confirmation-required", "precondition-required"]);

/** One queued mutation. */
interface Job {
  readonly attempt: Attempt;
  readonly plan: () => Promise<Plan<unknown>>;
  readonly resolve: (outcome: MutationOutcome<unknown>) => void;
  readonly reject: (error: unknown) => void;
  /** Monotonic time it was queued: the audit's latency counts the wait. */
  readonly started: number;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function validateId(field: string, id: unknown): string {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new ValidationError(field, "use 1-253 characters: letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit");
  }
  return id;
}

function validateStrings(field: string, v: unknown): readonly string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s.length > 0)) throw new ValidationError(field, "expected a list of non-empty strings");
  return [...new Set(v as string[])];
}

function validateReason(reason: unknown, field = "reason"): string {
  if (typeof reason !== "string" || reason.trim() === "") throw new ValidationError(field, "say why (a non-empty reason is required)");
  return reason;
}

function validateLabels(v: unknown): Record<string, string> {
  if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.values(v).every((s) => typeof s === "string")) {
    throw new ValidationError("labels", "expected an object of string values");
  }
  return { ...(v as Record<string, string>) };
}

function validateObject(field: string, v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ValidationError(field, "expected an object");
  return { ...(v as Record<string, unknown>) };
}

/** The agent's placement, checked entry by entry; the error names the first bad field. */
function validatePlacement(v: unknown): PlacedWorkload[] {
  if (!Array.isArray(v)) throw new ValidationError("placement", "expected a list of { id, owner? }");
  if (v.length > MAX_PLACEMENT) throw new ValidationError("placement", `at most ${MAX_PLACEMENT} workloads per report`);
  const seen = new Set<string>();
  return v.map((entry: unknown, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw new ValidationError(`placement[${i}]`, "expected { id, owner? }");
    const e = entry as Record<string, unknown>;
    const id = validateId(`placement[${i}].id`, e["id"]);
    if (seen.has(id)) throw new ValidationError(`placement[${i}].id`, `"${id}" is listed twice`);
    seen.add(id);
    if (e["owner"] === undefined) return { id };
    const owner = validateId(`placement[${i}].owner`, e["owner"]);
    if (owner === id) throw new ValidationError(`placement[${i}].owner`, "a workload cannot own itself");
    return { id, owner };
  });
}

function countPlacement(placement: readonly PlacedWorkload[]): { owners: number; children: number } {
  let owners = 0;
  for (const w of placement) if (w.owner === undefined) owners++;
  return { owners, children: placement.length - owners };
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function outcomeOf(error: unknown): AuditOutcome {
  return isDrainkitError(error) && httpStatusFor(error.code) < 500 ? "refused" : "error";
}

function toStoreError(error: unknown): Error {
  if (isDrainkitError(error)) return error;
  return new StoreUnavailableError(`The registry store failed: ${error instanceof Error ? error.message : String(error)}; retry shortly.`, error);
}

function encodeCursor(s: string): string {
  return Buffer.from(s, "utf8").toString("base64url");
}

function decodeCursor(s: string | undefined): string | undefined {
  if (s === undefined || s === "") return undefined;
  return Buffer.from(s, "base64url").toString("utf8");
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError("limit", "expected a whole number >= 1");
  return Math.min(limit, MAX_PAGE);
}

class StoreRegistry implements Registry {
  readonly #store: RegistryStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #guard: CapacityGuard;
  readonly #pools: readonly PoolBudget[];
  readonly #declared: ReadonlyMap<string, DeclaredCluster>;
  readonly #schema: ConfigSchema;
  readonly #logger: Logger;
  readonly #events: EventSink<RegistryEvent>;
  readonly #maxAttempts: number;
  readonly #mutations: Counter;
  readonly #conflicts: Counter;
  readonly #latency: Histogram;
  readonly #queue: Job[] = [];
  #draining = false;
  readonly #batchLimit: number;
  readonly #idempotencyTtlMs: number;
  /** True once `audit-index` is known to exist (every entry from then on is indexed by target). */
  #auditIndexed = false;
  /**
   * Idempotency records without `at` (written before records expired), found
   * by a one-off scan of `idem/` from the sweep, waiting to be deleted.
   */
  readonly #legacyIdempotency = new Set<string>();
  /** Where that scan goes on; undefined once it reached the end. */
  #legacyScanFrom: string | undefined = "idem/";
  /** Writes of the batch being planned, keyed by store key; undefined outside planning. */
  #staged: Map<string, Versioned> | undefined;
  /**
   * What this registry's own last commits wrote to keys every later
   * transaction compares (the audit head, peer records), so a leader that is
   * the only writer skips those reads. A stale entry can only make a compare
   * fail, and any lost race or store error empties it.
   */
  readonly #written = new Map<string, Versioned>();

  constructor(options: RegistryOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#random = options.random ?? systemRandom();
    const metrics = options.metrics ?? noopMetrics;
    this.#guard = new CapacityGuard({ pools: options.pools ?? [], metrics });
    this.#pools = options.pools ?? [];
    this.#declared = new Map((options.clusters ?? []).map((c) => [c.id, c]));
    this.#schema = options.configSchema ?? defaultConfigSchema;
    this.#logger = options.logger ?? silentLogger;
    this.#events = options.events ?? nullEventSink;
    this.#maxAttempts = options.maxAttempts ?? 32;
    this.#batchLimit = Math.max(1, options.batchLimit ?? 32);
    const ttl = options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    if (typeof ttl !== "number" || !(ttl > 0)) throw new ValidationError("idempotencyTtlMs", "expected a duration in ms > 0");
    this.#idempotencyTtlMs = ttl;
    this.#mutations = metrics.counter("registry_mutations_total", "Registry mutation attempts by action and outcome.");
    this.#conflicts = metrics.counter("registry_write_conflicts_total", "Registry writes retried after losing a compare-and-swap race.");
    this.#latency = metrics.histogram("registry_mutation_latency_ms", "Latency of registry mutations, audit included.");
  }

  // ---------------------------------------------------------------- reads

  async #get(key: string): Promise<Versioned | undefined> {
    try {
      return await this.#store.get(key);
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async #list(prefix: string, options?: ListOptions): Promise<{ items: readonly Versioned[]; revision: number }> {
    try {
      return await (options === undefined ? this.#store.list(prefix) : this.#store.list(prefix, options));
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async #revision(): Promise<number> {
    try {
      return await this.#store.revision();
    } catch (e) {
      throw toStoreError(e);
    }
  }

  /**
   * A read for the write path: what an earlier mutation of the batch being
   * planned wrote (negative version: not in the store yet), else what this
   * registry's own last commit wrote, else the store.
   */
  async #getForWrite(key: string): Promise<Versioned | undefined> {
    const staged = this.#staged?.get(key);
    if (staged !== undefined) return staged.value === TOMBSTONE ? undefined : staged;
    return this.#written.get(key) ?? (await this.#get(key));
  }

  /** A listing for the write path, with the batch's staged writes laid over it. */
  async #listForWrite(prefix: string): Promise<{ items: readonly Versioned[]; revision: number }> {
    const listed = await this.#list(prefix);
    const staged = this.#staged;
    if (staged === undefined || staged.size === 0) return listed;
    let merged: Map<string, Versioned> | undefined;
    for (const [key, v] of staged) {
      if (!key.startsWith(prefix)) continue;
      merged ??= new Map(listed.items.map((i) => [i.key, i]));
      if (v.value === TOMBSTONE) merged.delete(key);
      else merged.set(key, v);
    }
    if (merged === undefined) return listed;
    return { items: [...merged.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), revision: listed.revision };
  }

  async #peerRecord(id: string, forWrite = false): Promise<{ record: PeerRecord; version: number }> {
    const key = peerKey(id);
    const got = !ID_PATTERN.test(id) ? undefined : forWrite ? await this.#getForWrite(key) : await this.#get(key);
    if (got === undefined) throw new NotFoundError("peer", id);
    return { record: got.value as PeerRecord, version: got.version };
  }

  async getPeer(principal: Principal, id: string): Promise<{ peer: Peer; etag: string }> {
    requireScope(principal, "mesh.read", "getPeer");
    const { record } = await this.#peerRecord(id);
    return { peer: toPeer(record, this.#clock.now()), etag: etagOf(record.generation) };
  }

  async listPeers(principal: Principal, query: PeerQuery = {}): Promise<Page<Peer>> {
    requireScope(principal, "mesh.read", "listPeers");
    const limit = pageLimit(query.limit);
    const after = decodeCursor(query.cursor);
    const [labelKey, labelValue] = query.label === undefined ? [undefined, undefined] : query.label.split("=", 2);
    const { items, revision } = await this.#list("peers/");
    const now = this.#clock.now();
    const out: Peer[] = [];
    let nextCursor: string | undefined;
    for (const item of items) {
      const record = item.value as PeerRecord;
      if (after !== undefined && record.id <= after) continue;
      if (query.role !== undefined && !record.roles.includes(query.role)) continue;
      if (query.pool !== undefined && !record.pools.includes(query.pool)) continue;
      if (labelKey !== undefined && (record.labels[labelKey] === undefined || (labelValue !== undefined && record.labels[labelKey] !== labelValue))) continue;
      const peer = toPeer(record, now);
      if (query.state !== undefined && peer.phase !== query.state) continue;
      if (out.length === limit) {
        nextCursor = encodeCursor(out[out.length - 1]!.id);
        break;
      }
      out.push(peer);
    }
    return { items: out, revision, ...(nextCursor === undefined ? {} : { nextCursor }) };
  }

  async drainStatus(principal: Principal, id: string): Promise<DrainStatus> {
    requireScope(principal, "mesh.read", "drainStatus");
    const { record } = await this.#peerRecord(id);
    return drainStatusOf(toPeer(record, this.#clock.now()));
  }

  async drainRecords(): Promise<readonly DrainRecord[]> {
    const { items } = await this.#list("peers/");
    const now = this.#clock.now();
    const out: DrainRecord[] = [];
    for (const item of items) {
      const peer = toPeer(item.value as PeerRecord, now);
      if (peer.spec.drain !== undefined) out.push({ peer: peer.id, request: peer.spec.drain, status: drainStatusOf(peer).status });
    }
    return out;
  }

  async #clusters(forWrite = false): Promise<Map<string, { cluster: Cluster; version: number }>> {
    const out = new Map<string, { cluster: Cluster; version: number }>();
    for (const d of this.#declared.values()) out.set(d.id, { cluster: { id: d.id, role: d.role, state: d.state ?? (d.role === "active" ? "serving" : "standby"), version: 0 }, version: 0 });
    for (const item of (forWrite ? await this.#listForWrite("clusters/") : await this.#list("clusters/")).items) {
      const r = item.value as ClusterRecord;
      out.set(r.id, { cluster: { id: r.id, role: r.role, state: r.state, version: r.generation }, version: item.version });
    }
    return out;
  }

  async listClusters(principal: Principal): Promise<readonly Cluster[]> {
    requireScope(principal, "mesh.read", "listClusters");
    return [...(await this.#clusters()).values()].map((c) => c.cluster).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async #config(forWrite = false): Promise<{ config: RegistryConfig; overrides: Readonly<Record<string, SettingValue>>; version: number }> {
    const got = forWrite ? await this.#getForWrite(CONFIG_KEY) : await this.#get(CONFIG_KEY);
    const record = got?.value as ConfigRecord | undefined;
    const overrides = record?.overrides ?? {};
    return {
      config: { values: { ...configDefaults(this.#schema), ...overrides }, version: record?.generation ?? 0 },
      overrides,
      version: got?.version ?? 0,
    };
  }

  async getConfig(principal: Principal): Promise<RegistryConfig> {
    requireScope(principal, "mesh.read", "getConfig");
    return (await this.#config()).config;
  }

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
        const listed = await this.#list(prefix, { startAfter: from, limit: chunk });
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
      return walk("audit/", auditKey(from), async (items) => {
        for (const item of items) if (item.key >= end || take(item.value as AuditEntry)) return true;
        return false;
      });
    };
    const since = query.target === undefined ? undefined : ((await this.#get(AUDIT_INDEX))?.value as { since?: unknown } | undefined)?.since;
    if (typeof since !== "number") {
      await scan(after, Number.MAX_SAFE_INTEGER);
    } else {
      // Entries older than the target index are scanned (a bounded, shrinking share); the rest come from the index.
      if (after + 1 < since) await scan(after, since);
      const prefix = auditTargetPrefix(query.target!);
      if (!full) {
        await walk(prefix, `${prefix}${String(Math.max(after, since - 1)).padStart(12, "0")}`, async (items) => {
          const got = await Promise.all(items.map((i) => this.#get(auditKey((i.value as { seq: number }).seq))));
          for (const g of got) if (g !== undefined && take(g.value as AuditEntry)) return true;
          return false;
        });
      }
    }
    revision ??= await this.#revision();
    return { items: out, revision, ...(nextCursor === undefined ? {} : { nextCursor }) };
  }

  async verifyAudit(): Promise<AuditVerification> {
    // Head first: entries appended after it are not yet covered by it and are left for the next walk.
    const headRead = await this.#get(AUDIT_HEAD);
    const head = (headRead?.value as AuditHead | undefined) ?? EMPTY_HEAD;
    const { items } = await this.#list("audit/");
    const upToHead = items.filter((i) => {
      const seq = (i.value as { seq?: unknown } | null)?.seq;
      return typeof seq !== "number" || seq <= head.seq;
    });
    return verifyChain(upToHead.map((i) => i.value), head);
  }

  watch(fromRevision: number, onChange: (change: RegistryChange) => void, onError?: (error: Error) => void): { close(): void } {
    return this.#watch(fromRevision, onChange as (change: RegistryChange | RolloutChange | MoveChange | PlacementChange) => void, onError, false);
  }

  watchAll(fromRevision: number, onChange: (change: RegistryChange | RolloutChange | MoveChange | PlacementChange) => void, onError?: (error: Error) => void): { close(): void } {
    return this.#watch(fromRevision, onChange, onError, true);
  }

  #watch(fromRevision: number, onChange: (change: RegistryChange | RolloutChange | MoveChange | PlacementChange) => void, onError: ((error: Error) => void) | undefined, rollouts: boolean): { close(): void } {
    return this.#store.watch(
      "",
      fromRevision,
      (c) => {
        const { key, revision } = c;
        if (key.startsWith("peers/")) {
          const id = key.slice("peers/".length);
          onChange({ revision, kind: "peer", id, value: c.value === undefined ? undefined : toPeer(c.value as PeerRecord, this.#clock.now()) });
        } else if (key.startsWith("clusters/")) {
          const r = c.value as ClusterRecord | undefined;
          const id = key.slice("clusters/".length);
          onChange({ revision, kind: "cluster", id, value: r === undefined ? undefined : { id: r.id, role: r.role, state: r.state, version: r.generation } });
        } else if (key === CONFIG_KEY) {
          const r = c.value as ConfigRecord | undefined;
          onChange({
            revision,
            kind: "config",
            id: "config",
            value: { values: { ...configDefaults(this.#schema), ...(r?.overrides ?? {}) }, version: r?.generation ?? 0 },
          });
        } else if (key.startsWith("audit/")) {
          const entry = c.value as AuditEntry | undefined;
          onChange({ revision, kind: "audit", id: entry?.id ?? key.slice("audit/".length), value: entry });
        } else if (rollouts && key.startsWith("rollouts/")) {
          onChange({ revision, kind: "rollout", id: key.slice("rollouts/".length), value: c.value as Rollout | undefined });
        } else if (rollouts && key.startsWith("moves/")) {
          onChange({ revision, kind: "move", id: key.slice("moves/".length), value: c.value as WorkloadMove | undefined });
        } else if (rollouts && key.startsWith("placement/")) {
          onChange({ revision, kind: "placement", id: key.slice("placement/".length), value: c.value as Placement | undefined });
        }
      },
      onError,
    );
  }

  // ------------------------------------------------------- the write path

  #auditId(): string {
    const a = this.#random.int(0, 0x7fffffff).toString(36).padStart(6, "0");
    const b = this.#random.int(0, 0x7fffffff).toString(36).padStart(6, "0");
    return `aud_${this.#clock.now().toString(36)}${a}${b}`;
  }

  /**
   * Queues one audited attempt. Attempts are committed in batches (group
   * commit): every mutation appends to the one audit chain, so they cannot
   * run in parallel anyway, and one transaction for many of them costs the
   * store one round trip instead of many.
   */
  #mutate<T>(attempt: Attempt, plan: () => Promise<Plan<T>>): Promise<MutationOutcome<T>> {
    return new Promise<MutationOutcome<T>>((resolve, reject) => {
      this.#queue.push({ attempt, plan, resolve: resolve as (o: MutationOutcome<unknown>) => void, reject, started: this.#clock.monotonic() });
      if (!this.#draining) void this.#drainQueue();
    });
  }

  async #drainQueue(): Promise<void> {
    this.#draining = true;
    try {
      // Let callers of the same tick join the first batch.
      await Promise.resolve();
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#batchLimit);
        try {
          // Jobs that did not fit the transaction's operation limit go first in the next batch.
          this.#queue.unshift(...(await this.#commitBatch(batch)));
        } catch (e) {
          for (const job of batch) job.reject(e);
        }
      }
    } finally {
      this.#draining = false;
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
    for (let round = 1; ; round++) {
      const staged = new Map<string, Versioned>();
      this.#staged = staged;
      let settle: (() => void)[];
      let compare: Compare[];
      let ops: TxnOp[];
      let entries: { entry: AuditEntry; job: Job }[];
      let jobs: readonly Job[] = batch;
      let indexMarker: Versioned | undefined;
      try {
        const headRead = await this.#getForWrite(AUDIT_HEAD);
        let head = (headRead?.value as AuditHead | undefined) ?? EMPTY_HEAD;
        compare = [{ key: AUDIT_HEAD, version: headRead?.version ?? 0 }];
        const compared = new Set<string>([AUDIT_HEAD]);
        ops = [];
        settle = [];
        entries = [];
        let fake = 0;
        const stage = (key: string, value: unknown, readVersion: number): void => {
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
          indexMarker = await this.#getForWrite(AUDIT_INDEX);
          if (indexMarker !== undefined) this.#auditIndexed = true;
        }
        const firstSeq = head.seq + 1;
        for (const [i, job] of batch.entries()) {
          const opsBefore = ops.length;
          const compareBefore = compare.length;
          const planned = await this.#planJob(job, head, stage);
          // Room is kept for the audit head and the index marker.
          if (i > 0 && ops.length + 2 > TXN_OP_LIMIT) {
            // Undone: nothing later in this round reads what it staged.
            ops.length = opsBefore;
            compare.length = compareBefore;
            jobs = batch.slice(0, i);
            break;
          }
          settle.push(planned.settle);
          if (planned.entry !== undefined) {
            head = { seq: planned.entry.seq, hash: planned.entry.hash };
            entries.push({ entry: planned.entry, job });
          }
        }
        if (ops.length > 0) ops.push({ type: "put", key: AUDIT_HEAD, value: head });
        if (!this.#auditIndexed && indexMarker === undefined && entries.length > 0) {
          // The first entries this registry indexes: older ones are found by scanning.
          compare.push({ key: AUDIT_INDEX, version: 0 });
          ops.push({ type: "put", key: AUDIT_INDEX, value: { since: firstSeq } });
        }
      } finally {
        this.#staged = undefined;
      }
      const left = batch.slice(jobs.length);
      if (ops.length === 0) {
        for (const s of settle) s();
        return left;
      }
      let txn: TxnResult;
      try {
        txn = await this.#store.txn({ compare, ops });
      } catch (e) {
        this.#written.clear();
        throw toStoreError(e);
      }
      if (txn.ok) {
        if (entries.length > 0) this.#auditIndexed = true;
        this.#remember(ops, txn.revision);
        for (const { entry, job } of entries) {
          this.#mutations.inc({ action: job.attempt.action, outcome: entry.outcome });
          this.#latency.observe(entry.latencyMs, { action: job.attempt.action });
          this.#events.emit({ type: "audit-appended", entry });
          job.attempt.onCommitted?.(entry);
        }
        for (const s of settle) s();
        return left;
      }
      this.#written.clear();
      this.#conflicts.inc({ action: jobs.length === 1 ? jobs[0]!.attempt.action : "batch" });
      if (round >= this.#maxAttempts) {
        this.#logger.warn({ jobs: jobs.length, rounds: round }, "registry mutations gave up after losing every write race");
        for (const job of jobs) job.reject(new WriteContentionError(job.attempt.action, round));
        return left;
      }
      // The first retry goes at once (the rival has already committed); after that,
      // jittered, capped exponential backoff so replicas stop colliding in lockstep.
      if (round > 1) await sleep(this.#clock, this.#random.int(0, Math.min(50, 2 ** Math.min(round, 6))));
    }
  }

  /**
   * Decides one job against the batch so far: a replay, a dry run (both
   * write nothing), or an audit entry sealed after `head` with the job's
   * writes staged. `settle` answers the caller once the batch committed.
   */
  async #planJob(
    job: Job,
    head: AuditHead,
    stage: (key: string, value: unknown, readVersion: number) => void,
  ): Promise<{ readonly entry?: AuditEntry; readonly settle: () => void }> {
    const { attempt } = job;
    const { principal, options } = attempt;
    // Transport refusals only note the key: looking it up could turn their refusal into a replay or a conflict.
    const idemKey =
      options.idempotencyKey !== undefined && options.dryRun !== true && attempt.remember !== false
        ? `idem/${encodeURIComponent(principal?.id ?? "anonymous")}/${encodeURIComponent(options.idempotencyKey)}`
        : undefined;
    const fingerprint =
      idemKey === undefined
        ? ""
        : sha256(canonicalJson({ action: attempt.action, target: attempt.target, request: attempt.request, reason: options.reason, ticket: options.ticket, confirm: options.confirm, ifMatch: options.ifMatch }));
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
    const now = this.#clock.now();
    if (idemKey !== undefined) {
      const read = await this.#getForWrite(idemKey);
      const found = read?.value as IdempotencyRecord | undefined;
      idemVersion = read?.version ?? 0;
      // A record past its TTL no longer counts: the key is free for a fresh request.
      const stored = found !== undefined && this.#idempotencyLive(found, now) ? found : undefined;
      if (found !== undefined && stored === undefined && typeof found.at === "number") expiredIndex = idemTimeKey(found.at, idemKey);
      if (stored !== undefined) {
        if (stored.fingerprint === fingerprint) {
          return { settle: () => this.#settleReplay(job, stored) };
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
    if (options.dryRun === true) {
      const d = decided;
      return {
        settle: () => (d === undefined ? job.reject(failure) : job.resolve({ value: d.result, etag: d.write ? d.etagAfter : d.etag, changed: d.write, auditId: "" })),
      };
    }
    // A refusal that may pass later (pool-depletion) is not pinned to the key.
    if (failure !== undefined && (!isDrainkitError(failure) || failure.retryable || UNPINNED_CODES.has(failure.code))) storeIdem = false;

    const outcome: AuditOutcome = failure === undefined ? "ok" : outcomeOf(failure);
    const etagBefore = decided === undefined ? attempt.etagBefore?.() : decided.write ? decided.etagBefore : decided.etag;
    const etagAfter = decided === undefined ? undefined : decided.write ? decided.etagAfter : decided.etag;
    const entry = sealEntry(head, {
      id: this.#auditId(),
      at: this.#clock.now(),
      actor: principal?.id ?? "anonymous",
      scopes: principal?.scopes ?? [],
      action: attempt.action,
      target: attempt.target,
      ...(reason === undefined ? {} : { reason }),
      ...(ticket === undefined ? {} : { ticket }),
      ...(options.idempotencyKey === undefined ? {} : { idempotencyKey: options.idempotencyKey }),
      outcome,
      ...(failure === undefined ? {} : { errorCode: isDrainkitError(failure) ? failure.code : "internal" }),
      latencyMs: this.#clock.monotonic() - job.started,
      ...(etagBefore === undefined ? {} : { etagBefore }),
      ...(etagAfter === undefined ? {} : { etagAfter }),
    });
    if (decided?.write === true) {
      if (decided.key !== undefined) stage(decided.key, decided.record, decided.readVersion ?? 0);
      for (const p of decided.puts ?? []) stage(p.key, p.record, p.readVersion);
      for (const d of decided.deletes ?? []) stage(d.key, TOMBSTONE, d.readVersion);
    }
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

  /** Whether a stored record still counts at `now`: written less than the TTL ago. */
  #idempotencyLive(record: IdempotencyRecord, now: number): boolean {
    return typeof record.at === "number" && now - record.at < this.#idempotencyTtlMs;
  }

  #settleReplay(job: Job, stored: IdempotencyRecord): void {
    try {
      job.resolve(this.#replay(stored));
    } catch (e) {
      job.reject(e);
    }
  }

  #remember(ops: readonly TxnOp[], revision: number): void {
    if (this.#written.size > 10_000) this.#written.clear();
    for (const op of ops) {
      if (op.type === "put" && (op.key === AUDIT_HEAD || op.key.startsWith("peers/"))) this.#written.set(op.key, { key: op.key, value: op.value, version: revision });
    }
  }

  #replay<T>(stored: IdempotencyRecord): MutationOutcome<T> {
    if (stored.error !== undefined) {
      // A stored record may come from another version: its code is not checked against this catalogue.
      throw new DrainkitError<string>(stored.error.code, stored.error.message, { retryable: stored.error.retryable, details: { ...stored.error.details, replayed: true } });
    }
    const o = stored.outcome!;
    return { value: o.value as T, etag: o.etag, changed: o.changed, auditId: o.auditId, replayed: true };
  }

  async recordRefusal(principal: Principal | undefined, action: AuditAction, target: string, error: { readonly code: string }, options: MutationOptions = {}): Promise<AuditEntry> {
    const refusal = new DrainkitError<string>(error.code, "Refused before it reached the registry.");
    let entry: AuditEntry | undefined;
    const attempt: Attempt = { principal, action, target, options: { ...options, dryRun: false }, request: null, remember: false, onCommitted: (e) => (entry = e) };
    try {
      await this.#mutate(attempt, async () => {
        throw refusal;
      });
    } catch (e) {
      if (e !== refusal) throw e;
    }
    if (entry === undefined) throw new StoreUnavailableError();
    return entry;
  }

  // ------------------------------------------------------------ peers

  #checkIfMatch(target: string, options: MutationOptions, generation: number): void {
    if (options.ifMatch === undefined || options.ifMatch === "*") return;
    const current = etagOf(generation);
    const sent = options.ifMatch.startsWith("W/") ? options.ifMatch.slice(2) : options.ifMatch;
    const normalised = sent.startsWith('"') ? sent : `"${sent}"`;
    if (normalised !== current) throw new EtagMismatchError(target, options.ifMatch, current);
  }

  #writePeer(before: PeerRecord | undefined, readVersion: number, next: PeerRecord): Plan<Peer> {
    return {
      write: true,
      key: peerKey(next.id),
      readVersion,
      record: next,
      ...(before === undefined ? {} : { etagBefore: etagOf(before.generation) }),
      etagAfter: etagOf(next.generation),
      result: toPeer(next, this.#clock.now()),
    };
  }

  #keepPeer(record: PeerRecord): Plan<Peer> {
    return { write: false, etag: etagOf(record.generation), result: toPeer(record, this.#clock.now()) };
  }

  /** Mutations on an existing peer: audit target, etagBefore and If-Match handled in one place. */
  #peerMutation<T>(
    principal: Principal,
    action: AuditAction,
    id: string,
    request: unknown,
    options: MutationOptions,
    authorize: () => void,
    decide: (record: PeerRecord, version: number) => Promise<Plan<T>> | Plan<T>,
  ): Promise<MutationOutcome<T>> {
    let before: string | undefined;
    return this.#mutate({ principal, action, target: `peer/${id}`, options, request, etagBefore: () => before }, async () => {
      authorize();
      validateId("id", id);
      const { record, version } = await this.#peerRecord(id, true);
      before = etagOf(record.generation);
      this.#checkIfMatch(`peer/${id}`, options, record.generation);
      return decide(record, version);
    });
  }

  registerPeer(principal: Principal, input: PeerRegistration, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
    const id = typeof input?.id === "string" ? input.id : "";
    let before: string | undefined;
    return this.#mutate({ principal, action: "registerPeer", target: `peer/${id}`, options, request: input, etagBefore: () => before }, async () => {
      requireSelfOrOperate(principal, id, "registerPeer");
      validateId("id", input.id);
      if (typeof input.address !== "string" || input.address === "") throw new ValidationError("address", "expected a non-empty address (host:port or URL)");
      const pools = validateStrings("pools", input.pools);
      const roles = validateStrings("roles", input.roles);
      if (roles.length === 0) throw new ValidationError("roles", "a peer serves at least one role");
      const labels = input.labels === undefined ? undefined : validateLabels(input.labels);
      const metadata = input.metadata === undefined ? undefined : validateObject("metadata", input.metadata);
      const now = this.#clock.now();
      const got = await this.#getForWrite(peerKey(id));
      const existing = got?.value as PeerRecord | undefined;
      if (existing === undefined) {
        const record: PeerRecord = {
          id,
          address: input.address,
          pools,
          roles,
          labels: labels ?? {},
          metadata: metadata ?? {},
          node: createNodeState(roles),
          cordonInfo: {},
          generation: 1,
          createdAt: now,
          updatedAt: now,
        };
        return this.#writePeer(undefined, 0, record);
      }
      before = etagOf(existing.generation);
      this.#checkIfMatch(`peer/${id}`, options, existing.generation);
      const next: PeerRecord = {
        ...existing,
        address: input.address,
        pools,
        roles,
        labels: labels ?? existing.labels,
        metadata: metadata ?? existing.metadata,
        node: reshapeNode(existing.node, roles),
      };
      if (same(next, existing)) return this.#keepPeer(existing);
      return this.#writePeer(existing, got!.version, { ...next, generation: existing.generation + 1, updatedAt: now });
    });
  }

  reportStatus(principal: Principal, id: string, report: StatusReport, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
    return this.#peerMutation(principal, "reportStatus", id, report, options, () => requireSelfOrOperate(principal, id, "reportStatus"), (record, version) => {
      const r = validateObject("status", report) as unknown as StatusReport;
      if (typeof r.epoch !== "number" || !Number.isInteger(r.epoch) || r.epoch < 0) throw new ValidationError("status.epoch", "expected the drain epoch the agent acted on (0 before any drain)");
      const roles = validateObject("status.roles", r.roles ?? {}) as StatusReport["roles"];
      const now = this.#clock.now();
      let node: NodeState = currentNode(record, now);
      // The agent's word moves a drain on only for the epoch it reports; older reports are ignored by the machine itself.
      for (const [role, s] of Object.entries(roles)) {
        if (node.roles[role] === undefined || typeof s !== "object" || s === null) continue;
        const event: NodeEvent | undefined =
          s.phase === "drained"
            ? { type: "drained", epoch: s.epoch, roles: [role] }
            : s.phase === "failed"
              ? { type: "fail", epoch: s.epoch, reason: r.reason ?? "reported failed by the agent", roles: [role] }
              : undefined;
        if (event === undefined) continue;
        const t = transitionNode(node, event, now);
        if (t.ok) node = t.state;
      }
      const placement = r.placement === undefined ? undefined : validatePlacement(r.placement);
      // The list lives under its own key, rewritten only when it changed: a heartbeat repeating it stays small in the store's history.
      // validatePlacement builds every entry as { id, owner? } in that order, so plain JSON is canonical here (and 7x cheaper on 10 000 entries).
      const hash = placement === undefined ? undefined : sha256(JSON.stringify(placement));
      const previousVersion = record.status?.placementVersion;
      const placementChanged = hash !== undefined && (hash !== record.placementHash || previousVersion === undefined);
      const placementVersion = placementChanged ? (previousVersion ?? 0) + 1 : previousVersion;
      const status = {
        roles,
        inFlight: r.inFlight ?? {},
        workloads: r.workloads ?? (placement === undefined ? { owners: 0, children: 0 } : countPlacement(placement)),
        ...(placementVersion === undefined ? {} : { placementVersion }),
        heartbeatAt: now,
        epoch: r.epoch,
        ...(r.reason === undefined ? {} : { reason: r.reason }),
      };
      const next: PeerRecord = { ...record, node, status, ...(hash === undefined ? {} : { placementHash: hash }), generation: record.generation + 1, updatedAt: now };
      const plan = this.#writePeer(record, version, next);
      if (!placementChanged) return plan;
      // Not compared on its own: it is only ever written together with the peer record, which is.
      const stored: Placement = { peer: id, items: placement!, version: placementVersion!, updatedAt: now };
      return { ...plan, puts: [{ key: placementKey(id), record: stored, readVersion: -1 }] };
    });
  }

  /** Pool members as the capacity guard reads them, at `now`. */
  async #fleet(now: number, override: PeerRecord): Promise<PoolMember[]> {
    const staleAfter = Number((await this.#config(true)).config.values["heartbeat.staleAfterMs"] ?? 30_000);
    const members: PoolMember[] = [];
    for (const item of (await this.#listForWrite("peers/")).items) {
      const record = item.value as PeerRecord;
      const peer = toPeer(record.id === override.id ? override : record, now);
      const stale = peer.status !== undefined && now - peer.status.heartbeatAt > staleAfter;
      members.push({ id: peer.id, pools: peer.pools, phase: peer.phase, roles: peer.phases, ...(stale ? { healthy: false } : {}) });
    }
    return members;
  }

  cordon(principal: Principal, id: string, input: CordonInput, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
    return this.#peerMutation(principal, "cordon", id, input, options, () => requireScope(principal, "mesh.operate", "cordon"), async (record, version) => {
      const reason = validateReason(input?.reason ?? options.reason);
      const owner = input.owner ?? principal.id;
      if (input.expiresAt !== undefined && typeof input.expiresAt !== "number") throw new ValidationError("expiresAt", "expected epoch milliseconds");
      const now = this.#clock.now();
      const t = transitionNode(record.node, { type: "cordon", owner, reason, ...(input.expiresAt === undefined ? {} : { expiresAt: input.expiresAt }) }, now);
      if (!t.ok) throw t.error;
      if (!t.changed) return this.#keepPeer(record);
      // Only a budget on one of its pools can refuse a cordon; skip reading the fleet otherwise.
      if (this.#guard.poolsOf(record).length > 0) {
        const decision = this.#guard.admit({ nodes: await this.#fleet(now, record) }, { kind: "cordon", node: id });
        if (decision.outcome !== "allowed") throw decision.error;
      }
      const ticket = input.ticket ?? options.ticket;
      const cordonInfo = { ...record.cordonInfo, [owner]: { at: now, ...(ticket === undefined ? {} : { ticket }) } };
      return this.#writePeer(record, version, { ...record, node: t.state, cordonInfo, generation: record.generation + 1, updatedAt: now });
    });
  }

  uncordon(principal: Principal, id: string, input: UncordonInput = {}, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
    return this.#peerMutation(principal, "uncordon", id, input, options, () => requireScope(principal, "mesh.operate", "uncordon"), (record, version) => {
      const owner = input.owner ?? principal.id;
      const now = this.#clock.now();
      const t = transitionNode(record.node, { type: "uncordon", owner }, now);
      if (!t.ok) throw t.error;
      if (!t.changed) return this.#keepPeer(record);
      const { [owner]: _dropped, ...cordonInfo } = record.cordonInfo;
      return this.#writePeer(record, version, { ...record, node: t.state, cordonInfo, generation: record.generation + 1, updatedAt: now });
    });
  }

  drain(principal: Principal, id: string, input: DrainInput, options: MutationOptions = {}): Promise<MutationOutcome<DrainStatus>> {
    const force = input?.force === true;
    return this.#peerMutation<DrainStatus>(
      principal,
      "drain",
      id,
      input,
      options,
      () => {
        requireScope(principal, force ? "mesh.admin" : "mesh.operate", force ? "forced drain" : "drain");
        if (force && options.confirm !== true) throw new ConfirmationRequiredError("forced drain");
      },
      async (record, version) => {
        const reason = validateReason(input.reason ?? options.reason);
        const roles = input.roles === undefined ? record.roles : validateStrings("roles", input.roles);
        const now = this.#clock.now();
        let deadline = input.deadline;
        if (deadline === undefined) {
          const relative = input.deadlineMs ?? Number((await this.#config(true)).config.values["drain.defaultDeadlineMs"] ?? 300_000);
          deadline = now + relative;
        }
        if (typeof deadline !== "number" || !Number.isFinite(deadline) || deadline <= now) throw new ValidationError("deadline", "must be in the future");
        const t = transitionNode(record.node, { type: "drain", reason, deadline, owner: principal.id, roles }, now);
        if (!t.ok) throw t.error;
        const statusOf = (r: PeerRecord): DrainStatus => drainStatusOf(toPeer(r, now));
        if (!t.changed) return { write: false, etag: etagOf(record.generation), result: statusOf(record) };
        const starts = t.state.epoch > record.node.epoch;
        let forced = false;
        if (starts) {
          const fleet = await this.#fleet(now, record);
          if (!force) this.#refuseOnlySchedulable(id, roles, fleet);
          const decision = this.#guard.admit({ nodes: fleet }, { kind: "drain", node: id, ...(force ? { force: { reason } } : {}) });
          if (decision.outcome !== "allowed") throw decision.error;
          forced = decision.forced;
        }
        const ticket = input.ticket ?? options.ticket;
        const drain = starts
          ? {
              epoch: t.state.epoch,
              deadline,
              roles,
              reason,
              ...(ticket === undefined ? {} : { ticket }),
              requestedAt: now,
              requestedBy: principal.id,
              ...(forced ? { forced: true } : {}),
            }
          : record.drain;
        const next: PeerRecord = { ...record, node: t.state, ...(drain === undefined ? {} : { drain }), generation: record.generation + 1, updatedAt: now };
        return { write: true, key: peerKey(id), readVersion: version, record: next, etagBefore: etagOf(record.generation), etagAfter: etagOf(next.generation), result: statusOf(next) };
      },
    );
  }

  /** Refuses to take away the last node that still accepts new work for a role. */
  #refuseOnlySchedulable(id: string, roles: readonly string[], fleet: readonly PoolMember[]): void {
    for (const role of roles) {
      const self = fleet.find((m) => m.id === id);
      if (self?.roles?.[role] !== "active") continue;
      const others = fleet.some((m) => m.id !== id && m.healthy !== false && m.roles?.[role] === "active");
      if (!others) throw new OnlySchedulableNodeError(id, role);
    }
  }

  resume(principal: Principal, id: string, input: ResumeInput = {}, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
    return this.#peerMutation(principal, "resume", id, input, options, () => requireScope(principal, "mesh.operate", "resume"), (record, version) => {
      const now = this.#clock.now();
      const t = transitionNode(record.node, { type: "resume" }, now);
      if (!t.ok) throw t.error;
      if (!t.changed) return this.#keepPeer(record);
      const { drain: _ended, ...rest } = record;
      const stillHeld = Object.values(t.state.roles).some((r) => r.drain !== undefined && r.drain.epoch === record.drain?.epoch);
      const base: PeerRecord = stillHeld ? record : rest;
      return this.#writePeer(record, version, { ...base, node: t.state, cordonInfo: {}, generation: record.generation + 1, updatedAt: now });
    });
  }

  reportDrainStalled(principal: Principal, id: string, report: DrainStallReport, options: MutationOptions = {}): Promise<MutationOutcome<Peer>> {
    return this.#peerMutation(principal, "drainStalled", id, report, options, () => requireScope(principal, "mesh.operate", "drainStalled"), (record, version) => {
      const r = validateObject("report", report) as unknown as DrainStallReport;
      if (!Number.isInteger(r.epoch) || r.epoch < 0) throw new ValidationError("epoch", "expected the drain's epoch, a whole number");
      const drain = record.drain;
      if (drain === undefined || drain.epoch !== r.epoch) return this.#keepPeer(record);
      const now = this.#clock.now();
      const workloads = r.workloads === undefined ? [] : validateStrings("workloads", r.workloads).slice(0, 20);
      const reason = r.reason === undefined ? undefined : validateReason(r.reason);
      const stalled: DrainStall | undefined =
        reason === undefined ? undefined : { reason, workloads, since: drain.stalled?.reason === reason ? drain.stalled.since : now };
      if (stalled?.reason === drain.stalled?.reason && same(stalled?.workloads, drain.stalled?.workloads)) return this.#keepPeer(record);
      const { stalled: _was, ...rest } = drain;
      const next: DrainSpec = stalled === undefined ? rest : { ...rest, stalled };
      return this.#writePeer(record, version, { ...record, drain: next, generation: record.generation + 1, updatedAt: now });
    });
  }

  patchPeer(principal: Principal, id: string, patch: PeerPatch, options: MutationOptions): Promise<MutationOutcome<Peer>> {
    return this.#peerMutation(
      principal,
      "patchPeer",
      id,
      patch,
      options,
      () => {
        requireScope(principal, "mesh.operate", "patchPeer");
        if (options?.ifMatch === undefined) throw new PreconditionRequiredError("patchPeer");
      },
      (record, version) => {
        const p = validateObject("patch", patch) as PeerPatch;
        let labels = record.labels;
        if (p.labels !== undefined) {
          const l = validateObject("labels", p.labels);
          if (!Object.values(l).every((v) => v === null || typeof v === "string")) throw new ValidationError("labels", "label values are strings (null deletes)");
          labels = mergePatch(record.labels, l) as Record<string, string>;
        }
        const metadata = p.metadata === undefined ? record.metadata : (mergePatch(record.metadata, validateObject("metadata", p.metadata)) as Record<string, unknown>);
        if (same(labels, record.labels) && same(metadata, record.metadata)) return this.#keepPeer(record);
        return this.#writePeer(record, version, { ...record, labels, metadata, generation: record.generation + 1, updatedAt: this.#clock.now() });
      },
    );
  }

  // --------------------------------------------------- clusters, config

  #clusterMutation(principal: Principal, action: "promote" | "demote", id: string, options: MutationOptions): Promise<MutationOutcome<Cluster>> {
    let before: string | undefined;
    return this.#mutate({ principal, action, target: `cluster/${id}`, options, request: { id }, etagBefore: () => before }, async () => {
      requireScope(principal, "mesh.admin", action);
      if (action === "demote" && options.confirm !== true) throw new ConfirmationRequiredError("demote");
      const all = await this.#clusters(true);
      const current = all.get(id);
      if (current === undefined) throw new NotFoundError("cluster", id);
      before = etagOf(current.cluster.version);
      this.#checkIfMatch(`cluster/${id}`, options, current.cluster.version);
      const role: ClusterRole = action === "promote" ? "active" : "backup";
      if (current.cluster.role === role) return { write: false, etag: etagOf(current.cluster.version), result: current.cluster };
      if (action === "demote" && ![...all.values()].some((c) => c.cluster.id !== id && c.cluster.role === "active")) throw new LastActiveClusterError(id);
      const record: ClusterRecord = { id, role, state: role === "active" ? "serving" : "standby", generation: current.cluster.version + 1 };
      const cluster: Cluster = { id, role, state: record.state, version: record.generation };
      return { write: true, key: clusterKey(id), readVersion: current.version, record, etagBefore: etagOf(current.cluster.version), etagAfter: etagOf(record.generation), result: cluster };
    });
  }

  promote(principal: Principal, clusterId: string, options: MutationOptions = {}): Promise<MutationOutcome<Cluster>> {
    return this.#clusterMutation(principal, "promote", clusterId, options);
  }

  demote(principal: Principal, clusterId: string, options: MutationOptions = {}): Promise<MutationOutcome<Cluster>> {
    return this.#clusterMutation(principal, "demote", clusterId, options);
  }

  patchConfig(principal: Principal, patch: Readonly<Record<string, unknown>>, options: MutationOptions = {}): Promise<MutationOutcome<RegistryConfig>> {
    let before: string | undefined;
    return this.#mutate({ principal, action: "patchConfig", target: "config", options, request: patch, etagBefore: () => before }, async () => {
      requireScope(principal, "mesh.admin", "patchConfig");
      if (options.confirm !== true) throw new ConfirmationRequiredError("patchConfig");
      const { config, overrides, version } = await this.#config(true);
      before = etagOf(config.version);
      this.#checkIfMatch("config", options, config.version);
      const next = applyConfigPatch(this.#schema, overrides, patch);
      if (same(next, overrides)) return { write: false, etag: etagOf(config.version), result: config };
      const record: ConfigRecord = { overrides: next, generation: config.version + 1 };
      const value: RegistryConfig = { values: { ...configDefaults(this.#schema), ...next }, version: record.generation };
      return { write: true, key: CONFIG_KEY, readVersion: version, record, etagBefore: etagOf(config.version), etagAfter: etagOf(record.generation), result: value };
    });
  }

  // ---------------------------------------------------------- rollouts

  async #rollouts(forWrite = false): Promise<{ rollout: Rollout; version: number }[]> {
    const { items } = forWrite ? await this.#listForWrite("rollouts/") : await this.#list("rollouts/");
    return items.map((i) => ({ rollout: i.value as Rollout, version: i.version })).sort((a, b) => a.rollout.createdAt - b.rollout.createdAt || (a.rollout.id < b.rollout.id ? -1 : 1));
  }

  async getRollout(principal: Principal, id?: string): Promise<Rollout> {
    requireScope(principal, "mesh.read", "getRollout");
    if (id !== undefined) {
      const got = ID_PATTERN.test(id) ? await this.#get(rolloutKey(id)) : undefined;
      if (got === undefined) throw new NotFoundError("rollout", id);
      return got.value as Rollout;
    }
    const all = await this.#rollouts();
    const latest = all.at(-1);
    if (latest === undefined) throw new NotFoundError("rollout");
    return latest.rollout;
  }

  async listRollouts(principal: Principal): Promise<readonly Rollout[]> {
    requireScope(principal, "mesh.read", "listRollouts");
    return (await this.#rollouts()).map((r) => r.rollout);
  }

  startRollout(principal: Principal, input: RolloutStartInput, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
    const now = this.#clock.now();
    // A retry under the same Idempotency-Key must name the same rollout, so the id derives from it.
    const id =
      options.idempotencyKey !== undefined
        ? `ro-${sha256(`${principal.id}\u0000${options.idempotencyKey}`).slice(0, 12)}`
        : `ro-${now.toString(36)}-${this.#random.int(0, 0x7fffffff).toString(36)}`;
    return this.#mutate({ principal, action: "startRollout", target: `rollout/${id}`, options, request: input }, async () => {
      requireScope(principal, "mesh.operate", "startRollout");
      const existing = await this.#rollouts(true);
      const same = existing.find((r) => r.rollout.id === id);
      if (same !== undefined) return { write: false, etag: etagOf(same.rollout.generation), result: same.rollout };
      const running = existing.find((r) => rolloutActive(r.rollout));
      if (running !== undefined) throw new RolloutInProgressError(running.rollout.id, running.rollout.state);
      const staleAfter = Number((await this.#config(true)).config.values["heartbeat.staleAfterMs"] ?? 30_000);
      const peers = (await this.#listForWrite("peers/")).items.map((i) => toPeer(i.value as PeerRecord, now));
      const rollout = planNewRollout(id, { ...input, reason: input?.reason ?? options.reason ?? "", ...(input?.ticket ?? options.ticket ? { ticket: (input?.ticket ?? options.ticket)! } : {}) }, peers, this.#pools, staleAfter, principal.id, now);
      return { write: true, key: rolloutKey(id), readVersion: 0, record: rollout, etagAfter: etagOf(rollout.generation), result: rollout };
    });
  }

  /** Operator verbs on a rollout: `id` or, when omitted, the latest one. */
  #rolloutMutation(
    principal: Principal,
    action: string,
    id: string | undefined,
    request: unknown,
    options: MutationOptions,
    authorize: () => void,
    decide: (r: Rollout) => Rollout | undefined,
  ): Promise<MutationOutcome<Rollout>> {
    let before: string | undefined;
    return this.#resolveRolloutId(id).then((resolved) =>
      this.#mutate({ principal, action, target: `rollout/${resolved ?? id ?? "latest"}`, options, request, etagBefore: () => before }, async () => {
        authorize();
        if (resolved === undefined) throw new NotFoundError("rollout", id);
        const got = await this.#getForWrite(rolloutKey(resolved));
        if (got === undefined) throw new NotFoundError("rollout", resolved);
        const current = got.value as Rollout;
        before = etagOf(current.generation);
        this.#checkIfMatch(`rollout/${resolved}`, options, current.generation);
        const next = decide(current);
        if (next === undefined) return { write: false, etag: etagOf(current.generation), result: current };
        return { write: true, key: rolloutKey(resolved), readVersion: got.version, record: next, etagBefore: before, etagAfter: etagOf(next.generation), result: next };
      }),
    );
  }

  async #resolveRolloutId(id: string | undefined): Promise<string | undefined> {
    if (id !== undefined) return ID_PATTERN.test(id) ? id : undefined;
    try {
      return (await this.#rollouts()).at(-1)?.rollout.id;
    } catch {
      return undefined;
    }
  }

  pauseRollout(principal: Principal, id: string | undefined, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
    return this.#rolloutMutation(principal, "pauseRollout", id, { id }, options, () => requireScope(principal, "mesh.operate", "pauseRollout"), (r) =>
      applyRolloutVerb(r, "pause", options.reason ?? "paused by operator", this.#clock.now()),
    );
  }

  resumeRollout(principal: Principal, id: string | undefined, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
    return this.#rolloutMutation(principal, "resumeRollout", id, { id }, options, () => requireScope(principal, "mesh.operate", "resumeRollout"), (r) =>
      applyRolloutVerb(r, "resume", options.reason, this.#clock.now()),
    );
  }

  abortRollout(principal: Principal, id: string | undefined, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
    return this.#rolloutMutation(
      principal,
      "abortRollout",
      id,
      { id },
      options,
      () => {
        requireScope(principal, "mesh.operate", "abortRollout");
        if (options.confirm !== true) throw new ConfirmationRequiredError("abortRollout");
      },
      (r) => applyRolloutVerb(r, "abort", options.reason ?? "aborted by operator", this.#clock.now()),
    );
  }

  recordRolloutStep(principal: Principal, id: string, step: RolloutStep, options: MutationOptions = {}): Promise<MutationOutcome<Rollout>> {
    return this.#rolloutMutation(principal, "rolloutStep", id, step, options, () => requireScope(principal, "mesh.operate", "rolloutStep"), (r) =>
      applyRolloutStep(r, step, this.#clock.now()),
    );
  }

  // --------------------------------------------------------- placement

  async getPlacement(principal: Principal, id: string): Promise<Placement> {
    // A peer's own agent reads what the registry holds for it; everyone else needs mesh.read.
    if (!(hasScope(principal, "mesh.agent") && principal.id === id)) requireScope(principal, "mesh.read", "getPlacement");
    validateId("id", id);
    await this.#peerRecord(id);
    const got = await this.#get(placementKey(id));
    return (got?.value as Placement | undefined) ?? { peer: id, items: [], version: 0, updatedAt: 0 };
  }

  async listPlacements(principal: Principal): Promise<readonly Placement[]> {
    requireScope(principal, "mesh.read", "listPlacements");
    const { items } = await this.#list("placement/");
    return items.map((i) => i.value as Placement);
  }

  // ------------------------------------------------------------- moves

  async #moves(forWrite = false): Promise<{ move: WorkloadMove; version: number }[]> {
    const { items } = forWrite ? await this.#listForWrite("moves/") : await this.#list("moves/");
    return items.map((i) => ({ move: i.value as WorkloadMove, version: i.version })).sort((a, b) => a.move.createdAt - b.move.createdAt || (a.move.id < b.move.id ? -1 : 1));
  }

  async listMoves(principal: Principal, query: MoveQuery = {}): Promise<readonly WorkloadMove[]> {
    // mesh.agent implies mesh.read for peers, but an agent sees only the moves it takes part in.
    const seesAll = hasScope(principal, "mesh.operate") || principal.scopes.includes("mesh.read");
    if (!seesAll) requireScope(principal, "mesh.agent", "listMoves");
    const q = validateMoveQuery(query);
    return (await this.#moves())
      .map((m) => m.move)
      .filter((m) => (seesAll || m.from === principal.id || m.to === principal.id) && matchesMoveQuery(m, q));
  }

  planMove(principal: Principal, plan: MovePlan, options: MutationOptions = {}): Promise<MutationOutcome<WorkloadMove>> {
    const id = typeof plan?.id === "string" ? plan.id : "";
    let before: string | undefined;
    return this.#mutate({ principal, action: "planMove", target: `move/${id}`, options, request: plan, etagBefore: () => before }, async () => {
      requireScope(principal, "mesh.operate", "planMove");
      const p = validateMovePlan(plan, validateId);
      const got = await this.#getForWrite(moveKey(p.id));
      const existing = got?.value as WorkloadMove | undefined;
      if (existing !== undefined) {
        before = etagOf(existing.generation);
        this.#checkIfMatch(`move/${p.id}`, options, existing.generation);
        if (!samePlan(planOf(existing), p)) throw new MovePlanConflictError(p.id);
        return { write: false, etag: etagOf(existing.generation), result: existing };
      }
      if (options.ifMatch !== undefined && options.ifMatch !== "*") this.#checkIfMatch(`move/${p.id}`, options, 0);
      for (const peer of [p.from, p.to]) {
        if ((await this.#getForWrite(peerKey(peer))) === undefined) throw new NotFoundError("peer", peer);
      }
      const move = newMove(p, principal.id, this.#clock.now());
      return { write: true, key: moveKey(p.id), readVersion: 0, record: move, etagAfter: etagOf(move.generation), result: move };
    });
  }

  reportMove(principal: Principal, id: string, report: MoveReport, options: MutationOptions = {}): Promise<MutationOutcome<WorkloadMove>> {
    let before: string | undefined;
    return this.#mutate({ principal, action: "reportMove", target: `move/${id}`, options, request: report, etagBefore: () => before }, async () => {
      if (!hasScope(principal, "mesh.operate")) requireScope(principal, "mesh.agent", "reportMove");
      const r = validateMoveReport(report);
      const got = ID_PATTERN.test(id) ? await this.#getForWrite(moveKey(id)) : undefined;
      if (got === undefined) throw new NotFoundError("move", id);
      const move = got.value as WorkloadMove;
      before = etagOf(move.generation);
      authorizeMoveReport(principal, move, r.state);
      this.#checkIfMatch(`move/${id}`, options, move.generation);
      const next = applyMoveReport(move, r, this.#clock.now());
      if (next === undefined) return { write: false, etag: etagOf(move.generation), result: move };
      return { write: true, key: moveKey(id), readVersion: got.version, record: next, etagBefore: before, etagAfter: etagOf(next.generation), result: next };
    });
  }

  pruneMoves(principal: Principal, input: { readonly before: number }, options: MutationOptions = {}): Promise<MutationOutcome<{ readonly deleted: number; readonly remaining: number }>> {
    return this.#mutate({ principal, action: "pruneMoves", target: "moves", options, request: input }, async () => {
      requireScope(principal, "mesh.operate", "pruneMoves");
      const cutoff = (input as { before?: unknown } | undefined)?.before;
      if (typeof cutoff !== "number" || !Number.isFinite(cutoff)) throw new ValidationError("before", "expected epoch milliseconds");
      const due = (await this.#moves(true)).filter(({ move }) => (move.state === "done" || move.state === "failed") && move.updatedAt < cutoff);
      const now = due.slice(0, PRUNE_LIMIT);
      const result = { deleted: now.length, remaining: due.length - now.length };
      if (now.length === 0) return { write: false, etag: '"0"', result };
      return { write: true, deletes: now.map(({ move, version }) => ({ key: moveKey(move.id), readVersion: version })), etagAfter: '"0"', result };
    });
  }

  // ------------------------------------------------------- idempotency

  /** Records written before this may go: never one still inside its TTL (one written `ttl` ago or earlier no longer counts). */
  #sweepCutoff(before: number): number {
    return Math.min(before, this.#clock.now() - this.#idempotencyTtlMs + 1);
  }

  /** Time-index entries of records written before `cutoff`, oldest first, at most `max`: reads no further than that. */
  async #dueIdempotency(cutoff: number, max: number): Promise<Versioned[]> {
    const end = `${IDEM_BY_TIME}${String(Math.max(0, Math.ceil(cutoff))).padStart(15, "0")}`;
    const { items } = await this.#list(IDEM_BY_TIME, { limit: max });
    const due: Versioned[] = [];
    for (const item of items) {
      if (item.key >= end || due.length === max) break;
      due.push(item);
    }
    return due;
  }

  /**
   * Queues records written before they carried `at` (they never replay and
   * have no time index entry): pages through `idem/` once per registry, up
   * to {@link LEGACY_QUEUE} at a time.
   */
  async #findLegacyIdempotency(): Promise<void> {
    while (this.#legacyIdempotency.size < LEGACY_QUEUE && this.#legacyScanFrom !== undefined) {
      const from = this.#legacyScanFrom;
      const { items } = await this.#list("idem/", { startAfter: from, limit: 1_000 });
      const page = items.filter((i) => i.key > from);
      for (const item of page) if (typeof (item.value as IdempotencyRecord | null)?.at !== "number") this.#legacyIdempotency.add(item.key);
      this.#legacyScanFrom = page.length === 0 || items.length !== 1_000 ? undefined : page[page.length - 1]!.key;
    }
  }

  async sweepIdempotency(principal: Principal, input: { readonly before: number }, options: MutationOptions = {}): Promise<MutationOutcome<IdempotencySweep>> {
    const before = (input as { before?: unknown } | undefined)?.before;
    const valid = typeof before === "number" && Number.isFinite(before);
    if (valid && hasScope(principal, "mesh.admin") && options.dryRun !== true) {
      await this.#findLegacyIdempotency();
      // Finding nothing due is housekeeping with nothing to record: no write, no audit entry.
      if (this.#legacyIdempotency.size === 0 && (await this.#dueIdempotency(this.#sweepCutoff(before), 1)).length === 0) {
        return { value: { deleted: 0, remaining: 0 }, etag: '"0"', changed: false, auditId: "" };
      }
    }
    /** Legacy records this sweep deletes: out of the queue once committed. */
    let taken: string[] = [];
    const onCommitted = (): void => {
      for (const key of taken) this.#legacyIdempotency.delete(key);
    };
    return this.#mutate({ principal, action: "sweepIdempotency", target: "idempotency", options, request: input, onCommitted }, async () => {
      requireScope(principal, "mesh.admin", "sweepIdempotency");
      if (!valid) throw new ValidationError("before", "expected epoch milliseconds");
      const now = this.#clock.now();
      const due = await this.#dueIdempotency(this.#sweepCutoff(before), SWEEP_LIMIT + SWEEP_COUNT_CAP);
      const batch = due.slice(0, SWEEP_LIMIT);
      const deletes: { key: string; readVersion: number }[] = [];
      let deleted = 0;
      for (const entry of batch) {
        deletes.push({ key: entry.key, readVersion: entry.version });
        const key = (entry.value as { key?: unknown } | null)?.key;
        if (typeof key !== "string" || !key.startsWith("idem/")) continue;
        const got = await this.#getForWrite(key);
        const record = got?.value as IdempotencyRecord | undefined;
        // Only the record this entry indexes, once it no longer counts: a key reused since carries a newer `at`.
        if (got === undefined || typeof record?.at !== "number" || idemTimeKey(record.at, key) !== entry.key || this.#idempotencyLive(record, now)) continue;
        deletes.push({ key, readVersion: got.version });
        deleted++;
      }
      await this.#findLegacyIdempotency();
      taken = [...this.#legacyIdempotency].slice(0, SWEEP_LIMIT - batch.length);
      for (const key of taken) {
        const got = await this.#getForWrite(key);
        if (got === undefined || typeof (got.value as IdempotencyRecord).at === "number") continue;
        deletes.push({ key, readVersion: got.version });
        deleted++;
      }
      // A scan still under way may queue more: at least one more call is due then.
      const legacyLeft = this.#legacyIdempotency.size - taken.length + (this.#legacyScanFrom === undefined ? 0 : 1);
      const result: IdempotencySweep = { deleted, remaining: Math.min(SWEEP_COUNT_CAP, due.length - batch.length + legacyLeft) };
      if (deletes.length === 0) {
        // Only stale queue entries (reused or deleted since the scan): drop them.
        if (options.dryRun !== true) onCommitted();
        return { write: false, etag: '"0"', result };
      }
      return { write: true, deletes, etagAfter: '"0"', result };
    });
  }
}

function errorRecord(error: unknown): NonNullable<IdempotencyRecord["error"]> {
  if (isDrainkitError(error)) return { code: error.code, message: error.message, retryable: error.retryable, details: error.details };
  return { code: "internal", message: error instanceof Error ? error.message : String(error), retryable: false, details: {} };
}

/**
 * Builds a {@link Registry} over a store. Pure apart from the store: time and
 * randomness come from the `clock` and `random` you pass, so the simulator
 * can run it on virtual time.
 *
 * @example
 * import { makeMemoryStore, createRegistry } from "@drainkit/registry";
 * import { systemClock } from "@drainkit/core";
 *
 * const registry = createRegistry({
 *   store: makeMemoryStore(),
 *   clock: systemClock(),
 *   pools: [{ name: "web", minAvailable: 2 }],
 * });
 * const ops = { id: "alice", scopes: ["mesh.operate"] } as const;
 * await registry.registerPeer(ops, { id: "web-1", address: "10.0.0.1:8080", pools: ["web"], roles: ["edge"] });
 * await registry.cordon(ops, "web-1", { reason: "kernel upgrade" }, { idempotencyKey: "req-1" });
 */
export function createRegistry(options: RegistryOptions): Registry {
  return new StoreRegistry(options);
}
