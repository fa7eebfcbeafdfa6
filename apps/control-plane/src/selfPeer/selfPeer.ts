import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { NodeDrainCoordinator, type Clock, type DrainParticipant, type DrainResult, type Logger, type PoolBudget, type Random } from "@drainkit/core";
import { DrainAgent } from "@drainkit/agent";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import type { Authenticator } from "@drainkit/http";
import { injectFetch } from "./injectFetch.ts";
import type { LeadershipParticipant } from "./leadershipParticipant.ts";

/** The role every control-plane replica registers with. */
export const SELF_ROLE = "control-plane";

/** How a replica registers itself (`drainkit serve` does unless `--no-self-peer`). */
export interface SelfPeerOptions {
  /** Pool the replica registers in. Default `control-plane`. */
  readonly pool?: string;
  /** The version it reports (`metadata.version`, label `version`): what `drainctl rollout start --to` compares. */
  readonly version: string;
  /**
   * Status report period of the embedded agent, ms. Default 2 000: a replica
   * whose last report is older than 2.5 periods is not counted as a
   * successor when a leader hands over (see {@link successorWindowMs}).
   */
  readonly heartbeatMs?: number;
}

/**
 * The pool budget of the replicas, unless `--pool` names one: one replica
 * at a time may be unavailable, and at least one stays available (and so
 * eligible to lead).
 */
export function selfPoolBudget(pool: string): PoolBudget {
  return { name: pool, role: SELF_ROLE, minAvailable: 1, maxUnavailable: 1 };
}

/** Default status report period of a replica's embedded agent, ms. */
const SELF_HEARTBEAT_MS = 2000;

/**
 * How recent another replica's last report must be for it to count as a
 * possible successor: a replica that just died is not handed the lead.
 */
export function successorWindowMs(options: Pick<SelfPeerOptions, "heartbeatMs">): number {
  return Math.round((options.heartbeatMs ?? SELF_HEARTBEAT_MS) * 2.5);
}

/** A replica registered as a peer: its agent, its coordinator and the token only its agent holds. */
export interface SelfPeer {
  /** Recognises the embedded agent's token (principal = the replica id, scope mesh.agent); nothing else does. */
  readonly authenticator: Authenticator;
  readonly coordinator: NodeDrainCoordinator;
  /** Registers the replica and follows its spec; call once the HTTP API listens on `url`. */
  start(url: string, signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  /** The drain SIGTERM runs: the same participants, bounded by `deadlineMs`. */
  drainForShutdown(deadlineMs: number, reason: string): Promise<DrainResult>;
  agent(): DrainAgent | undefined;
}

/** Settings of {@link createSelfPeer}. */
export interface CreateSelfPeerOptions extends SelfPeerOptions {
  readonly id: string;
  readonly app: FastifyInstance;
  /** Drained in this order of concern: HTTP (readiness first), gRPC, leadership. */
  readonly participants: readonly DrainParticipant[];
  readonly leadership: LeadershipParticipant;
  readonly grpcAddress?: () => string | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
}

/**
 * Makes this replica a peer of its own fleet: a `NodeDrainCoordinator` over
 * its HTTP, gRPC and leadership participants, driven by an embedded
 * `DrainAgent` that registers the replica (role `control-plane`, its pool,
 * its version) and follows its spec like any host. The agent talks to this
 * very server in process, past the drain gate, so it can still report
 * "drained" after the gate closed.
 */
export function createSelfPeer(options: CreateSelfPeerOptions): SelfPeer {
  const { id, clock, logger } = options;
  const token = randomBytes(32).toString("base64url");
  const expected = Buffer.from(token);
  const authenticator: Authenticator = {
    async authenticate(candidate) {
      const given = Buffer.from(candidate);
      return given.length === expected.length && timingSafeEqual(given, expected) ? { id, scopes: ["mesh.agent"] } : undefined;
    },
  };
  const coordinator = new NodeDrainCoordinator({ clock, participants: [...options.participants, options.leadership], roles: [SELF_ROLE], node: id, logger });
  let client: ControlPlaneClient | undefined;
  let agent: DrainAgent | undefined;
  const pool = options.pool ?? SELF_ROLE;

  return {
    authenticator,
    coordinator,
    agent: () => agent,
    async start(url, signal) {
      client = createControlPlaneClient({ url, token, fetch: injectFetch(options.app), clock, random: options.random.fork() });
      const address = new URL(url).host;
      const facts = (): Record<string, string> => {
        const grpc = options.grpcAddress?.();
        return { version: options.version, ...(grpc === undefined ? {} : { grpc }) };
      };
      agent = new DrainAgent({
        controlPlane: client,
        peer: { id, address, pools: [pool], roles: [SELF_ROLE], labels: () => ({ version: options.version }), metadata: facts },
        coordinator,
        clock,
        random: options.random.fork(),
        logger,
        waiting: () => options.leadership.waiting(),
        heartbeatMs: options.heartbeatMs ?? SELF_HEARTBEAT_MS,
      });
      await agent.start(signal);
      logger.info({ peer: id, pool, version: options.version }, "this replica is registered as a peer (role control-plane)");
    },
    async stop() {
      await agent?.stop();
      await client?.close();
    },
    async drainForShutdown(deadlineMs, reason) {
      const result = await coordinator.drain({ deadline: clock.now() + deadlineMs, reason });
      await agent?.reportNow().catch(() => {});
      return result;
    },
  };
}
