// @ts-nocheck
import type { Clock, TimerHandle } from "@drainkit/core";
import { request, type Dispatcher } from "undici";
import type { RouteMember } from "../types.ts";

/** Settings of active health checks: an HTTP GET on every routable member. */
export interface HealthCheckOptions {
  /** Path probed on each member, e.g. `/readyz`. A 2xx answer is healthy; anything else, or no answer, is not. */
  readonly path: string;
  /** Between the end of one round of probes and the start of the next. Default 5 000. */
  readonly intervalMs?: number;
  /** One probe's timeout. Default 1 000. */
  readonly timeoutMs?: number;
  /** Consecutive failed probes that take a member out. Default 2. */
  readonly unhealthyThreshold?: number;
  /** Consecutive good probes that bring it back. Default 2. */
  readonly healthyThreshold?: number;
}

/** A member changed health as the probes see it. */
export interface HealthEvent {
  readonly type: "unhealthy" | "healthy";
  readonly member: string;
  readonly address: string;
  /** Status code of the last probe, or the error it failed with. */
  readonly last: number | string;
}

/** Running health checks. */
export interface HealthChecks {
  /** True when the probes took `member` (at its current address) out. Members not probed yet count as healthy. */
  isUnhealthy(member: RouteMember): boolean;
  /** Runs one round now (tests, and the first round at start). */
  probeAll(): Promise<void>;
  close(): void;
}

interface State {
  address: string;
  healthy: boolean;
  streak: number;
}

/**
 * Probes every member `members()` returns, one round at a time, timers on the
 * injected `clock`. A member starts healthy (the control plane already says
 * it serves); `unhealthyThreshold` failures in a row take it out,
 * `healthyThreshold` successes in a row bring it back.
 */
export function startHealthChecks(
  options: HealthCheckOptions & {
    readonly clock: Clock;
    readonly members: () => readonly RouteMember[];
    readonly originOf: (member: RouteMember) => string;
    readonly dispatcher: Dispatcher;
    readonly onEvent?: (event: HealthEvent) => void;
  },
): HealthChecks {
  const intervalMs = Math.max(1, options.intervalMs ?? 5_000);
  const timeoutMs = Math.max(1, options.timeoutMs ?? 1_000);
  const down = Math.max(1, options.unhealthyThreshold ?? 2);
  const up = Math.max(1, options.healthyThreshold ?? 2);
  const { clock } = options;
  const states = new Map<string, State>();
  let timer: TimerHandle | undefined;
  let closed = false;

  const probe = async (m: RouteMember): Promise<void> => {
    const abort = new AbortController();
    const timeout = clock.setTimer(timeoutMs, () => abort.abort(new Error(`no answer within ${timeoutMs} ms`)));
    let last: number | string;
    try {
      const res = await request(new URL(options.path, options.originOf(m)), { method: "GET", dispatcher: options.dispatcher, signal: abort.signal, headers: { "user-agent": "drainkit-route-health" } });
      await res.body.dump();
      last = res.statusCode;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    } finally {
      clock.clearTimer(timeout);
    }
    if (closed) return;
    let s = states.get(m.id);
    if (s === undefined || s.address !== m.address) {
      s = { address: m.address, healthy: true, streak: 0 };
      states.set(m.id, s);
    }
    const good = typeof last === "number" && last >= 200 && last < 300;
    // `streak` counts probes that disagree with the current verdict.
    if (good === s.healthy) s.streak = 0;
    else if (++s.streak >= (s.healthy ? down : up)) {
      s.healthy = good;
      s.streak = 0;
      options.onEvent?.({ type: good ? "healthy" : "unhealthy", member: m.id, address: m.address, last });
    }
  };

  const probeAll = async (): Promise<void> => {
    const members = options.members();
    const ids = new Set(members.map((m) => m.id));
    for (const id of states.keys()) if (!ids.has(id)) states.delete(id);
    await Promise.all(members.map(probe));
  };

  const round = (): void => {
    timer = undefined;
    void probeAll().finally(() => {
      if (!closed) timer = clock.setTimer(intervalMs, round);
    });
  };
  timer = clock.setTimer(0, round);

  return {
    isUnhealthy(m) {
      const s = states.get(m.id);
      return s !== undefined && s.address === m.address && !s.healthy;
    },
    probeAll,
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
    },
  };
}
