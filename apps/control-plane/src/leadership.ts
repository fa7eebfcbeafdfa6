import { sleep, type Clock, type Logger } from "@drainkit/core";
import type { RegistryStore } from "@drainkit/registry";

/** The election every control-plane replica of one store campaigns in. */
export const ELECTION = "control-plane";

/** What runs only while this replica leads; stopped when leadership is lost. */
export type LeaderWork = (signal: AbortSignal) => Promise<() => void | Promise<void>>;

/** Settings of {@link Leadership}. */
export interface LeadershipOptions {
  readonly store: RegistryStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly candidate: string;
  /** Lease TTL: how long a dead leader keeps the lead. Default 3 s. */
  readonly ttlMs?: number;
  readonly work: LeaderWork;
}

/**
 * Campaigns for leadership in the background and runs the fleet controllers
 * while leading. Losing the lease (store partition, expiry) stops them at
 * once and campaigns again; the next leader rebuilds from the store.
 */
export class Leadership {
  readonly #options: LeadershipOptions;
  readonly #stop = new AbortController();
  #leading = false;
  #loop: Promise<void> | undefined;
  #resign: (() => Promise<void>) | undefined;

  constructor(options: LeadershipOptions) {
    this.#options = options;
  }

  /** True while this replica holds the lease. */
  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("control plane stopping"));
    await this.#resign?.().catch(() => {});
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { store, clock, logger, candidate } = this.#options;
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      try {
        const lead = await store.campaign(ELECTION, candidate, { ttlMs: this.#options.ttlMs ?? 3000, signal: stop });
        this.#leading = true;
        this.#resign = () => lead.resign();
        logger.info({ candidate }, "elected leader; starting fleet controllers");
        const both = AbortSignal.any([lead.signal, stop]);
        let stopWork: (() => void | Promise<void>) | undefined;
        try {
          stopWork = await this.#options.work(both);
          if (!both.aborted) await new Promise<void>((resolve) => both.addEventListener("abort", () => resolve(), { once: true }));
        } catch (e) {
          // Holding the lease without running the controllers would stall the fleet: hand it on.
          await lead.resign().catch(() => {});
          throw e;
        } finally {
          await stopWork?.();
          this.#leading = false;
          this.#resign = undefined;
          if (!stop.aborted) logger.warn({ candidate, reason: String(lead.signal.reason ?? "") }, "leadership lost; controllers stopped, campaigning again");
        }
      } catch (e) {
        if (stop.aborted) break;
        logger.warn({ err: e instanceof Error ? e.message : String(e) }, "campaign failed; retrying");
        await sleep(clock, 500, stop).catch(() => {});
      }
    }
  }
}
