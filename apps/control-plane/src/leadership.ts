import { noopMetrics, sleep, type Clock, type Logger, type Metrics } from "@drainkit/core";
import type { Fence, Leadership as HeldLeadership, RegistryStore } from "@drainkit/registry";

/** The election every control-plane replica of one store campaigns in. */
export const ELECTION = "control-plane";

/** One term of this replica as leader. */
export interface LeaderTerm {
  /** Aborted when the term ends (lease lost, resigned, replica stopping). */
  readonly signal: AbortSignal;
  /** Pass with every leader write (see `TxnRequest.fence`), so a stale leader's writes are refused. */
  readonly fence?: Fence;
}

/** What runs only while this replica leads; stopped when leadership is lost. */
export type LeaderWork = (signal: AbortSignal, term: LeaderTerm) => Promise<() => void | Promise<void>>;

/** Settings of {@link Leadership}. */
export interface LeadershipOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly candidate: string;
  /** Lease TTL: how long a dead leader keeps the lead. Default 3 s. */
  readonly ttlMs?: number;
  readonly work: LeaderWork;
  /** `drainkit_leader{replica}` (1 while leading) and `drainkit_leader_terms_total{replica,event}`. */
  readonly metrics?: Metrics;
  /** Told each time this replica starts leading (the leader observer counts it as a change). */
  readonly onElected?: () => void;
}

/**
 * Campaigns for leadership in the background and runs the fleet controllers
 * while leading. Losing the lease (store partition, expiry) ends the term: the
 * lease is handed back first (keep-alives stop, the lease is revoked as far as
 * the store answers), so no key of this replica can keep heading the
 * election, then the controllers stop, then it campaigns afresh. Writes the
 * controllers made after the loss are refused by the store's fence.
 */
export class Leadership {
  readonly #options: LeadershipOptions;
  readonly #stop = new AbortController();
  readonly #gauge;
  readonly #terms;
  #leading = false;
  #loop: Promise<void> | undefined;
  /** Whether this replica stands in the election (a draining replica stops; see `electorDecision`). */
  #standing = true;
  /** Aborted to give up a campaign still waiting (stand down) or to end the term now (hand over). */
  #cut = new AbortController();
  #standingChanged: (() => void) | undefined;

  constructor(options: LeadershipOptions) {
    this.#options = options;
    const metrics = options.metrics ?? noopMetrics;
    this.#gauge = metrics.gauge("leader", "1 while this replica leads the control plane and runs the fleet controllers, else 0");
    this.#terms = metrics.counter("leader_terms_total", "Terms of this replica as leader, by event: started or ended");
    // Exported from the start, so a follower reports 0 rather than nothing.
    this.#gauge.set(0, { replica: options.candidate });
    for (const event of ["started", "ended"]) this.#terms.inc({ replica: options.candidate, event }, 0);
  }

  /** True while this replica holds the lease. */
  get leading(): boolean {
    return this.#leading;
  }

  /** True while this replica stands in the election. */
  get standing(): boolean {
    return this.#standing;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Stands in the election or stands down. Standing down gives up a campaign
   * still waiting for the lease; a term in progress goes on until
   * {@link handOver} (the elector rules decide when).
   */
  stand(on: boolean): void {
    if (on === this.#standing) return;
    this.#standing = on;
    if (!on && !this.#leading) this.#cutNow("standing down");
    this.#standingChanged?.();
  }

  /** Ends the current term now (lease handed back, controllers stopped) so another replica is elected. */
  handOver(): void {
    if (this.#leading) this.#cutNow("handing leadership over");
  }

  #cutNow(why: string): void {
    const cut = this.#cut;
    this.#cut = new AbortController();
    cut.abort(new Error(why));
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("control plane stopping"));
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { store, clock, logger, candidate } = this.#options;
    const stop = this.#stop.signal;
    const ttlMs = this.#options.ttlMs ?? 3000;
    while (!stop.aborted) {
      if (!this.#standing) {
        await new Promise<void>((resolve) => {
          this.#standingChanged = resolve;
          stop.addEventListener("abort", () => resolve(), { once: true });
        });
        this.#standingChanged = undefined;
        continue;
      }
      const cut = this.#cut.signal;
      let lead: HeldLeadership;
      try {
        lead = await store.campaign(ELECTION, candidate, { ttlMs, signal: AbortSignal.any([stop, cut]) });
      } catch (e) {
        if (stop.aborted) break;
        if (cut.aborted) continue;
        logger.warn({ err: e instanceof Error ? e.message : String(e) }, "campaign failed; retrying");
        await sleep(clock, 500, stop).catch(() => {});
        continue;
      }
      // A term won while standing down goes on until the elector rules hand it over (or keep it: nobody else may lead).
      const handOver = this.#cut.signal;
      const term = AbortSignal.any([lead.signal, stop, handOver]);
      this.#begin();
      logger.info({ candidate, fence: lead.fence?.revision }, "elected leader; starting fleet controllers");
      let stopWork: (() => void | Promise<void>) | undefined;
      let failure: unknown;
      try {
        stopWork = await this.#options.work(term, { signal: term, ...(lead.fence === undefined ? {} : { fence: lead.fence }) });
        if (!term.aborted) await new Promise<void>((resolve) => term.addEventListener("abort", () => resolve(), { once: true }));
      } catch (e) {
        // Holding the lease without running the controllers would stall the fleet: hand it on.
        failure = e;
      }
      this.#end();
      // Hand the lease back before anything else, so the next campaign (ours
      // or another replica's) never queues behind a key of this replica.
      await this.#resign(lead, ttlMs);
      try {
        await stopWork?.();
      } catch (e) {
        logger.warn({ err: e instanceof Error ? e.message : String(e) }, "fleet controllers did not stop cleanly");
      }
      if (failure !== undefined) {
        logger.warn({ err: failure instanceof Error ? failure.message : String(failure) }, "fleet controllers failed to start; leadership handed on");
        await sleep(clock, 500, stop).catch(() => {});
      } else if (!stop.aborted && handOver.aborted) {
        logger.info({ candidate, standing: this.#standing }, "leadership handed over: lease handed back, controllers stopped");
      } else if (!stop.aborted) {
        logger.warn({ candidate, reason: String(lead.signal.reason ?? "") }, "leadership lost; lease handed back, controllers stopped, campaigning again");
      }
    }
  }

  #begin(): void {
    this.#leading = true;
    this.#gauge.set(1, { replica: this.#options.candidate });
    this.#terms.inc({ replica: this.#options.candidate, event: "started" });
    this.#options.onElected?.();
  }

  #end(): void {
    this.#leading = false;
    this.#gauge.set(0, { replica: this.#options.candidate });
    this.#terms.inc({ replica: this.#options.candidate, event: "ended" });
  }

  /** Best effort and bounded: a store that does not answer lets the lease expire instead. */
  async #resign(lead: HeldLeadership, ttlMs: number): Promise<void> {
    const { clock, logger, candidate } = this.#options;
    const timedOut = Symbol("timed out");
    const done = new AbortController();
    const outcome = await Promise.race([
      lead.resign().then(() => undefined, (e: unknown) => e),
      sleep(clock, ttlMs, done.signal).then(() => timedOut, () => undefined),
    ]);
    done.abort();
    if (outcome === timedOut) logger.warn({ candidate, waitedMs: ttlMs }, "resign got no answer from the store; the lease expires on its own");
    else if (outcome !== undefined) logger.warn({ candidate, err: outcome instanceof Error ? outcome.message : String(outcome) }, "resign failed; the lease expires on its own");
  }
}
