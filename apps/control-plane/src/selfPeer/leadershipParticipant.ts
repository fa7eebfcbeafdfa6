import { electorDecision, sleep, type Clock, type DrainParticipant, type ElectorDecision, type Logger } from "@drainkit/core";

/** The parts of `Leadership` the participant drives. */
export interface Elector {
  readonly leading: boolean;
  stand(on: boolean): void;
  handOver(): void;
}

/** Settings of {@link createLeadershipParticipant}. */
export interface LeadershipParticipantOptions {
  readonly self: string;
  readonly elector: Elector;
  /** The replica the election names now (undefined when none, or the store does not answer). */
  readonly leader: () => Promise<string | undefined>;
  /** Other control-plane replicas: live ones, and the live ones that are not draining. */
  readonly replicas: () => Promise<{ readonly liveOthers: number; readonly eligibleOthers: number }>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often a drain re-reads the election and the replicas. Default 500 ms. */
  readonly tickMs?: number;
}

/** The leadership component as a drain participant. */
export interface LeadershipParticipant extends DrainParticipant {
  /** Why the leadership part of the drain waits, while it does. */
  waiting(): string | undefined;
}

/**
 * Drains this replica's part in the election by core's `electorDecision`:
 * it stops campaigning, a leader hands over once another eligible replica is
 * live, and the drain holds one unit "in flight" until another replica leads;
 * when only draining replicas are left it keeps leading and says why. The
 * rules are re-read every `tickMs` while the drain lasts (a successor that
 * dies makes a draining replica campaign again). Resume stands again.
 */
export function createLeadershipParticipant(options: LeadershipParticipantOptions): LeadershipParticipant {
  const { self, elector, clock, logger } = options;
  const tickMs = options.tickMs ?? 500;
  const idle = new Set<() => void>();
  let held = false;
  let detail: string | undefined;
  let life: AbortController | undefined;
  let last: ElectorDecision | undefined;

  const step = async (): Promise<void> => {
    const [leader, replicas] = await Promise.all([options.leader().catch(() => undefined), options.replicas().catch(() => undefined)]);
    if (life === undefined) return;
    // Unknown replicas count as none eligible: never hand over blind.
    const d = electorDecision({ self, draining: true, leading: elector.leading, leader, liveOthers: replicas?.liveOthers ?? 1, eligibleOthers: replicas?.eligibleOthers ?? 0 });
    elector.stand(d.campaign);
    if (d.resign) elector.handOver();
    if (d.waiting !== last?.waiting || d.released !== last?.released) logger.info({ leader, ...replicas, waiting: d.waiting, released: d.released }, d.detail ?? "leadership drained: another replica leads");
    last = d;
    detail = d.detail;
    const was = held;
    held = !d.released;
    if (was && !held) for (const l of [...idle]) l();
  };

  return {
    name: "leadership",
    async drain() {
      if (life !== undefined) return;
      const current = new AbortController();
      life = current;
      held = true;
      // A follower leaves the election at once (a replica restarted drained never stands); the first reading decides the rest.
      if (!elector.leading) elector.stand(false);
      await step();
      void (async () => {
        while (!current.signal.aborted) {
          await sleep(clock, tickMs, current.signal).catch(() => {});
          if (!current.signal.aborted) await step();
        }
      })();
    },
    inFlight: () => (held ? 1 : 0),
    onIdle(listener) {
      idle.add(listener);
      return () => idle.delete(listener);
    },
    resume() {
      life?.abort();
      life = undefined;
      held = false;
      detail = undefined;
      last = undefined;
      elector.stand(true);
    },
    waiting: () => (held ? detail : undefined),
  };
}
