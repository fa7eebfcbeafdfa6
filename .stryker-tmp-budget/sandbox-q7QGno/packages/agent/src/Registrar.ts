// @ts-nocheck
import type { AgentContext } from "./AgentContext.ts";
import { withRetry } from "./withRetry.ts";

/** The host as it registers itself. `address` may be a function, read at each registration (a port known only after listen). */
export interface AgentPeer {
  readonly id: string;
  readonly address: string | (() => string);
  readonly pools: readonly string[];
  readonly roles: readonly string[];
  /** Labels (e.g. `version`); a function is read at each registration. */
  readonly labels?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /** Free-form facts about the host; a function is read at each registration. */
  readonly metadata?: Readonly<Record<string, unknown>> | (() => Readonly<Record<string, unknown>>);
}

/**
 * Registers the host's peer (`PUT /control/peers/{id}`), and registers it
 * again when it vanished from the registry (store reset, deleted), then has
 * the spec re-read. Concurrent re-registrations share one attempt.
 */
export class Registrar {
  readonly #ctx: AgentContext;
  readonly #peer: AgentPeer;
  readonly #resync: () => Promise<void>;
  #registered = false;
  #reregistering: Promise<void> | undefined;

  constructor(ctx: AgentContext, peer: AgentPeer, resync: () => Promise<void>) {
    this.#ctx = ctx;
    this.#peer = peer;
    this.#resync = resync;
  }

  get registered(): boolean {
    return this.#registered;
  }

  /** Registers the peer once, retrying with backoff until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    await withRetry(this.#ctx, signal, () => this.#register());
    this.#registered = true;
  }

  /** The peer vanished from the registry: register it again and re-read. */
  reregister(): Promise<void> {
    this.#reregistering ??= this.#registerAgain().finally(() => {
      this.#reregistering = undefined;
    });
    return this.#reregistering;
  }

  async #register(): Promise<void> {
    const p = this.#peer;
    await this.#ctx.client().registerPeer({
      id: p.id,
      address: typeof p.address === "function" ? p.address() : p.address,
      pools: p.pools,
      roles: p.roles,
      ...(p.labels === undefined ? {} : { labels: typeof p.labels === "function" ? p.labels() : p.labels }),
      ...(p.metadata === undefined ? {} : { metadata: typeof p.metadata === "function" ? p.metadata() : p.metadata }),
    });
  }

  async #registerAgain(): Promise<void> {
    const life = this.#ctx.life();
    if (life === undefined) return;
    this.#registered = false;
    await withRetry(this.#ctx, life.signal, async () => {
      await this.#register();
    }).catch(() => {});
    if (life.signal.aborted) return;
    this.#registered = true;
    await withRetry(this.#ctx, life.signal, () => this.#resync()).catch(() => {});
  }
}
