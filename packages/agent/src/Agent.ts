import {
  isDrainkitError,
  silentLogger,
  sleep,
  systemClock,
  systemRandom,
  type Clock,
  type DrainResult,
  type EventSink,
  type Logger,
  type NodeDrainCoordinator,
  type Random,
  type TimerHandle,
} from "@drainkit/core";
import type { Peer, RegistryChange, RoleStatus, StatusReport, WorkloadMove } from "@drainkit/registry";
import { createControlPlaneClient, type ControlPlaneClient, type StreamState } from "./client.ts";
import { ControlPlaneError } from "./errors.ts";
import { WorkloadSet } from "./workloads.ts";

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

/** Settings of {@link DrainAgent}: ports first, then settings. */
export interface AgentOptions {
  /** Where the control plane is and how to authenticate (`mesh.agent` token whose id is the peer id), or a ready client. */
  readonly controlPlane: { readonly url: string; readonly token: string } | ControlPlaneClient;
  readonly peer: AgentPeer;
  /** The host's coordinator; its roles should be the peer's roles. */
  readonly coordinator: NodeDrainCoordinator;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger;
  readonly events?: EventSink<AgentEvent>;
  /**
   * The workloads on this host. A {@link WorkloadSet} is reported as the
   * peer's placement and carries out the leader's moves (start here as the
   * destination, stop here as the source once the destination serves); a
   * function only reports counts. Default none.
   */
  readonly workloads?: WorkloadSet | (() => { readonly owners: number; readonly children: number });
  /** Status report period, ms. Default 5 000. */
  readonly heartbeatMs?: number;
  /** Report period while a drain is in progress (in-flight counts move then), ms. Default 1 000. */
  readonly drainReportMs?: number;
  /** Spec polling period while the event stream is down, ms (±50 % jitter). Default 2 000. */
  readonly pollMs?: number;
  /** Backoff of registration and failed reports: from `initialMs` doubling to `maxMs`, half drawn at random. Default 200 ms → 5 s. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
}

/** How the agent follows its spec: the event stream, or polling while the stream is down. */
export type WatchMode = "stopped" | "streaming" | "polling";

/** What the agent is doing, for health endpoints and tests. */
export interface AgentSnapshot {
  readonly peer: string;
  readonly registered: boolean;
  readonly watch: WatchMode;
  /** Last change-feed revision seen. */
  readonly revision: number;
  /** Highest drain epoch from the control plane the agent acted on (0 = none). */
  readonly epoch: number;
  /** Peer version (ETag number) of the spec last reconciled. */
  readonly specVersion: number;
  readonly lastReportAt?: number;
  readonly lastReportError?: string;
  /** The local drain's latest outcome, when there was one. */
  readonly drain?: { readonly epoch: number; readonly status: "draining" | "drained" | "failed"; readonly failure?: string };
}

/** Typed events the agent emits. */
export type AgentEvent =
  | { readonly type: "agent-registered"; readonly peer: string; readonly at: number }
  | { readonly type: "agent-watch"; readonly peer: string; readonly mode: WatchMode; readonly at: number }
  | { readonly type: "agent-drain"; readonly peer: string; readonly epoch: number; readonly roles: readonly string[]; readonly at: number }
  | { readonly type: "agent-drain-result"; readonly peer: string; readonly epoch: number; readonly status: "drained" | "failed"; readonly failure?: string; readonly at: number }
  | { readonly type: "agent-resume"; readonly peer: string; readonly at: number }
  | { readonly type: "agent-stale-spec"; readonly peer: string; readonly epoch: number; readonly acted: number; readonly at: number }
  | { readonly type: "agent-report-failed"; readonly peer: string; readonly error: string; readonly at: number }
  | { readonly type: "agent-move"; readonly peer: string; readonly move: string; readonly workload: string; readonly action: "started" | "stopped" | "failed" | "cleaned-up"; readonly reason?: string; readonly at: number };

/**
 * Runs inside a host and keeps it in step with its spec in the control
 * plane: registers the peer, reports status (per-role phase, in flight per
 * participant, workloads, epoch) on a heartbeat and on every change, and
 * follows its own spec through the event stream, resuming from the last
 * revision after a break and polling with jitter while the stream is down.
 *
 * Reconciling: a drain with an epoch newer than the last one acted on drives
 * the local {@link NodeDrainCoordinator} for the named roles, and its outcome
 * (drained, or failed with the reason and the blocking participants) is
 * reported at once; a spec without a drain reopens the gates; an older epoch
 * is ignored (`agent-stale-spec`). A host restarted in the middle of a
 * rollout finds its drain in the spec and comes up drained.
 *
 * @example
 * const coordinator = new NodeDrainCoordinator({ clock, participants: [http], roles: ["edge"] });
 * const agent = new DrainAgent({
 *   controlPlane: { url: "http://127.0.0.1:7400", token: process.env.DRAINKIT_TOKEN! },
 *   peer: { id: "web-1", address: "10.0.0.1:8080", pools: ["web"], roles: ["edge"] },
 *   coordinator,
 * });
 * await agent.start();   // registered, first status reported, spec reconciled
 * // … on shutdown
 * await agent.stop();
 */
export class DrainAgent {
  #client: ControlPlaneClient;
  /** Builds the client when the agent owns it (again after a stop); undefined when the caller passed one. */
  readonly #makeClient: (() => ControlPlaneClient) | undefined;
  #clientClosed = false;
  readonly #peer: AgentPeer;
  readonly #coordinator: NodeDrainCoordinator;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: Logger;
  readonly #events: EventSink<AgentEvent> | undefined;
  readonly #workloads: () => { readonly owners: number; readonly children: number };
  readonly #workloadSet: WorkloadSet | undefined;
  /** `<move id>:<state>` already acted on, so a replayed change does nothing twice. */
  readonly #movesSeen = new Set<string>();
  /** Moves onto this host whose workload this agent started. */
  readonly #started = new Set<string>();
  readonly #heartbeatMs: number;
  readonly #drainReportMs: number;
  readonly #pollMs: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;

  #life: AbortController | undefined;
  #registered = false;
  #mode: WatchMode = "stopped";
  #revision = 0;
  #acted = 0;
  #specVersion = 0;
  #drain: { epoch: number; status: "draining" | "drained" | "failed"; failure?: string } | undefined;
  #watch: { close(): void } | undefined;
  #heartbeat: TimerHandle | undefined;
  #lastReportAt: number | undefined;
  #lastReportError: string | undefined;
  /** Reports are sent one at a time; a request during a send schedules one more with the latest state. */
  #reporting: Promise<void> | undefined;
  #reportAgain = false;
  /** Reconciles run one at a time, in arrival order, each against the newest spec. */
  #reconciling: Promise<void> = Promise.resolve();
  #pendingSpec: Peer | undefined;
  #reregistering: Promise<void> | undefined;
  #pollRound = 0;
  /** Drained roles of the current drain that no local participant serves. */
  #foreignRoles: Record<string, RoleStatus> = {};

  constructor(options: AgentOptions) {
    const cp = options.controlPlane;
    this.#clock = options.clock ?? systemClock();
    this.#random = options.random ?? systemRandom();
    const clientRandom = this.#random.fork();
    this.#makeClient = "registerPeer" in cp ? undefined : () => createControlPlaneClient({ url: cp.url, token: cp.token, clock: this.#clock, random: clientRandom });
    this.#client = "registerPeer" in cp ? cp : this.#makeClient!();
    this.#peer = options.peer;
    this.#coordinator = options.coordinator;
    this.#logger = options.logger ?? silentLogger;
    this.#events = options.events;
    const workloads = options.workloads;
    this.#workloadSet = workloads instanceof WorkloadSet ? workloads : undefined;
    this.#workloads = workloads instanceof WorkloadSet ? () => workloads.counts() : (workloads ?? (() => ({ owners: 0, children: 0 })));
    // A move's own changes reach the control plane through the move; the next heartbeat carries the placement.
    this.#workloadSet?.onChange((cause) => {
      if (cause === "host") void this.reportNow();
    });
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#drainReportMs = options.drainReportMs ?? 1_000;
    this.#pollMs = options.pollMs ?? 2_000;
    this.#retryInitialMs = options.retry?.initialMs ?? 200;
    this.#retryMaxMs = options.retry?.maxMs ?? 5_000;
  }

  /** The client the agent talks through (shared with the host's own calls if it likes). */
  get client(): ControlPlaneClient {
    return this.#client;
  }

  /**
   * Registers the peer (retrying with backoff until `signal` aborts), reads
   * its spec, reconciles it, reports status, then follows the spec and
   * heartbeats until {@link stop}. Fits a `LifecycleOrchestrator` component.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#life !== undefined) return;
    const life = new AbortController();
    this.#life = life;
    if (this.#clientClosed && this.#makeClient !== undefined) {
      this.#client = this.#makeClient();
      this.#clientClosed = false;
    }
    const both = signal === undefined ? life.signal : AbortSignal.any([signal, life.signal]);
    try {
      await this.#withRetry(both, () => this.#register());
      this.#registered = true;
      this.#emit({ type: "agent-registered", peer: this.#peer.id, at: this.#clock.now() });
      this.#logger.info({ peer: this.#peer.id }, "agent registered");
      await this.#withRetry(both, () => this.#resync());
      await this.#reconciling;
      await this.#report();
    } catch (error) {
      // A start that gave up (or was cancelled) leaves nothing running, so start() may be called again.
      await this.stop();
      throw error;
    }
    this.#scheduleHeartbeat();
  }

  /** Stops following the spec and heartbeating; the gates stay as they are. */
  async stop(): Promise<void> {
    const life = this.#life;
    if (life === undefined) return;
    this.#life = undefined;
    life.abort();
    this.#watch?.close();
    this.#watch = undefined;
    if (this.#heartbeat !== undefined) this.#clock.clearTimer(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#setMode("stopped");
    await this.#reconciling.catch(() => {});
    await this.#reporting?.catch(() => {});
    if (this.#makeClient !== undefined) {
      this.#clientClosed = true;
      await this.#client.close();
    }
  }

  snapshot(): AgentSnapshot {
    return {
      peer: this.#peer.id,
      registered: this.#registered,
      watch: this.#mode,
      revision: this.#revision,
      epoch: this.#acted,
      specVersion: this.#specVersion,
      ...(this.#lastReportAt === undefined ? {} : { lastReportAt: this.#lastReportAt }),
      ...(this.#lastReportError === undefined ? {} : { lastReportError: this.#lastReportError }),
      ...(this.#drain === undefined ? {} : { drain: { ...this.#drain } }),
    };
  }

  /** Sends a status report now, e.g. after the host drained or resumed itself. */
  reportNow(): Promise<void> {
    return this.#life === undefined ? Promise.resolve() : this.#report();
  }

  /** The status report the agent would send now. */
  status(): StatusReport {
    const snap = this.#coordinator.snapshot();
    const roles: Record<string, RoleStatus> = {};
    for (const [role, state] of Object.entries(snap.node.roles)) roles[role] = { phase: state.phase, epoch: state.epoch };
    Object.assign(roles, this.#foreignRoles);
    const inFlight: Record<string, number> = {};
    for (const p of snap.participants) inFlight[p.name] = p.inFlight;
    const failure = this.#drain?.status === "failed" ? this.#drain.failure : undefined;
    return {
      roles,
      inFlight,
      workloads: this.#workloads(),
      ...(this.#workloadSet === undefined ? {} : { placement: this.#workloadSet.list() }),
      epoch: this.#acted,
      ...(failure === undefined ? {} : { reason: failure }),
    };
  }

  /** Reads the current revision and spec, then follows the event stream from that revision. */
  async #resync(): Promise<void> {
    const page = await this.#client.listPeers({ limit: 1 });
    const peer = await this.#client.getPeer(this.#peer.id);
    this.#revision = page.revision;
    // A fresh read is authoritative, even when the registry was rebuilt and its versions restarted.
    this.#specVersion = 0;
    this.#offer(peer);
    if (this.#workloadSet !== undefined) for (const m of await this.#client.listMoves({ peer: this.#peer.id, active: true })) this.#onMove(m);
    this.#follow();
  }

  #follow(): void {
    this.#watch?.close();
    const life = this.#life;
    if (life === undefined) return;
    this.#watch = this.#client.watch(
      this.#revision,
      (change) => this.#onChange(change),
      (error) => {
        // History lost or access refused: poll, and re-read from a fresh revision after a pause.
        this.#logger.warn({ peer: this.#peer.id, err: error.message }, "event stream stopped; resyncing");
        this.#startPolling(life.signal);
        void this.#withRetry(life.signal, async () => {
          await sleep(this.#clock, this.#jitter(this.#pollMs), life.signal);
          await this.#resync();
        }).catch(() => {});
      },
      { kinds: this.#workloadSet === undefined ? ["peer"] : ["peer", "move"], peer: this.#peer.id, onState: (state) => this.#onStreamState(state, life.signal) },
    );
  }

  #onStreamState(state: StreamState, signal: AbortSignal): void {
    if (signal.aborted) return;
    if (state === "streaming") {
      this.#setMode("streaming");
      // Changes during the outage are replayed from the last revision, but a
      // poll may have seen a newer spec already; versions keep that safe.
      return;
    }
    this.#startPolling(signal);
  }

  /** Starts the poll loop unless one runs already. */
  #startPolling(signal: AbortSignal): void {
    if (this.#mode === "polling" || signal.aborted) return;
    this.#setMode("polling");
    void this.#poll(signal, ++this.#pollRound);
  }

  /** Polls the spec with jitter for as long as the stream is down. */
  async #poll(signal: AbortSignal, round: number): Promise<void> {
    // A loop from an earlier outage that is still asleep ends here instead of polling twice as often.
    const current = (): boolean => !signal.aborted && this.#mode === "polling" && this.#pollRound === round;
    while (current()) {
      try {
        await sleep(this.#clock, this.#jitter(this.#pollMs), signal);
      } catch {
        return;
      }
      if (!current()) return;
      try {
        this.#offer(await this.#client.getPeer(this.#peer.id));
      } catch (error) {
        this.#logger.debug({ peer: this.#peer.id, err: messageOf(error) }, "spec poll failed");
        if (error instanceof ControlPlaneError && error.code === "not-found") void this.#reregister();
      }
    }
  }

  #onChange(change: RegistryChange | { readonly revision: number; readonly kind: "move"; readonly id: string; readonly value: WorkloadMove | undefined }): void {
    this.#revision = Math.max(this.#revision, change.revision);
    if (change.kind === "move") {
      if (change.value !== undefined) this.#onMove(change.value);
      return;
    }
    if (change.kind !== "peer" || change.id !== this.#peer.id) return;
    if (change.value === undefined) {
      void this.#reregister();
      return;
    }
    this.#offer(change.value as Peer);
  }

  /** Queues a spec for reconciling; older versions than one already seen are dropped. */
  #offer(peer: Peer): void {
    if (peer.version < this.#specVersion) return;
    this.#specVersion = peer.version;
    const idle = this.#pendingSpec === undefined;
    this.#pendingSpec = peer;
    if (!idle) return;
    this.#reconciling = this.#reconciling.then(async () => {
      const spec = this.#pendingSpec;
      this.#pendingSpec = undefined;
      if (spec !== undefined && this.#life !== undefined) await this.#reconcile(spec).catch((error: unknown) => this.#logger.error({ peer: this.#peer.id, err: messageOf(error) }, "reconcile failed"));
    });
  }

  async #reconcile(peer: Peer): Promise<void> {
    const drain = peer.spec.drain;
    const local = this.#coordinator.snapshot();
    if (drain !== undefined) {
      if (drain.epoch <= this.#acted) {
        if (drain.epoch < this.#acted) this.#emit({ type: "agent-stale-spec", peer: this.#peer.id, epoch: drain.epoch, acted: this.#acted, at: this.#clock.now() });
        return;
      }
      this.#acted = drain.epoch;
      const known = new Set(Object.keys(local.node.roles));
      const roles = drain.roles.filter((r) => known.has(r));
      // Roles the registry lists but no local participant serves have nothing to
      // drain: report them drained, or the drain could never finish.
      this.#foreignRoles = Object.fromEntries(drain.roles.filter((r) => !known.has(r)).map((r) => [r, { phase: "drained" as const, epoch: drain.epoch }]));
      this.#drain = { epoch: drain.epoch, status: "draining" };
      this.#emit({ type: "agent-drain", peer: this.#peer.id, epoch: drain.epoch, roles, at: this.#clock.now() });
      this.#logger.info({ peer: this.#peer.id, epoch: drain.epoch, roles, deadline: drain.deadline }, "draining");
      if (roles.length === 0) {
        this.#drain = { epoch: drain.epoch, status: "drained" };
        void this.#report();
        return;
      }
      let pending: Promise<DrainResult>;
      try {
        pending = this.#coordinator.drain({ epoch: drain.epoch, deadline: drain.deadline, reason: drain.reason, roles });
      } catch (error) {
        this.#logger.warn({ peer: this.#peer.id, epoch: drain.epoch, err: messageOf(error) }, "drain refused locally");
        return;
      }
      void this.#report();
      if (this.#heartbeat !== undefined) this.#scheduleHeartbeat();
      // The outcome is reported when it comes; reconciling moves on so a resume can cut the drain short.
      pending.then(
        (result) => this.#onDrainResult(result),
        (error: unknown) => {
          // A stale epoch locally means an earlier drain here already used it (e.g. drained directly on the host).
          this.#logger.warn({ peer: this.#peer.id, epoch: drain.epoch, err: messageOf(error), code: isDrainkitError(error) ? error.code : undefined }, "drain refused locally");
          void this.#report();
        },
      );
      return;
    }
    // Only a drain this agent started from the spec is ended by the spec; a
    // drain ordered on the host itself (/control/upgrade/drain) waits for a
    // resume on the host.
    if (this.#drain !== undefined) {
      this.#emit({ type: "agent-resume", peer: this.#peer.id, at: this.#clock.now() });
      this.#logger.info({ peer: this.#peer.id }, "resuming");
      this.#drain = undefined;
      this.#foreignRoles = {};
      try {
        if (local.status !== "idle") await this.#coordinator.resume();
      } finally {
        void this.#report();
      }
    }
  }

  /**
   * Carries out this host's part of a workload move, make before break: as
   * the destination, start the workload and report `serving`; as the source,
   * once the destination serves, stop the local copy and report `done`. A
   * move onto this host that failed after the workload was started here is
   * cleaned up (stopped again).
   */
  #onMove(move: WorkloadMove): void {
    const set = this.#workloadSet;
    const life = this.#life;
    if (set === undefined || life === undefined) return;
    const self = this.#peer.id;
    const key = `${move.id}:${move.state}`;
    if (this.#movesSeen.has(key)) return;
    const workload = move.owner === undefined ? { id: move.workload } : { id: move.workload, owner: move.owner };
    const signal = life.signal;
    let task: (() => Promise<void>) | undefined;
    if (move.to === self && move.state === "starting") {
      task = async () => {
        try {
          set.accept(workload);
          this.#started.add(move.id);
          await set.handlers.start(workload, move, signal);
        } catch (error) {
          if (signal.aborted) return;
          set.delete(workload.id, "move");
          this.#started.delete(move.id);
          const reason = `destination ${self} could not start it: ${messageOf(error)}`;
          this.#emitMove(move, "failed", reason);
          await this.#reportMove(move, "failed", reason, signal);
          return;
        }
        this.#emitMove(move, "started");
        const accepted = await this.#reportMove(move, "serving", undefined, signal);
        // Serving is final for this side: the move can no longer fail, so nothing is left to clean up.
        if (accepted) this.#started.delete(move.id);
        // The leader gave up on the move first: this copy must not serve.
        else if (!signal.aborted) await this.#cleanUp(move, workload, signal);
      };
    } else if (move.to === self && move.state === "failed" && this.#started.has(move.id)) {
      task = () => this.#cleanUp(move, workload, signal);
    } else if (move.from === self && move.state === "serving") {
      task = async () => {
        if (set.has(workload.id)) {
          await set.handlers.stop(workload, move, signal);
          set.delete(workload.id, "move");
        }
        this.#emitMove(move, "stopped");
        await this.#reportMove(move, "done", undefined, signal);
      };
    }
    if (task === undefined) return;
    this.#movesSeen.add(key);
    // Bounded: a change is replayed only around a reconnect, long before 10 000 newer steps.
    if (this.#movesSeen.size > 10_000) this.#movesSeen.delete(this.#movesSeen.values().next().value!);
    const run = task;
    void run().catch((error: unknown) => {
      // Retried when the move is seen again (after a resync); a stop that failed leaves the copy until then.
      this.#movesSeen.delete(key);
      if (!signal.aborted) this.#logger.error({ peer: self, move: move.id, workload: move.workload, err: messageOf(error) }, "workload move step failed");
    });
  }

  async #cleanUp(move: WorkloadMove, workload: { readonly id: string; readonly owner?: string }, signal: AbortSignal): Promise<void> {
    const set = this.#workloadSet!;
    this.#started.delete(move.id);
    if (!set.has(workload.id)) return;
    await set.handlers.stop(workload, move, signal);
    set.delete(workload.id, "move");
    this.#emitMove(move, "cleaned-up", move.reason);
  }

  /** Reports a move step, retrying transient failures; false when the registry refused it (e.g. the move already failed). */
  async #reportMove(move: WorkloadMove, state: "serving" | "done" | "failed", reason: string | undefined, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#withRetry(signal, async () => {
        await this.#client.reportMove(move.id, { state, ...(reason === undefined ? {} : { reason }) }, { idempotencyKey: `move:${move.id}:${state}` });
      });
      return true;
    } catch (error) {
      if (signal.aborted) return false;
      this.#logger.warn({ peer: this.#peer.id, move: move.id, state, err: messageOf(error) }, "move report refused");
      return false;
    }
  }

  #emitMove(move: WorkloadMove, action: "started" | "stopped" | "failed" | "cleaned-up", reason?: string): void {
    this.#emit({ type: "agent-move", peer: this.#peer.id, move: move.id, workload: move.workload, action, ...(reason === undefined ? {} : { reason }), at: this.#clock.now() });
    this.#logger.info({ peer: this.#peer.id, move: move.id, workload: move.workload, from: move.from, to: move.to, action }, "workload move");
  }

  #onDrainResult(result: DrainResult): void {
    if (this.#drain?.epoch !== result.epoch) return;
    if (result.status === "drained") {
      this.#drain = { epoch: result.epoch, status: "drained" };
      this.#emit({ type: "agent-drain-result", peer: this.#peer.id, epoch: result.epoch, status: "drained", at: this.#clock.now() });
      this.#logger.info({ peer: this.#peer.id, epoch: result.epoch, durationMs: result.durationMs }, "drained");
    } else {
      if (result.cause === "resumed" || result.cause === "superseded") return;
      const failure = `${result.failure}${result.blocking.length > 0 ? ` (blocking: ${result.blocking.join(", ")})` : ""}`;
      this.#drain = { epoch: result.epoch, status: "failed", failure };
      this.#emit({ type: "agent-drain-result", peer: this.#peer.id, epoch: result.epoch, status: "failed", failure, at: this.#clock.now() });
      this.#logger.warn({ peer: this.#peer.id, epoch: result.epoch, failure }, "drain failed");
    }
    void this.#report();
  }

  /** Sends a status report now (coalescing with one in flight); failures retry with backoff until the next heartbeat. */
  #report(): Promise<void> {
    if (this.#reporting !== undefined) {
      this.#reportAgain = true;
      return this.#reporting;
    }
    const send = async (): Promise<void> => {
      let attempt = 0;
      for (;;) {
        const life = this.#life;
        if (life === undefined) return;
        this.#reportAgain = false;
        const report = this.status();
        try {
          await this.#client.reportStatus(this.#peer.id, report);
          this.#lastReportAt = this.#clock.now();
          this.#lastReportError = undefined;
          attempt = 0;
          if (!this.#reportAgain) return;
        } catch (error) {
          this.#lastReportError = messageOf(error);
          this.#emit({ type: "agent-report-failed", peer: this.#peer.id, error: this.#lastReportError, at: this.#clock.now() });
          if (error instanceof ControlPlaneError && error.code === "not-found") await this.#reregister();
          else if (error instanceof ControlPlaneError && !error.retryable) return;
          if (++attempt * this.#retryInitialMs > this.#heartbeatMs && !this.#reportAgain) return; // the heartbeat takes over
          try {
            await sleep(this.#clock, this.#backoff(attempt), life.signal);
          } catch {
            return;
          }
        }
      }
    };
    this.#reporting = send().finally(() => {
      this.#reporting = undefined;
    });
    return this.#reporting;
  }

  /** (Re)arms the one heartbeat timer; called after each beat and when a drain starts. */
  #scheduleHeartbeat(): void {
    if (this.#heartbeat !== undefined) this.#clock.clearTimer(this.#heartbeat);
    this.#heartbeat = undefined;
    if (this.#life === undefined) return;
    // While a drain runs, operators watch its remaining counts: report them more often.
    const period = this.#drain?.status === "draining" ? Math.min(this.#heartbeatMs, this.#drainReportMs) : this.#heartbeatMs;
    this.#heartbeat = this.#clock.setTimer(period, () => {
      this.#heartbeat = undefined;
      void this.#report().finally(() => this.#scheduleHeartbeat());
    });
  }

  async #register(): Promise<void> {
    const p = this.#peer;
    await this.#client.registerPeer({
      id: p.id,
      address: typeof p.address === "function" ? p.address() : p.address,
      pools: p.pools,
      roles: p.roles,
      ...(p.labels === undefined ? {} : { labels: typeof p.labels === "function" ? p.labels() : p.labels }),
      ...(p.metadata === undefined ? {} : { metadata: typeof p.metadata === "function" ? p.metadata() : p.metadata }),
    });
  }

  /** The peer vanished from the registry (store reset, deleted): register it again and re-read. */
  #reregister(): Promise<void> {
    this.#reregistering ??= this.#registerAgain().finally(() => {
      this.#reregistering = undefined;
    });
    return this.#reregistering;
  }

  async #registerAgain(): Promise<void> {
    const life = this.#life;
    if (life === undefined) return;
    this.#registered = false;
    await this.#withRetry(life.signal, async () => {
      await this.#register();
    }).catch(() => {});
    if (life.signal.aborted) return;
    this.#registered = true;
    await this.#withRetry(life.signal, () => this.#resync()).catch(() => {});
  }

  async #withRetry(signal: AbortSignal, fn: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      try {
        await fn();
        return;
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (error instanceof ControlPlaneError && !error.retryable) throw error;
        this.#logger.warn({ peer: this.#peer.id, attempt, err: messageOf(error) }, "control plane call failed; retrying");
        await sleep(this.#clock, this.#backoff(attempt), signal);
      }
    }
  }

  #backoff(attempt: number): number {
    return this.#jitter(Math.min(this.#retryMaxMs, this.#retryInitialMs * 2 ** (attempt - 1)));
  }

  /** `ms` with its upper half drawn at random, so a fleet does not call in lockstep. */
  #jitter(ms: number): number {
    return Math.floor(ms / 2 + (ms / 2) * this.#random.next());
  }

  #setMode(mode: WatchMode): void {
    if (this.#mode === mode) return;
    this.#mode = mode;
    this.#emit({ type: "agent-watch", peer: this.#peer.id, mode, at: this.#clock.now() });
    this.#logger.info({ peer: this.#peer.id, mode }, "agent watch mode");
  }

  #emit(event: AgentEvent): void {
    this.#events?.emit(event);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
