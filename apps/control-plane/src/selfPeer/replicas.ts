import type { Clock } from "@drainkit/core";
import type { Peer, Principal, Registry } from "@drainkit/registry";
import type { ReplicaDirections, ReplicaRef } from "./grpcParticipant.ts";
import { SELF_ROLE } from "./selfPeer.ts";

/** What a replica knows of the others, from the registry and the election. */
export interface ReplicaView {
  /** The other replicas whose agents reported within `windowMs`: a replica that just died is none. */
  others(): Promise<Peer[]>;
  /** Where a client this replica refuses while draining should go: the leader (unless it is this replica), else the other serving replicas. */
  directions(): Promise<ReplicaDirections>;
}

/** Settings of {@link replicaView}. */
export interface ReplicaViewOptions {
  readonly self: string;
  readonly registry: Registry;
  readonly principal: Principal;
  readonly clock: Clock;
  /** How recent another replica's last report must be to count. */
  readonly windowMs: number;
  /** The election's head (a replica id), if any. */
  readonly leader: () => Promise<string | undefined>;
}

/** The other replicas of this control plane, read through the registry (role `control-plane`). */
export function replicaView(options: ReplicaViewOptions): ReplicaView {
  const { self, registry, principal, clock, windowMs } = options;
  const others = async (): Promise<Peer[]> => {
    const { items } = await registry.listPeers(principal, { role: SELF_ROLE, limit: 500 });
    return items.filter((p) => p.id !== self && p.status !== undefined && clock.now() - p.status.heartbeatAt <= windowMs);
  };
  return {
    others,
    async directions() {
      const [head, peers] = await Promise.all([options.leader(), others()]);
      const ref = (id: string): ReplicaRef => {
        const grpc = peers.find((p) => p.id === id)?.metadata["grpc"];
        return { id, ...(typeof grpc === "string" ? { grpc } : {}) };
      };
      const serving = peers.filter((p) => p.phase === "active" && p.spec.drain === undefined).map((p) => ref(p.id));
      return { ...(head === undefined || head === self ? {} : { leader: ref(head) }), replicas: serving };
    },
  };
}
