import { isDrainkitError } from "@drainkit/core";
import type { PlacedWorkload, Principal, Registry, RegistryStore, WorkloadMove } from "@drainkit/registry";

/**
 * In-process hosts that play the agents' part of workload moves straight on a
 * registry, the way `@drainkit/agent` does it: the destination starts the
 * workload and reports `serving`, the source then stops its copy and reports
 * `done`. Placement reports coalesce like the agent's (one in flight, the
 * latest state sent next), so a burst of moves does not cost one full report
 * each. Hosts in `refuse` fail every start they are given. With `store`, the
 * hosts follow only the store's `moves/` keys, as a remote agent's filtered
 * event stream would, instead of every registry change.
 */
export class InProcessHosts {
  readonly held = new Map<string, Map<string, PlacedWorkload>>();
  /** Moves each host carried out to the end (`done` reported), by move id. */
  readonly finished = new Set<string>();
  /** Every start and stop, in the order the hosts took them. */
  readonly steps: HostStep[] = [];
  /** Workloads that at some instant were held by no host (make before break keeps this empty). */
  readonly gaps: string[] = [];
  readonly #registry: Registry;
  readonly #refuse: ReadonlySet<string>;
  readonly #reporting = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #watch: { close(): void };
  /** With `heartbeatMs`: hosts whose placement a move changed, reported on the next beat. */
  readonly #dirty = new Set<string>();
  readonly #beat: ReturnType<typeof setInterval> | undefined;

  /**
   * @param options.held what each host holds to begin with (hosts reconnecting after an outage).
   * @param options.heartbeatMs report a move's placement change on a heartbeat of this period, as
   *   `@drainkit/agent` does, instead of at once after each move (the worst case).
   * @param options.everyBeat with `heartbeatMs`: every host reports its whole placement on every
   *   beat, changed or not, as the agent's heartbeat does (the registry stores only changed lists).
   */
  constructor(
    registry: Registry,
    ids: readonly string[],
    options: { refuse?: ReadonlySet<string>; fromRevision?: number; store?: RegistryStore; held?: ReadonlyMap<string, ReadonlyMap<string, PlacedWorkload>>; heartbeatMs?: number; everyBeat?: boolean } = {},
  ) {
    this.#registry = registry;
    this.#refuse = options.refuse ?? new Set();
    for (const id of ids) this.held.set(id, new Map(options.held?.get(id) ?? []));
    this.#beat =
      options.heartbeatMs === undefined
        ? undefined
        : setInterval(() => {
            for (const host of options.everyBeat === true ? ids : [...this.#dirty]) {
              this.#dirty.delete(host);
              void this.report(host).catch(() => {});
            }
          }, options.heartbeatMs);
    const from = options.fromRevision ?? 0;
    this.#watch =
      options.store === undefined
        ? registry.watchAll(from, (change) => {
            if (change.kind === "move" && change.value !== undefined) void this.#onMove(change.value as WorkloadMove);
          })
        : options.store.watch("moves/", from, (change) => {
            if (change.value !== undefined) void this.#onMove(change.value as WorkloadMove);
          });
  }

  close(): void {
    this.#watch.close();
    if (this.#beat !== undefined) clearInterval(this.#beat);
  }

  /** Places workloads on `host` and reports its placement. */
  async place(host: string, workloads: readonly PlacedWorkload[]): Promise<void> {
    const held = this.held.get(host)!;
    for (const w of workloads) held.set(w.id, w);
    await this.report(host);
  }

  /** Reports `host`'s placement, coalescing with a report in flight. */
  report(host: string): Promise<void> {
    const inFlight = this.#reporting.get(host);
    if (inFlight !== undefined) {
      this.#again.add(host);
      return inFlight;
    }
    const me: Principal = { id: host, scopes: ["mesh.agent"] };
    const send = async (): Promise<void> => {
      do {
        this.#again.delete(host);
        const peer = (await this.#registry.getPeer(me, host)).peer;
        await this.#registry.reportStatus(me, host, { roles: {}, epoch: peer.epoch, placement: [...this.held.get(host)!.values()] });
      } while (this.#again.has(host));
    };
    const p = send().finally(() => this.#reporting.delete(host));
    this.#reporting.set(host, p);
    return p;
  }

  /** Hosts holding `workload` now. */
  holders(workload: string): string[] {
    return [...this.held].filter(([, m]) => m.has(workload)).map(([h]) => h);
  }

  /** A move changed `host`'s placement: report it now, or on the next heartbeat. */
  #changed(host: string): void {
    if (this.#beat !== undefined) this.#dirty.add(host);
    else void this.report(host).catch(() => {});
  }

  async #onMove(m: WorkloadMove): Promise<void> {
    const w: PlacedWorkload = m.owner === undefined ? { id: m.workload } : { id: m.workload, owner: m.owner };
    if (m.state === "starting") {
      const me: Principal = { id: m.to, scopes: ["mesh.agent"] };
      if (this.#refuse.has(m.to)) {
        await this.#registry.reportMove(me, m.id, { state: "failed", reason: "disk full" }, { idempotencyKey: `move:${m.id}:failed` }).catch(() => {});
        return;
      }
      this.held.get(m.to)?.set(w.id, w);
      this.steps.push({ host: m.to, workload: w.id, action: "start", tier: m.tier });
      this.#changed(m.to);
      const refused = await this.#registry.reportMove(me, m.id, { state: "serving" }, { idempotencyKey: `move:${m.id}:serving` }).then(
        () => false,
        (e: unknown) => isDrainkitError(e) && e.code === "move-state-conflict",
      );
      if (refused) {
        // The leader gave up on the move first (failed or cancelled it, e.g. its drain was cancelled): this copy must not serve.
        this.held.get(m.to)?.delete(w.id);
        this.steps.push({ host: m.to, workload: w.id, action: "stop", tier: m.tier });
        this.#changed(m.to);
      }
    } else if (m.state === "serving") {
      const me: Principal = { id: m.from, scopes: ["mesh.agent"] };
      this.held.get(m.from)?.delete(w.id);
      this.steps.push({ host: m.from, workload: w.id, action: "stop", tier: m.tier });
      if (this.holders(w.id).length === 0) this.gaps.push(w.id);
      this.#changed(m.from);
      await this.#registry.reportMove(me, m.id, { state: "done" }, { idempotencyKey: `move:${m.id}:done` }).catch(() => {});
    } else if (m.state === "done") this.finished.add(m.id);
  }
}

/** One start or stop a host took. */
export interface HostStep {
  readonly host: string;
  readonly workload: string;
  readonly action: "start" | "stop";
  readonly tier: "owner" | "child";
}

/** `owners` owner workloads named `<prefix>o<i>`, each followed by `childrenPerOwner` children. */
export function ownersAndChildren(prefix: string, owners: number, childrenPerOwner: number): PlacedWorkload[] {
  return Array.from({ length: owners }, (_, i) => [{ id: `${prefix}o${i}` }, ...Array.from({ length: childrenPerOwner }, (_, j) => ({ id: `${prefix}o${i}c${j}`, owner: `${prefix}o${i}` }))]).flat();
}
