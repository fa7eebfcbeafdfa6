// @ts-nocheck
import type { Clock } from "@drainkit/core";
import { APPROVALS, AUDIT, CLUSTERS, CONFIG_KEY, MOVES, PEERS, PLACEMENTS, POOLS, ROLLOUTS } from "./keys.ts";
import { poolOf, type PoolRecord } from "./pools.ts";
import type { MoveChange, WorkloadMove } from "./moves.ts";
import { toPeer, type PeerRecord } from "./peerRecord.ts";
import type { ChangeFeed } from "./roles.ts";
import type { Rollout, RolloutChange } from "./rollouts.ts";
import type { RegistryStore } from "./store.ts";
import type { Approval, ApprovalChange } from "./types/approval.ts";
import type { AuditEntry } from "./types/audit.ts";
import type { RegistryChange } from "./types/change.ts";
import type { ConfigSchema } from "./types/config.ts";
import type { Placement, PlacementChange } from "./types/placement.ts";
import { clusterOf, type ClusterRecord } from "./verbs/clusterVerbs.ts";
import { configOf, type ConfigRecord } from "./verbs/configVerbs.ts";

type AnyChange = RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange;

/** What the change feed reads: the store's own watch, the clock peers are viewed at, the config schema for defaults. */
export interface ChangeFeedOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly schema: ConfigSchema;
}

/**
 * The registry's change feed: the store's key changes as registry values
 * (a peer as callers see it, a cluster, the config with its defaults). `watch`
 * carries peers, clusters, config, pools and audit; `watchAll` also rollouts,
 * moves, placements and approvals.
 */
export function changeFeed({ store, clock, schema }: ChangeFeedOptions): ChangeFeed {
  const watch = (fromRevision: number, onChange: (change: AnyChange) => void, onError: ((error: Error) => void) | undefined, all: boolean): { close(): void } =>
    store.watch(
      "",
      fromRevision,
      (c) => {
        const { key, revision } = c;
        if (key.startsWith(PEERS)) {
          const id = key.slice(PEERS.length);
          onChange({ revision, kind: "peer", id, value: c.value === undefined ? undefined : toPeer(c.value as PeerRecord, clock.now()) });
        } else if (key.startsWith(CLUSTERS)) {
          const r = c.value as ClusterRecord | undefined;
          onChange({ revision, kind: "cluster", id: key.slice(CLUSTERS.length), value: r === undefined ? undefined : clusterOf(r) });
        } else if (key === CONFIG_KEY) {
          onChange({ revision, kind: "config", id: "config", value: configOf(schema, c.value as ConfigRecord | undefined) });
        } else if (key.startsWith(POOLS)) {
          const r = c.value as PoolRecord | undefined;
          onChange({ revision, kind: "pool", id: key.slice(POOLS.length), value: r === undefined ? undefined : poolOf(r) });
        } else if (key.startsWith(AUDIT)) {
          const entry = c.value as AuditEntry | undefined;
          onChange({ revision, kind: "audit", id: entry?.id ?? key.slice(AUDIT.length), value: entry });
        } else if (all && key.startsWith(ROLLOUTS)) {
          onChange({ revision, kind: "rollout", id: key.slice(ROLLOUTS.length), value: c.value as Rollout | undefined });
        } else if (all && key.startsWith(MOVES)) {
          onChange({ revision, kind: "move", id: key.slice(MOVES.length), value: c.value as WorkloadMove | undefined });
        } else if (all && key.startsWith(APPROVALS)) {
          onChange({ revision, kind: "approval", id: key.slice(APPROVALS.length), value: c.value as Approval | undefined });
        } else if (all && key.startsWith(PLACEMENTS)) {
          onChange({ revision, kind: "placement", id: key.slice(PLACEMENTS.length), value: c.value as Placement | undefined });
        }
      },
      onError,
    );
  return {
    watch: (fromRevision, onChange, onError) => watch(fromRevision, onChange as (change: AnyChange) => void, onError, false),
    watchAll: (fromRevision, onChange, onError) => watch(fromRevision, onChange, onError, true),
  };
}
