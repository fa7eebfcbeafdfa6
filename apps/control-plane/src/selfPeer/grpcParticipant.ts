import type { Clock, DrainParticipant, Logger } from "@drainkit/core";
import { CONTROL_SERVICE_NAME, createGrpcDrainParticipant, type ControlServer, type DrainingHint, type GrpcDrainParticipant } from "@drainkit/grpc";

/** A replica a refused client can use instead: its id and, when it serves one, its gRPC address. */
export interface ReplicaRef {
  readonly id: string;
  readonly grpc?: string;
}

/** Where a client refused by this draining replica should go: the leader when known, else the other replicas that serve. */
export interface ReplicaDirections {
  /** The leader, unless it is this replica or unknown. */
  readonly leader?: ReplicaRef;
  /** Other replicas that are active and not draining. */
  readonly replicas: readonly ReplicaRef[];
}

/** The gRPC API of a replica as a drain participant; it gates the server once {@link attach}ed. */
export interface ReplicaGrpcParticipant extends DrainParticipant {
  /** Gates `server` (call once it listens): a drain before that has no gRPC API to drain. */
  attach(server: ControlServer): void;
}

/** Settings of {@link createReplicaGrpcParticipant}. */
export interface ReplicaGrpcParticipantOptions {
  /** This replica's id, named in every refusal. */
  readonly replica: string;
  /** Reads the leader and the other replicas from the store. */
  readonly directions: () => Promise<ReplicaDirections>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** While draining, the directions are read again at most this often (on a refusal). Default 1 000 ms. */
  readonly refreshMs?: number;
}

const where = (r: ReplicaRef): string => (r.grpc === undefined ? r.id : `${r.id} (gRPC ${r.grpc})`);

/** The sentence and details a refused client gets, from the directions last read. */
function drainingHint(replica: string, d: ReplicaDirections | undefined): DrainingHint {
  const go =
    d?.leader !== undefined
      ? `use the leader ${where(d.leader)}`
      : d !== undefined && d.replicas.length > 0
        ? `use another replica: ${d.replicas.map(where).join(", ")}`
        : "no other replica is known; retry shortly";
  return {
    message: `Replica ${replica} is draining; ${go}.`,
    details: {
      replica,
      ...(d?.leader === undefined ? {} : { leader: d.leader.id, ...(d.leader.grpc === undefined ? {} : { leaderGrpc: d.leader.grpc }) }),
      replicas: (d?.replicas ?? []).map((r) => ({ ...r })),
    },
  };
}

/**
 * Drains a replica's gRPC API the way its HTTP side drains: grpc.health.v1
 * turns NOT_SERVING for "" and the control service, new calls to the
 * control service are refused at once with UNAVAILABLE (`draining`, the
 * `drainkit-draining` trailer, a message naming this replica and the leader
 * or another replica to use), unary calls in flight finish, and WatchEvents
 * streams end at once with the same UNAVAILABLE, as SSE subscribers get
 * `reconnect` (clients resume from their last revision). Resume serves
 * again. @drainkit/grpc's participant does the gating; this adds where to go.
 */
export function createReplicaGrpcParticipant(options: ReplicaGrpcParticipantOptions): ReplicaGrpcParticipant {
  const { replica, clock, logger } = options;
  const refreshMs = options.refreshMs ?? 1_000;
  let gate: GrpcDrainParticipant | undefined;
  let directions: ReplicaDirections | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;
  // Idle listeners the coordinator registered, with how to take each off the gate once attached.
  const idle = new Map<() => void, (() => void) | undefined>();

  const read = (): Promise<void> => {
    readAt = clock.now();
    reading ??= options
      .directions()
      .then((d) => void (directions = d))
      .catch((e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, "could not read where refused gRPC clients should go"))
      .finally(() => (reading = undefined));
    return reading;
  };
  const hint = (): DrainingHint => {
    if (clock.now() - readAt >= refreshMs) void read();
    return drainingHint(replica, directions);
  };

  return {
    name: "grpc",
    attach(server) {
      gate = createGrpcDrainParticipant(server.server, { services: [CONTROL_SERVICE_NAME], health: server.health, deregistrationDelayMs: 0, graceMs: 0, clock, hint });
      for (const l of idle.keys()) idle.set(l, gate.onIdle(l));
    },
    async drain(signal) {
      // Read before the gate closes, so the first refusal already says where to go.
      await read();
      await gate?.drain(signal);
    },
    inFlight: () => gate?.inFlight() ?? 0,
    onIdle(listener) {
      idle.set(listener, gate?.onIdle(listener));
      return () => {
        idle.get(listener)?.();
        idle.delete(listener);
      };
    },
    resume: () => gate?.resume(),
  };
}
