import type { Clock } from "@drainkit/core";
import { APPROVALS, AUDIT, CLUSTERS, CONFIG_KEY, MOVES, PEERS, PLACEMENTS, POOLS, ROLLOUTS } from "./keys.ts";
import { poolOf, type PoolRecord } from "./pools.ts";
import type { MoveChange, WorkloadMove } from "./moves.ts";
import { DEFAULT_STALE_AFTER_MS, livenessWindow, toPeer, type PeerRecord } from "./peerRecord.ts";
import type { ChangeFeed } from "./roles.ts";
import type { Rollout, RolloutChange } from "./rollouts.ts";
import type { Change, RegistryStore } from "./store.ts";
import type { Approval, ApprovalChange } from "./types/approval.ts";
import type { AuditEntry } from "./types/audit.ts";
import type { RegistryChange } from "./types/change.ts";
import type { ConfigSchema } from "./types/config.ts";
import type { Placement, PlacementChange } from "./types/placement.ts";
import { clusterOf, type ClusterRecord } from "./verbs/clusterVerbs.ts";
import { configOf, type ConfigRecord } from "./verbs/configVerbs.ts";

type AnyChange = RegistryChange | RolloutChange | MoveChange | PlacementChange | ApprovalChange;

/**
 * A peer change's view, shared by every feed of the process: several
 * registries on one store (control-plane replicas, the simulator's) are
 * handed the same change object, and a peer's view depends only on the
 * record, the clock millisecond and the liveness window, all checked on reuse.
 */
const peerViews = new WeakMap<Change, { readonly change: AnyChange; readonly at: number; readonly windowMs: number }>();

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
  /**
   * The liveness window (`heartbeat.staleAfterMs`) peers are judged with: read
   * from the store when the first watch starts, then followed through the
   * config changes the feed carries (only newer ones: a history replayed to a
   * late watcher never brings an old window back). Until it is known, a
   * watch holds its changes, in order, so none is judged with a window not in force.
   */
  let window: { readonly ms: number; readonly revision: number } | undefined;
  let loading: Promise<void> | undefined;
  const windowOf = (record: ConfigRecord | undefined): number => livenessWindow(configOf(schema, record).values);
  const learn = (ms: number, revision: number): void => {
    if (window === undefined || revision > window.revision) window = { ms, revision };
  };
  const load = (): Promise<void> =>
    (loading ??= store.get(CONFIG_KEY).then(
      (got) => learn(windowOf(got?.value as ConfigRecord | undefined), got?.version ?? 0),
      () => learn(DEFAULT_STALE_AFTER_MS, 0),
    ));
  /**
   * A store change as a registry change, or null when it is none (`all`:
   * rollouts, moves, approvals and placements too). Stores that hand every
   * watcher the same change object (memory, SQLite) get it converted once for
   * all watchers: a peer change seen by 1,000 watchers is one `toPeer`, and
   * (the same object downstream) one serialisation on the event feed. A
   * peer's liveness is read-time: its conversion is reused only within the
   * same clock millisecond and window (a history replayed later is viewed anew).
   */
  const converted = new WeakMap<Change, AnyChange | null>();
  const convert = (c: Change, windowMs: number): AnyChange | null => {
    const { key, revision } = c;
    if (key.startsWith(PEERS)) return { revision, kind: "peer", id: key.slice(PEERS.length), value: c.value === undefined ? undefined : toPeer(c.value as PeerRecord, clock.now(), windowMs) };
    if (key.startsWith(CLUSTERS)) {
      const r = c.value as ClusterRecord | undefined;
      return { revision, kind: "cluster", id: key.slice(CLUSTERS.length), value: r === undefined ? undefined : clusterOf(r) };
    }
    if (key === CONFIG_KEY) return { revision, kind: "config", id: "config", value: configOf(schema, c.value as ConfigRecord | undefined) };
    if (key.startsWith(POOLS)) {
      const r = c.value as PoolRecord | undefined;
      return { revision, kind: "pool", id: key.slice(POOLS.length), value: r === undefined ? undefined : poolOf(r) };
    }
    if (key.startsWith(AUDIT)) {
      const entry = c.value as AuditEntry | undefined;
      return { revision, kind: "audit", id: entry?.id ?? key.slice(AUDIT.length), value: entry };
    }
    if (key.startsWith(ROLLOUTS)) return { revision, kind: "rollout", id: key.slice(ROLLOUTS.length), value: c.value as Rollout | undefined };
    if (key.startsWith(MOVES)) return { revision, kind: "move", id: key.slice(MOVES.length), value: c.value as WorkloadMove | undefined };
    if (key.startsWith(APPROVALS)) return { revision, kind: "approval", id: key.slice(APPROVALS.length), value: c.value as Approval | undefined };
    if (key.startsWith(PLACEMENTS)) return { revision, kind: "placement", id: key.slice(PLACEMENTS.length), value: c.value as Placement | undefined };
    return null;
  };
  const ALL_ONLY: ReadonlySet<string> = new Set(["rollout", "move", "approval", "placement"]);
  const watch = (fromRevision: number, onChange: (change: AnyChange) => void, onError: ((error: Error) => void) | undefined, all: boolean): { close(): void } => {
    let held: Change[] | undefined = window === undefined ? [] : undefined;
    let closed = false;
    const deliver = (c: Change): void => {
      if (c.key === CONFIG_KEY) learn(windowOf(c.value as ConfigRecord | undefined), c.revision);
      const at = clock.now();
      const windowMs = window?.ms ?? DEFAULT_STALE_AFTER_MS;
      let change: AnyChange | null | undefined;
      if (c.key.startsWith(PEERS)) {
        const view = peerViews.get(c);
        if (view !== undefined && view.at === at && view.windowMs === windowMs) change = view.change;
        else {
          change = convert(c, windowMs)!;
          peerViews.set(c, { change, at, windowMs });
        }
      } else {
        change = converted.get(c);
        if (change === undefined) {
          change = convert(c, windowMs);
          converted.set(c, change);
        }
      }
      if (change !== null && change !== undefined && (all || !ALL_ONLY.has(change.kind))) onChange(change);
    };
    const handle = store.watch("", fromRevision, (c) => (held === undefined ? deliver(c) : void held.push(c)), onError);
    if (held !== undefined) {
      void load().then(() => {
        if (closed || held === undefined) return;
        const queue = held;
        held = undefined;
        for (const c of queue) deliver(c);
      });
    }
    return {
      close: () => {
        closed = true;
        held = undefined;
        handle.close();
      },
    };
  };
  return {
    watch: (fromRevision, onChange, onError) => watch(fromRevision, onChange as (change: AnyChange) => void, onError, false),
    watchAll: (fromRevision, onChange, onError) => watch(fromRevision, onChange, onError, true),
  };
}
