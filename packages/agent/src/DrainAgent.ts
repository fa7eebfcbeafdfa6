import {
  isDrainkitError,
  silentLogger,
  systemClock,
  systemRandom,
  type Clock,
  type DrainResult,
  type EventSink,
  type Logger,
  type NodeDrainCoordinator,
  type Random,
} from "@drainkit/core";
import { createControlPlaneClient, type ControlPlaneClient } from "@drainkit/client";
import type { Peer, RoleStatus, StatusReport } from "@drainkit/registry";
import type { AgentContext } from "./AgentContext.ts";
import type { AgentEvent, WatchMode } from "./AgentEvent.ts";
import { MoveExecutor } from "./MoveExecutor.ts";
import { Registrar, type AgentPeer } from "./Registrar.ts";
import { messageOf, withRetry as withRetryOf } from "./withRetry.ts";
import { SpecFollower } from "./SpecFollower.ts";
import { StatusReporter } from "./StatusReporter.ts";
import { WorkloadSet } from "./workloads.ts";

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
  /**
   * Called once per drain when every router registered on the peer
   * (`Peer.routers`) acknowledged that it took the host out of rotation for
   * the drain's epoch: end the participants' deregistration delay here
   * (`http.deregistered()`, `rpc.deregistered()`). With no router registered
   * it is never called, and the delay runs out.
   */
  readonly onRoutersAcknowledged?: (epoch: number) => void;
  /** Status report period, ms. Default 5 000. */
  readonly heartbeatMs?: number;
  /** Report period while a drain is in progress (in-flight counts move then), ms. Default 1 000. */
  readonly drainReportMs?: number;
  /** Spec polling period while the event stream is down, ms (±50 % jitter). Default 2 000. */
  readonly pollMs?: number;
  /** Backoff of registration and failed reports: from `initialMs` doubling to `maxMs`, half drawn at random. Default 200 ms → 5 s. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * Why a drain in progress waits, when the host knows (e.g. a control-plane
   * replica that keeps leading because only draining replicas are left);
   * reported as the drain's `reason` while it waits.
   */
  readonly waiting?: () => string | undefined;
}

/** Settings of {@link DrainAgent.shutdown}. */
export interface ShutdownOptions {
  /** The drain's deadline from now, ms, when no drain is in progress already (a rollout's keeps its own). Default 30 000. */
  readonly deadlineMs?: number;
  /** Audit reason of the drain. Default "shutdown". */
  readonly reason?: string;
  /** How long the drain the control plane accepted may take to reach the agent's spec before it drains locally instead, ms. Default 10 000. */
  readonly specTimeoutMs?: number;
}

/** How {@link DrainAgent.shutdown} drained the host, and the outcome. */
export interface ShutdownOutcome {
  /** `control-plane`: the peer's own drain through the control plane (routers told, workloads moved); `local`: the host's gates only. */
  readonly via: "control-plane" | "local";
  /** Why the drain was local. */
  readonly why?: string;
  readonly result: DrainResult;
}

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

/**
 * Runs inside a host and keeps it in step with its spec in the control
 * plane: registers the peer ({@link Registrar}), reports status (per-role
 * phase, in flight per participant, workloads, epoch) on a heartbeat and on
 * every change ({@link StatusReporter}), and follows its own spec through
 * the event stream, resuming from the last revision after a break and
 * polling with jitter while the stream is down ({@link SpecFollower}); with
 * a {@link WorkloadSet} it also carries out workload moves ({@link MoveExecutor}).
 *
 * Reconciling (here): a drain with an epoch newer than the last one acted
 * on drives the local {@link NodeDrainCoordinator} for the named roles, and
 * its outcome (drained, or failed with the reason and the blocking
 * participants) is reported at once; a spec without a drain reopens the
 * gates; an older epoch is ignored (`agent-stale-spec`). A host restarted in
 * the middle of a rollout finds its drain in the spec and comes up drained.
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
  readonly #ctx: AgentContext;
  readonly #workloads: () => { readonly owners: number; readonly children: number };
  readonly #workloadSet: WorkloadSet | undefined;
  readonly #registrar: Registrar;
  readonly #follower: SpecFollower;
  readonly #reporter: StatusReporter;
  readonly #moves: MoveExecutor | undefined;
  readonly #onRoutersAcknowledged: ((epoch: number) => void) | undefined;
  /** The drain epoch whose router acknowledgements were passed on. */
  #ackedEpoch = 0;
  readonly #waiting: (() => string | undefined) | undefined;

  #life: AbortController | undefined;
  #acted = 0;
  #drain: { epoch: number; status: "draining" | "drained" | "failed"; failure?: string } | undefined;
  /** Drained roles of the current drain that no local participant serves. */
  #foreignRoles: Record<string, RoleStatus> = {};
  /** The local drain started from the spec, for {@link shutdown} to wait on. */
  #pending: { epoch: number; promise: Promise<DrainResult> } | undefined;
  /** Told each time the agent acts on a new drain epoch. */
  readonly #onActed = new Set<() => void>();

  constructor(options: AgentOptions) {
    const cp = options.controlPlane;
    const clock = options.clock ?? systemClock();
    const random = options.random ?? systemRandom();
    const clientRandom = random.fork();
    this.#makeClient = "registerPeer" in cp ? undefined : () => createControlPlaneClient({ url: cp.url, token: cp.token, clock, random: clientRandom });
    this.#client = "registerPeer" in cp ? cp : this.#makeClient!();
    this.#peer = options.peer;
    this.#coordinator = options.coordinator;
    this.#onRoutersAcknowledged = options.onRoutersAcknowledged;
    this.#waiting = options.waiting;
    const events = options.events;
    this.#ctx = {
      peer: options.peer.id,
      clock,
      random,
      logger: options.logger ?? silentLogger,
      retry: { initialMs: options.retry?.initialMs ?? 200, maxMs: options.retry?.maxMs ?? 5_000 },
      client: () => this.#client,
      life: () => this.#life,
      emit: (event) => events?.emit(event),
    };
    const workloads = options.workloads;
    this.#workloadSet = workloads instanceof WorkloadSet ? workloads : undefined;
    this.#workloads = workloads instanceof WorkloadSet ? () => workloads.counts() : (workloads ?? (() => ({ owners: 0, children: 0 })));
    this.#moves = this.#workloadSet === undefined ? undefined : new MoveExecutor(this.#ctx, this.#workloadSet);
    this.#registrar = new Registrar(this.#ctx, options.peer, () => this.#follower.resync());
    this.#follower = new SpecFollower(
      this.#ctx,
      { reconcile: (peer) => this.#reconcile(peer), move: (move) => this.#moves?.onMove(move), reregister: () => this.#registrar.reregister() },
      { pollMs: options.pollMs ?? 2_000, followMoves: this.#moves !== undefined },
    );
    this.#reporter = new StatusReporter(
      this.#ctx,
      { status: () => this.status(), draining: () => this.#drain?.status === "draining", reregister: () => this.#registrar.reregister(), elsewhere: (livesOn) => this.#stopElsewhere(livesOn) },
      { heartbeatMs: options.heartbeatMs ?? 5_000, drainReportMs: options.drainReportMs ?? 1_000 },
    );
    // A move's own changes reach the control plane through the move; the next heartbeat carries the placement.
    this.#workloadSet?.onChange((cause) => {
      if (cause === "host") void this.reportNow();
    });
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
    const ctx = this.#ctx;
    try {
      await this.#registrar.start(both);
      ctx.emit({ type: "agent-registered", peer: ctx.peer, at: ctx.clock.now() });
      ctx.logger.info({ peer: ctx.peer }, "agent registered");
      await this.#endOwnShutdownDrain();
      await withRetryOf(ctx, both, () => this.#follower.resync());
      await this.#follower.reconciling;
      await this.#reporter.report();
    } catch (error) {
      // A start that gave up (or was cancelled) leaves nothing running, so start() may be called again.
      await this.stop();
      throw error;
    }
    this.#reporter.scheduleHeartbeat();
  }

  /**
   * Drains the host for its shutdown through the control plane: requests a
   * drain of its own peer (the token's `mesh.agent` scope allows exactly
   * that; a drain already in progress, e.g. a rollout's, keeps its
   * deadline), so routers take the host out and its workloads move, then
   * waits until the local drain of that epoch ends and reports it. A control
   * plane that is missing, unreachable or refuses (a pool budget) falls back
   * to draining the host's gates locally, with a log line saying so. Call
   * {@link stop} afterwards. The agent ends such a drain itself when it
   * starts again.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<ShutdownOutcome> {
    const ctx = this.#ctx;
    const deadlineMs = options.deadlineMs ?? 30_000;
    const reason = options.reason ?? "shutdown";
    const local = async (why: string): Promise<ShutdownOutcome> => {
      ctx.logger.warn({ peer: ctx.peer, why }, "shutdown drain not through the control plane: draining locally");
      ctx.emit({ type: "agent-shutdown", peer: ctx.peer, via: "local", why, at: ctx.clock.now() });
      const result = await this.#coordinator.drain({ deadline: ctx.clock.now() + deadlineMs, reason });
      await this.reportNow().catch(() => {});
      return { via: "local", why, result };
    };
    if (this.#life === undefined || !this.#registrar.registered) return local("the agent is not registered with a control plane");
    let epoch: number;
    try {
      // A drain already asked of this peer (an operator's, a rollout's) is the one to wait for: asking again would audit a second drain.
      const current = (await this.#client.getPeer(ctx.peer)).spec.drain;
      epoch = current?.epoch ?? (await this.#client.drain(ctx.peer, { reason, deadlineMs })).epoch;
    } catch (error) {
      return local(`the control plane did not take the drain: ${messageOf(error)}`);
    }
    ctx.logger.info({ peer: ctx.peer, epoch }, "shutdown: drain requested through the control plane (or already asked of this peer)");
    ctx.emit({ type: "agent-shutdown", peer: ctx.peer, via: "control-plane", epoch, at: ctx.clock.now() });
    const specTimeoutMs = options.specTimeoutMs ?? 10_000;
    const pending = await this.#actedOn(epoch, specTimeoutMs);
    const result = await pending?.promise.catch(() => undefined);
    if (result === undefined) return local(`drain epoch ${epoch} did not start here within ${specTimeoutMs} ms`);
    await this.reportNow().catch(() => {});
    return { via: "control-plane", result };
  }

  /**
   * One home per workload: of the workloads this host was told to run at
   * start (`--jobs`), those no other live peer of its pools holds, by the
   * placements in the registry. A host restarted after its workloads moved
   * starts only the ones still its own; the others are named with where they
   * live, and logged. Call after {@link start}.
   */
  async claimWorkloads(ids: readonly string[]): Promise<{ readonly mine: readonly string[]; readonly elsewhere: Readonly<Record<string, string>> }> {
    const ctx = this.#ctx;
    const pools = new Set(this.#peer.pools);
    const { peers } = await this.#client.snapshot();
    const elsewhere: Record<string, string> = {};
    const wanted = new Set(ids);
    for (const peer of peers) {
      // A silent peer's placement is stale: its workloads are homeless, not at home there.
      if (peer.id === ctx.peer || peer.liveness !== "live" || !peer.pools.some((p) => pools.has(p))) continue;
      for (const w of (await this.#client.getPlacement(peer.id)).items) if (wanted.has(w.id)) elsewhere[w.id] ??= peer.id;
    }
    for (const [workload, peer] of Object.entries(elsewhere)) ctx.logger.info({ peer: ctx.peer, workload, livesOn: peer }, "workload lives on another peer; not started here");
    return { mine: ids.filter((id) => elsewhere[id] === undefined), elsewhere };
  }

  /** The registry refused workloads another peer runs: stop each here (the host's stop handler, no move), logged. */
  async #stopElsewhere(livesOn: Readonly<Record<string, string>>): Promise<boolean> {
    const set = this.#workloadSet;
    const signal = this.#life?.signal ?? AbortSignal.abort();
    let stopped = false;
    for (const [id, peer] of Object.entries(livesOn)) {
      const w = set?.list().find((x) => x.id === id);
      if (set === undefined || w === undefined) continue;
      set.delete(id, "move");
      stopped = true;
      this.#ctx.logger.warn({ peer: this.#ctx.peer, workload: id, livesOn: peer }, "the registry says this workload runs on another peer: stopped here");
      await set.handlers.stop(w, undefined, signal).catch((error: unknown) => this.#ctx.logger.error({ peer: this.#ctx.peer, workload: id, err: messageOf(error) }, "stopping a workload that runs elsewhere failed"));
    }
    return stopped;
  }

  /** The local drain of `epoch` (or a later one) once the agent acted on it; undefined after `timeoutMs` or when none started here. */
  #actedOn(epoch: number, timeoutMs: number): Promise<{ readonly promise: Promise<DrainResult> } | undefined> {
    const clock = this.#ctx.clock;
    return new Promise((resolve) => {
      const finish = (value: { readonly promise: Promise<DrainResult> } | undefined): void => {
        this.#onActed.delete(check);
        clock.clearTimer(timer);
        resolve(value);
      };
      const check = (): void => {
        if (this.#acted >= epoch) finish(this.#pending !== undefined && this.#pending.epoch >= epoch ? { promise: this.#pending.promise } : undefined);
      };
      const timer = clock.setTimer(timeoutMs, () => finish(undefined));
      this.#onActed.add(check);
      check();
    });
  }

  /** A drain this agent requested for its own shutdown ends when it starts again (an operator's or a rollout's stays). */
  async #endOwnShutdownDrain(): Promise<void> {
    const ctx = this.#ctx;
    try {
      const drain = (await this.#client.getPeer(ctx.peer)).spec.drain;
      if (drain === undefined || drain.requestedBy !== ctx.peer) return;
      await this.#client.resume(ctx.peer, { reason: "restarted after its shutdown drain" });
      ctx.logger.info({ peer: ctx.peer, epoch: drain.epoch }, "ended this agent's own shutdown drain on start");
    } catch (error) {
      ctx.logger.warn({ peer: ctx.peer, err: messageOf(error) }, "could not end this agent's own shutdown drain; the spec decides");
    }
  }

  /** Stops following the spec and heartbeating; the gates stay as they are. */
  async stop(): Promise<void> {
    const life = this.#life;
    if (life === undefined) return;
    this.#life = undefined;
    life.abort();
    this.#follower.stop();
    this.#reporter.stopHeartbeat();
    await this.#follower.reconciling.catch(() => {});
    await this.#reporter.settled();
    if (this.#makeClient !== undefined) {
      this.#clientClosed = true;
      await this.#client.close();
    }
  }

  snapshot(): AgentSnapshot {
    const lastReportAt = this.#reporter.lastReportAt;
    const lastReportError = this.#reporter.lastReportError;
    return {
      peer: this.#peer.id,
      registered: this.#registrar.registered,
      watch: this.#follower.mode,
      revision: this.#follower.revision,
      epoch: this.#acted,
      specVersion: this.#follower.specVersion,
      ...(lastReportAt === undefined ? {} : { lastReportAt }),
      ...(lastReportError === undefined ? {} : { lastReportError }),
      ...(this.#drain === undefined ? {} : { drain: { ...this.#drain } }),
    };
  }

  /** Sends a status report now, e.g. after the host drained or resumed itself. */
  reportNow(): Promise<void> {
    return this.#life === undefined ? Promise.resolve() : this.#reporter.report();
  }

  /** The status report the agent would send now. */
  status(): StatusReport {
    const snap = this.#coordinator.snapshot();
    const roles: Record<string, RoleStatus> = {};
    for (const [role, state] of Object.entries(snap.node.roles)) roles[role] = { phase: state.phase, epoch: state.epoch };
    Object.assign(roles, this.#foreignRoles);
    const inFlight: Record<string, number> = {};
    for (const p of snap.participants) inFlight[p.name] = p.inFlight;
    const reason = this.#drain?.status === "failed" ? this.#drain.failure : this.#drain?.status === "draining" ? this.#waiting?.() : undefined;
    return {
      roles,
      inFlight,
      workloads: this.#workloads(),
      ...(this.#workloadSet === undefined ? {} : { placement: this.#workloadSet.list() }),
      epoch: this.#acted,
      ...(reason === undefined ? {} : { reason }),
    };
  }

  async #reconcile(peer: Peer): Promise<void> {
    const ctx = this.#ctx;
    const drain = peer.spec.drain;
    if (drain !== undefined) {
      if (drain.epoch <= this.#acted) {
        if (drain.epoch === this.#acted) this.#checkRouterAcks(peer);
        if (drain.epoch < this.#acted) ctx.emit({ type: "agent-stale-spec", peer: ctx.peer, epoch: drain.epoch, acted: this.#acted, at: ctx.clock.now() });
        return;
      }
      this.#acted = drain.epoch;
      // Read only here and on a resume: most specs reconciled (the echo of a status report) change nothing.
      const known = new Set(Object.keys(this.#coordinator.snapshot().node.roles));
      const roles = drain.roles.filter((r) => known.has(r));
      // Roles the registry lists but no local participant serves have nothing to
      // drain: report them drained, or the drain could never finish.
      this.#foreignRoles = Object.fromEntries(drain.roles.filter((r) => !known.has(r)).map((r) => [r, { phase: "drained" as const, epoch: drain.epoch }]));
      this.#drain = { epoch: drain.epoch, status: "draining" };
      ctx.emit({ type: "agent-drain", peer: ctx.peer, epoch: drain.epoch, roles, at: ctx.clock.now() });
      ctx.logger.info({ peer: ctx.peer, epoch: drain.epoch, roles, deadline: drain.deadline }, "draining");
      if (roles.length === 0) {
        this.#drain = { epoch: drain.epoch, status: "drained" };
        for (const tell of [...this.#onActed]) tell();
        void this.#reporter.report();
        return;
      }
      let pending: Promise<DrainResult>;
      try {
        pending = this.#coordinator.drain({ epoch: drain.epoch, deadline: drain.deadline, reason: drain.reason, roles });
      } catch (error) {
        ctx.logger.warn({ peer: ctx.peer, epoch: drain.epoch, err: messageOf(error) }, "drain refused locally");
        for (const tell of [...this.#onActed]) tell();
        return;
      }
      this.#pending = { epoch: drain.epoch, promise: pending };
      for (const tell of [...this.#onActed]) tell();
      // The routers may have acknowledged before the gates started closing.
      this.#checkRouterAcks(peer);
      void this.#reporter.report();
      if (this.#reporter.beating) this.#reporter.scheduleHeartbeat();
      // The outcome is reported when it comes; reconciling moves on so a resume can cut the drain short.
      pending.then(
        (result) => this.#onDrainResult(result),
        (error: unknown) => {
          // A stale epoch locally means an earlier drain here already used it (e.g. drained directly on the host).
          ctx.logger.warn({ peer: ctx.peer, epoch: drain.epoch, err: messageOf(error), code: isDrainkitError(error) ? error.code : undefined }, "drain refused locally");
          void this.#reporter.report();
        },
      );
      return;
    }
    // Only a drain this agent started from the spec is ended by the spec; a
    // drain ordered on the host itself (/control/upgrade/drain) waits for a
    // resume on the host.
    if (this.#drain !== undefined) {
      ctx.emit({ type: "agent-resume", peer: ctx.peer, at: ctx.clock.now() });
      ctx.logger.info({ peer: ctx.peer }, "resuming");
      this.#drain = undefined;
      this.#foreignRoles = {};
      try {
        if (this.#coordinator.snapshot().status !== "idle") await this.#coordinator.resume();
      } finally {
        void this.#reporter.report();
      }
    }
  }

  /** Passes on, once per drain, that every router registered on the peer took it out of rotation. */
  #checkRouterAcks(peer: Peer): void {
    const drain = peer.spec.drain;
    if (drain === undefined || drain.epoch <= this.#ackedEpoch || this.#drain?.status !== "draining") return;
    const routers = Object.entries(peer.routers ?? {});
    if (routers.length === 0 || routers.some(([, r]) => (r.acked ?? -1) < drain.epoch)) return;
    this.#ackedEpoch = drain.epoch;
    this.#ctx.logger.info({ peer: this.#ctx.peer, epoch: drain.epoch, routers: routers.map(([id]) => id) }, "every router took the host out of rotation; ending the deregistration delay");
    this.#onRoutersAcknowledged?.(drain.epoch);
  }

  #onDrainResult(result: DrainResult): void {
    const ctx = this.#ctx;
    if (this.#drain?.epoch !== result.epoch) return;
    if (result.status === "drained") {
      this.#drain = { epoch: result.epoch, status: "drained" };
      ctx.emit({ type: "agent-drain-result", peer: ctx.peer, epoch: result.epoch, status: "drained", at: ctx.clock.now() });
      ctx.logger.info({ peer: ctx.peer, epoch: result.epoch, durationMs: result.durationMs }, "drained");
    } else {
      if (result.cause === "resumed" || result.cause === "superseded") return;
      const failure = `${result.failure}${result.blocking.length > 0 ? ` (blocking: ${result.blocking.join(", ")})` : ""}`;
      this.#drain = { epoch: result.epoch, status: "failed", failure };
      ctx.emit({ type: "agent-drain-result", peer: ctx.peer, epoch: result.epoch, status: "failed", failure, at: ctx.clock.now() });
      ctx.logger.warn({ peer: ctx.peer, epoch: result.epoch, failure }, "drain failed");
    }
    void this.#reporter.report();
  }
}
