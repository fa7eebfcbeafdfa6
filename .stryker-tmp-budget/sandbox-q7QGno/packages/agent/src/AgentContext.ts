// @ts-nocheck
import type { Clock, Logger, Random } from "@drainkit/core";
import type { BackoffPolicy, ControlPlaneClient } from "@drainkit/client";
import type { AgentEvent } from "./AgentEvent.ts";

/**
 * What the parts of a {@link DrainAgent} share: its peer id, ports, the
 * client of the moment (rebuilt after a stop) and its current life (absent
 * while stopped), so each part reads them instead of holding the agent.
 */
export interface AgentContext {
  readonly peer: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** Backoff of registration, failed reports and retried calls. */
  readonly retry: BackoffPolicy;
  client(): ControlPlaneClient;
  /** The running agent's life; undefined once stopped. */
  life(): AbortController | undefined;
  emit(event: AgentEvent): void;
}
