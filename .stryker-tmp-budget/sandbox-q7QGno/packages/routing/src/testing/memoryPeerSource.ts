// @ts-nocheck
import type { PeerSource, RoutingChange, RoutingPeer } from "../source.ts";

/** A {@link PeerSource} held in memory: `put` and `remove` feed the watchers. */
export interface MemoryPeerSource extends PeerSource {
  put(peer: RoutingPeer): void;
  remove(id: string): void;
  revision(): number;
}

/**
 * An in-memory peer source, for tests and benchmarks of code that follows a
 * router without a registry behind it.
 *
 * @example
 * const source = memoryPeerSource([{ id: "a", address: "10.0.0.1:80", roles: ["edge"], pools: [], labels: {}, phases: { edge: "active" }, epoch: 0, spec: { cordons: {} } }]);
 */
export function memoryPeerSource(initial: readonly RoutingPeer[] = []): MemoryPeerSource {
  const peers = new Map(initial.map((p) => [p.id, p]));
  const log: RoutingChange[] = [];
  let revision = 0;
  const watchers = new Set<(c: RoutingChange) => void>();
  const publish = (id: string, value: RoutingPeer | undefined): void => {
    const change: RoutingChange = { revision: ++revision, kind: "peer", id, value };
    log.push(change);
    for (const w of watchers) w(change);
  };
  return {
    snapshot: () => Promise.resolve({ peers: [...peers.values()], revision }),
    watch(fromRevision, onChange) {
      for (const c of log) if (c.revision > fromRevision) onChange(c);
      watchers.add(onChange);
      return { close: () => void watchers.delete(onChange) };
    },
    put(peer) {
      peers.set(peer.id, peer);
      publish(peer.id, peer);
    },
    remove(id) {
      peers.delete(id);
      publish(id, undefined);
    },
    revision: () => revision,
  };
}
