import { CapacityGuard, noopMetrics, nullEventSink, silentLogger, systemRandom, type Clock, type EventSink, type Logger, type Metrics, type PoolBudget, type Random } from "@drainkit/core";
import type { AuditSigner } from "./audit/checkpoint.ts";
import type { RefusalLimit } from "./audit/refusalLimiter.ts";
import { defaultConfigSchema } from "./config.ts";
import { ValidationError } from "./errors.ts";
import { GroupCommit, type RegistryEvent } from "./GroupCommit.ts";
import { DEFAULT_IDEMPOTENCY_TTL_MS, idempotencySweeper } from "./idempotency.ts";
import type { Mutate } from "./plan.ts";
import type { Registry } from "./roles.ts";
import type { RegistryStore } from "./store.ts";
import { StoreView } from "./StoreView.ts";
import type { ConfigSchema } from "./types/config.ts";
import { approvalVerbs } from "./verbs/approvalVerbs.ts";
import { auditVerbs } from "./verbs/auditVerbs.ts";
import { clusterVerbs, type DeclaredCluster } from "./verbs/clusterVerbs.ts";
import { configVerbs } from "./verbs/configVerbs.ts";
import { drainVerbs } from "./verbs/drainVerbs.ts";
import { moveVerbs } from "./verbs/moveVerbs.ts";
import { peerVerbs } from "./verbs/peerVerbs.ts";
import { placementVerbs } from "./verbs/placementVerbs.ts";
import { poolVerbs } from "./verbs/poolVerbs.ts";
import type { RegistryContext } from "./verbs/RegistryContext.ts";
import { rolloutVerbs } from "./verbs/rolloutVerbs.ts";
import { livenessVerbs } from "./verbs/livenessVerbs.ts";
import { routerVerbs } from "./verbs/routerVerbs.ts";
import { changeFeed } from "./changeFeed.ts";

export type { DeclaredCluster, RegistryEvent };

/** Options of {@link createRegistry}: ports first, then settings. */
export interface RegistryOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  /** For audit ids and retry jitter; seeded from the OS when omitted. */
  readonly random?: Random;
  /**
   * Budgets of pools the store does not hold (embedded use and tests): a pool
   * written through `putPool` replaces the one declared here, for every
   * registry on the store. `drainkit serve` never passes these: it writes its
   * `--pool` flags to the store once, so every replica reads the same budgets.
   */
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
   * Most mutations committed in one store transaction (group commit). Default:
   * 32 on a store with an operation limit per transaction (etcd's 128; a
   * batch is also cut before it would pass that limit), 512 on one without
   * (`maxTxnOps: Infinity`: memory, SQLite), where a commit (one fsync) costs
   * about the same for 30 mutations as for 500.
   */
  readonly batchLimit?: number;
  /**
   * How long an idempotency record counts, in ms; default 24 h. Reusing a key
   * after that is a fresh request, and `sweepIdempotency` deletes the record.
   */
  readonly idempotencyTtlMs?: number;
  /**
   * Signs audit checkpoints (`auditCheckpoint`, and the checkpoint retention
   * stores before pruning); see {@link auditSignerFromKey}. Keep its key
   * outside the store: a checkpoint signed with it proves the chain to
   * someone who can rewrite the store.
   */
  readonly auditSigner?: AuditSigner;
  /** Limits of auditing unauthenticated refusals one by one (default 60 per minute, the rest summed). */
  readonly refusalLimit?: RefusalLimit;
}

/**
 * Builds a {@link Registry} over a store. Pure apart from the store: time and
 * randomness come from the `clock` and `random` you pass, so the simulator
 * can run it on virtual time. It only wires: reads go through a
 * {@link StoreView}, every mutation through the one {@link GroupCommit}
 * writer, and each verb family (`verbs/*`) implements its roles.
 *
 * @example
 * import { makeMemoryStore, createRegistry } from "@drainkit/registry";
 * import { systemClock } from "@drainkit/core";
 *
 * const registry = createRegistry({
 *   store: makeMemoryStore(),
 *   clock: systemClock(),
 * });
 * const admin = { id: "alice", scopes: ["mesh.admin"] } as const;
 * await registry.putPool(admin, "web", { minAvailable: 2 });
 * const ops = { id: "alice", scopes: ["mesh.operate"] } as const;
 * await registry.registerPeer(ops, { id: "web-1", address: "10.0.0.1:8080", pools: ["web"], roles: ["edge"] });
 * await registry.cordon(ops, "web-1", { reason: "kernel upgrade" }, { idempotencyKey: "req-1" });
 */
export function createRegistry(options: RegistryOptions): Registry {
  const { store, clock } = options;
  const random = options.random ?? systemRandom();
  const metrics = options.metrics ?? noopMetrics;
  const schema = options.configSchema ?? defaultConfigSchema;
  const ttl = options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  if (typeof ttl !== "number" || !(ttl > 0)) throw new ValidationError("idempotencyTtlMs", "expected a duration in ms > 0");
  // Built before the writer, as before the split, so metrics register in the same order.
  const guard = new CapacityGuard({ pools: [], metrics });
  const view = new StoreView(store);
  const writer = new GroupCommit({
    store,
    view,
    clock,
    random,
    logger: options.logger ?? silentLogger,
    metrics,
    events: options.events ?? nullEventSink,
    maxAttempts: options.maxAttempts ?? 32,
    batchLimit: Math.max(1, options.batchLimit ?? (store.maxTxnOps === Number.POSITIVE_INFINITY ? 512 : 32)),
    idempotencyTtlMs: ttl,
  });
  const mutate: Mutate = (attempt, plan) => writer.mutate(attempt, plan);
  const staleReports = metrics.counter("registry_stale_status_reports_total", "Agent status reports dropped because they were about an older drain epoch.");
  const unwritten = metrics.counter("audit_unwritten_total", "Attempts left without an audit entry: store-failure (logged) or suppressed (unauthenticated refusals past the limit, summed into one entry)");
  const ctx: RegistryContext = { clock, random, view, mutate, schema, staleReports, unwritten, declaredPools: options.pools ?? [] };
  const drains = drainVerbs(ctx, guard);
  const clusters = clusterVerbs(ctx, options.clusters ?? []);
  const config = configVerbs(ctx);
  const rollouts = rolloutVerbs(ctx);
  return {
    ...peerVerbs(ctx),
    ...drains,
    ...routerVerbs(ctx),
    ...livenessVerbs(ctx),
    ...clusters,
    ...config,
    ...auditVerbs(ctx, options.auditSigner, options.refusalLimit),
    ...changeFeed({ store, clock, schema }),
    ...placementVerbs(ctx),
    ...rollouts,
    ...poolVerbs(ctx),
    ...moveVerbs(ctx),
    // An approved change goes through the same verbs (and the same guard) as a direct one.
    ...approvalVerbs(ctx, { cordon: drains.cordon, drain: drains.drain, patchConfig: config.patchConfig, demote: clusters.demote, abortRollout: rollouts.abortRollout }, { idempotencyTtlMs: ttl }),
    ...idempotencySweeper({ view, mutate, clock, ttlMs: ttl }),
  };
}
