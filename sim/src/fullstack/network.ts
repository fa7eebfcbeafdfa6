import { isDrainkitError, type Clock, type Random } from "@drainkit/core";
import { ControlPlaneError, HistoryLostError, type ChangeKind, type ChangeOf, type ControlPlaneClient, type WatchOptions } from "@drainkit/client";
import { passesWatchFilter, type Principal, type Registry, type WorkloadMove } from "@drainkit/registry";
import { span } from "../model/sample.ts";
import type { Span } from "../scenario/types.ts";

/** How the simulated network between the agents and the control plane behaves. */
export interface NetworkSettings {
  /** One-way delay of every message, ms. */
  readonly delayMs?: Span;
  /** Share of calls lost (0..1): the caller sees `unreachable` after `timeoutMs`. */
  readonly loss?: number;
  /** How long a caller waits for an answer that never comes, ms. Default 2 000. */
  readonly timeoutMs?: number;
}

type FeedChange = Parameters<Parameters<Registry["watchAll"]>[1]>[0];

interface Subscriber {
  readonly node: number;
  readonly peer: string;
  readonly kinds: ReadonlySet<string> | undefined;
  readonly onChange: (change: never) => void;
  readonly onError: ((error: Error) => void) | undefined;
  /** Virtual time the last change was handed over: a stream delivers in order. */
  lastAt: number;
  closed: boolean;
}

/** Changes kept per peer for a stream that resumes from an older revision. */
const KEPT_PER_PEER = 64;

/**
 * The network between the hosts' agents and the control plane, simulated:
 * each agent gets a `ControlPlaneClient` whose calls reach the registry
 * in-process (the same registry verbs the HTTP routes call, as the agent's
 * principal) after a seeded one-way delay, and whose answers come back after
 * another; a call may be lost (`unreachable` after the timeout), and a host
 * may be partitioned from the control plane for a while (every call fails;
 * its event stream breaks, so the agent polls and resyncs, as over HTTP).
 *
 * The event stream is one registry watch shared by every agent and handed
 * to each subscriber whose filter passes (the registry's own watch filter),
 * in order, each change after its own delay. The network also keeps a fact
 * of the ledger: when each host's last status report reached the registry.
 */
export class SimNetwork {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #settings: NetworkSettings;
  readonly #registry: () => Registry;
  readonly #partitionedUntil: Float64Array;
  /** Virtual time each host's last status report reached the registry (-Infinity: never). */
  readonly lastHeard: Float64Array;
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  readonly #history = new Map<string, FeedChange[]>();
  #feed: { close(): void } | undefined;
  #revision = 0;
  calls = 0;
  lost = 0;

  constructor(clock: Clock, random: Random, settings: NetworkSettings, size: number, registry: () => Registry) {
    this.#clock = clock;
    this.#random = random;
    this.#settings = settings;
    this.#registry = registry;
    this.#partitionedUntil = new Float64Array(size);
    this.lastHeard = new Float64Array(size).fill(-Infinity);
  }

  /** Starts the shared event stream (call once the registry exists). */
  async open(): Promise<void> {
    const { revision } = await this.#registry().listPeers({ id: "sim-network", scopes: ["mesh.read"] }, { limit: 1 });
    this.#revision = revision;
    this.#feed = this.#registry().watchAll(revision, (change) => this.#fanOut(change));
  }

  close(): void {
    this.#feed?.close();
  }

  /** Cuts host `node` off the control plane until `until` (virtual ms): its calls fail and its event stream breaks. */
  partition(node: number, until: number): void {
    this.#partitionedUntil[node] = Math.max(this.#partitionedUntil[node]!, until);
    for (const subs of this.#subscribers.values()) {
      for (const s of [...subs]) if (s.node === node) this.#breakStream(s, "the host is cut off from the control plane");
    }
  }

  partitioned(node: number): boolean {
    return this.#partitionedUntil[node]! > this.#now();
  }

  #now(): number {
    return this.#clock.monotonic();
  }

  #delay(): number {
    return span(this.#random, this.#settings.delayMs, 0);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimer(ms, resolve));
  }

  #unreachable(what: string): ControlPlaneError {
    return new ControlPlaneError(0, "unreachable", `${what} failed: no answer from the control plane (simulated network)`, { retryable: true });
  }

  /** One request and its answer over the simulated network. */
  async #call<T>(node: number, what: string, fn: (registry: Registry) => Promise<T>, onDelivered?: () => void): Promise<T> {
    this.calls++;
    const timeoutMs = this.#settings.timeoutMs ?? 2_000;
    const loss = this.#settings.loss ?? 0;
    if (this.partitioned(node) || (loss > 0 && this.#random.next() < loss)) {
      this.lost++;
      await this.#sleep(timeoutMs);
      throw this.#unreachable(what);
    }
    await this.#sleep(this.#delay());
    if (this.partitioned(node)) {
      await this.#sleep(timeoutMs);
      throw this.#unreachable(what);
    }
    let result: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      result = { ok: true, value: await fn(this.#registry()) };
      onDelivered?.();
    } catch (error) {
      result = { ok: false, error: asClientError(error, what) };
    }
    await this.#sleep(this.#delay());
    if (this.partitioned(node)) throw this.#unreachable(what); // the registry acted; the answer is lost
    if (!result.ok) throw result.error;
    return result.value;
  }

  /** The client of host `node`'s agent, authenticated as its peer (`mesh.agent`). */
  client(node: number, peer: string): ControlPlaneClient {
    const me: Principal = { id: peer, scopes: ["mesh.agent"] };
    const call = <T>(what: string, fn: (r: Registry) => Promise<T>, onDelivered?: () => void): Promise<T> => this.#call(node, what, fn, onDelivered);
    const watches = new Set<Subscriber>();
    return {
      url: "sim://control-plane",
      registerPeer: ({ id, ...rest }) => call(`PUT /control/peers/${id}`, async (r) => (await r.registerPeer(me, { ...rest, id })).value),
      reportStatus: (id, report) =>
        call(`PUT /control/peers/${id}/status`, async (r) => (await r.reportStatus(me, id, report)).value, () => {
          if (id === peer) this.lastHeard[node] = this.#now();
        }),
      getPeer: (id) => call(`GET /control/peers/${id}`, async (r) => (await r.getPeer(me, id)).peer),
      listPeers: (query = {}) => call("GET /control/peers", (r) => r.listPeers(me, query)),
      drain: (id, input, o) => call(`POST /control/peers/${id}:drain`, async (r) => (await r.drain(me, id, input, o?.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey })).value),
      drainStatus: (id) => call(`GET /control/peers/${id}/drain`, (r) => r.drainStatus(me, id)),
      getPlacement: (id) => call(`GET /control/peers/${id}/placement`, (r) => r.getPlacement(me, id)),
      resume: (id, input = {}, o) => call(`POST /control/peers/${id}:resume`, async (r) => (await r.resume(me, id, input, o?.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey })).value),
      listMoves: (query = {}) => call("GET /control/moves", (r) => r.listMoves(me, query)),
      reportMove: (id, report, o) =>
        call(`POST /control/moves/${id}:report`, async (r) => (await r.reportMove(me, id, report, o?.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey })).value),
      snapshot: async () => {
        const page = await call("GET /control/peers", (r) => r.listPeers(me, { limit: 100_000 }));
        return { peers: page.items, revision: page.revision };
      },
      watch: <K extends ChangeKind = ChangeKind>(fromRevision: number, onChange: (change: ChangeOf<K>) => void, onError?: (error: Error) => void, options: WatchOptions<K> = {}) => {
        const s = this.#subscribe(node, options.peer ?? peer, fromRevision, options.kinds, onChange as (change: never) => void, onError);
        watches.add(s);
        if (!s.closed) this.#clock.setTimer(this.#delay(), () => options.onState?.(s.closed ? "down" : "streaming"));
        return {
          close: () => {
            watches.delete(s);
            this.#unsubscribe(s);
          },
        };
      },
      close: async () => {
        for (const s of [...watches]) this.#unsubscribe(s);
        watches.clear();
      },
    };
  }

  #subscribe(node: number, peer: string, fromRevision: number, kinds: readonly string[] | undefined, onChange: (change: never) => void, onError: ((error: Error) => void) | undefined): Subscriber {
    const s: Subscriber = { node, peer, kinds: kinds === undefined ? undefined : new Set(kinds), onChange, onError, lastAt: 0, closed: false };
    if (this.partitioned(node)) {
      this.#breakStream(s, "the host is cut off from the control plane");
      return s;
    }
    let subs = this.#subscribers.get(peer);
    if (subs === undefined) this.#subscribers.set(peer, (subs = new Set()));
    subs.add(s);
    // Resume after `fromRevision`: what this peer's feed kept since then is replayed first.
    const kept = this.#history.get(peer) ?? [];
    if (fromRevision < this.#revision && kept.length >= KEPT_PER_PEER && kept[0]!.revision > fromRevision + 1) {
      this.#breakStream(s, `the feed no longer holds the changes after revision ${fromRevision}`);
      return s;
    }
    for (const change of kept) if (change.revision > fromRevision) this.#deliver(s, change);
    return s;
  }

  #unsubscribe(s: Subscriber): void {
    s.closed = true;
    this.#subscribers.get(s.peer)?.delete(s);
  }

  #breakStream(s: Subscriber, why: string): void {
    if (s.closed) return;
    this.#unsubscribe(s);
    const onError = s.onError;
    if (onError !== undefined) this.#clock.setTimer(this.#delay(), () => onError(new HistoryLostError(why)));
  }

  #fanOut(change: FeedChange): void {
    this.#revision = Math.max(this.#revision, change.revision);
    if (change.kind !== "peer" && change.kind !== "move") return;
    const move = change.kind === "move" ? (change.value as WorkloadMove | undefined) : undefined;
    const peers = change.kind === "peer" ? [change.id] : move === undefined ? [] : [...new Set([move.from, move.to])];
    for (const peer of peers) {
      let kept = this.#history.get(peer);
      if (kept === undefined) this.#history.set(peer, (kept = []));
      kept.push(change);
      if (kept.length > KEPT_PER_PEER * 2) kept.splice(0, kept.length - KEPT_PER_PEER);
      const subs = this.#subscribers.get(peer);
      if (subs === undefined) continue;
      for (const s of subs) this.#deliver(s, change);
    }
  }

  #deliver(s: Subscriber, change: FeedChange): void {
    if (change.kind === "placement" || (s.kinds !== undefined && !s.kinds.has(change.kind))) return;
    if (!passesWatchFilter(change, { peer: s.peer })) return;
    const now = this.#now();
    const at = Math.max(now + this.#delay(), s.lastAt);
    s.lastAt = at;
    this.#clock.setTimer(at - now, () => {
      if (!s.closed) s.onChange(change as never);
    });
  }
}

/** A registry refusal as the agent sees it over HTTP: a {@link ControlPlaneError} with the problem's code, retryable flag and details. */
function asClientError(error: unknown, what: string): ControlPlaneError {
  if (error instanceof ControlPlaneError) return error;
  if (isDrainkitError(error)) {
    const details = (error.details ?? {}) as Record<string, unknown>;
    return new ControlPlaneError(error.code === "not-found" ? 404 : 409, error.code, `${what}: ${error.code}: ${error.message}`, { retryable: error.retryable, details: { ...details, details } });
  }
  return new ControlPlaneError(500, "internal", `${what}: ${error instanceof Error ? error.message : String(error)}`, { retryable: true });
}
