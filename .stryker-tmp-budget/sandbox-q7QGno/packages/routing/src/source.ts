// @ts-nocheck
import { readAll } from "@drainkit/client";
import type { RolePhase } from "@drainkit/core";
import type { Principal, Registry } from "@drainkit/registry";

/**
 * The slice of a peer the router reads. The registry's `Peer` satisfies it
 * as is; a remote control plane (REST / SSE, gRPC) only has to send these
 * fields.
 */
export interface RoutingPeer {
  readonly id: string;
  readonly address: string;
  readonly roles: readonly string[];
  readonly pools: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** Per-role phase from core's state machine, expiries applied when the control plane wrote it. */
  readonly phases: Readonly<Record<string, RolePhase>>;
  readonly epoch: number;
  readonly spec: {
    readonly cordons: Readonly<Record<string, { readonly reason: string; readonly expiresAt?: number }>>;
    readonly drain?: {
      readonly epoch: number;
      readonly deadline: number;
      readonly roles: readonly string[];
      readonly reason: string;
      /** Epoch ms after which the drain lapses and the roles return to service. */
      readonly expiresAt?: number;
    };
  };
}

/** One entry of a change feed; entries of other kinds than "peer" are ignored. */
export interface RoutingChange {
  readonly revision: number;
  readonly kind: string;
  readonly id: string;
  /** The peer after the change, or undefined when it was removed. */
  readonly value: unknown;
}

/**
 * Where the router learns about peers: a snapshot and a revision-ordered
 * change feed that resumes after the snapshot's revision. {@link registrySource}
 * adapts a registry; anything with the same two calls (a remote control
 * plane's SSE feed) works.
 */
export interface PeerSource {
  /** Every peer and the revision the snapshot was read at. */
  snapshot(): Promise<{ readonly peers: readonly RoutingPeer[]; readonly revision: number }>;
  /** Changes after `fromRevision`, in revision order. */
  watch(fromRevision: number, onChange: (change: RoutingChange) => void, onError?: (error: Error) => void): { close(): void };
}

/**
 * A {@link PeerSource} on a registry, reading as `principal` (needs `mesh.read`).
 *
 * @example
 * const router = createRouter({ source: registrySource(registry, { id: "router", scopes: ["mesh.read"] }), clock });
 */
export function registrySource(registry: Pick<Registry, "listPeers" | "watch">, principal: Principal): PeerSource {
  return {
    async snapshot() {
      const { items, revision } = await readAll((cursor) => registry.listPeers(principal, { limit: 1_000, ...(cursor === undefined ? {} : { cursor }) }));
      return { peers: items, revision };
    },
    watch: (fromRevision, onChange, onError) => registry.watch(fromRevision, onChange, onError),
  };
}
