// @ts-nocheck
import { nullEventSink, silentLogger, type Clock, type EventSink, type Logger, type TimerHandle } from "@drainkit/core";
import { isRoutable } from "../peerState.ts";
import type { Router } from "../Router.ts";
import type { RouteMember } from "../types.ts";
import type { HaproxyRuntimeApi, HaproxyServer } from "./runtimeApi.ts";

/** The admin state a member's server gets: `ready` takes traffic, `drain` keeps only existing and sticky sessions, `maint` none. */
export type HaproxyServerState = "ready" | "drain" | "maint";

/** What the adapter did, one event per server change HAProxy applied. */
export type HaproxySyncEvent =
  | { readonly type: "haproxy-server-set"; readonly backend: string; readonly server: string; readonly state: HaproxyServerState; readonly address: string; readonly weight: number | undefined }
  | { readonly type: "haproxy-server-deleted"; readonly backend: string; readonly server: string }
  | { readonly type: "haproxy-sync-failed"; readonly backend: string; readonly message: string };

/** Options of {@link startHaproxySync}. */
export interface HaproxySyncOptions {
  readonly router: Router;
  readonly role: string;
  /** Only members of this pool. */
  readonly pool?: string;
  /** The backend the adapter owns: it adds, updates and deletes every server in it. Declare it without servers. */
  readonly backend: string;
  readonly api: HaproxyRuntimeApi;
  /** For the retry after a failed command. */
  readonly clock: Clock;
  /** Server name of a member. Default its id, with characters HAProxy refuses replaced by `_`. */
  readonly serverName?: (member: RouteMember) => string;
  /** Weight (0–256) of a member's server, or undefined to leave HAProxy's. Default: the member's `weight` label when it is a number. */
  readonly weightOf?: (member: RouteMember) => number | undefined;
  /** Appended to `add server`, e.g. `"check inter 1s"` (health checks are then enabled too). */
  readonly serverArgs?: string;
  /** Wait before a full resync after a command failed. Default 1 000. */
  readonly retryMs?: number;
  readonly logger?: Logger;
  readonly events?: EventSink<HaproxySyncEvent>;
}

/** A running adapter. */
export interface HaproxySync {
  /** Reads the backend and brings every server in line with the router now. */
  resync(): Promise<void>;
  /** Resolves once every change queued so far has been sent. */
  settled(): Promise<void>;
  close(): void;
}

interface Desired {
  readonly peer: string;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly state: HaproxyServerState;
  readonly weight: number | undefined;
}

const defaultName = (m: RouteMember): string => m.id.replace(/[^A-Za-z0-9_.:-]/g, "_");
const defaultWeight = (m: RouteMember): number | undefined => {
  const w = Number(m.labels["weight"]);
  return m.labels["weight"] !== undefined && Number.isInteger(w) && w >= 0 && w <= 256 ? w : undefined;
};

/** The state core's phase maps to: routable → ready, draining → drain, drained or failed → maint. */
export function haproxyStateOf(member: RouteMember): HaproxyServerState {
  if (isRoutable(member.role, member.phase)) return "ready";
  return member.phase === "draining" ? "drain" : "maint";
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (m === null) throw new RangeError(`member address "${address}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/**
 * Drives a real HAProxy from the control plane's peer states through its
 * Runtime API: each member of `role` is a server of `backend`, added with
 * `add server` when it appears, `set server … state ready` while routable
 * (active or cordoned), `state drain` while it drains (HAProxy sends it no
 * new connections, existing ones and sticky sessions finish), `state maint`
 * once drained or failed, moved with `set server … addr` when it restarts
 * elsewhere, weighted with `set server … weight`, and removed (maint, then
 * `del server`, retried until its last connection ended) when it leaves.
 * Every change is sent as the router applies it; a failed command triggers
 * a full resync after `retryMs`.
 *
 * @example
 * const sync = await startHaproxySync({ router, role: "edge", backend: "web", api: haproxyRuntimeApi("/run/haproxy/admin.sock"), clock });
 */
export async function startHaproxySync(options: HaproxySyncOptions): Promise<HaproxySync> {
  const { router, role, backend, api, clock } = options;
  const nameOf = options.serverName ?? defaultName;
  const weightOf = options.weightOf ?? defaultWeight;
  const logger = options.logger ?? silentLogger;
  const events: EventSink<HaproxySyncEvent> = options.events ?? nullEventSink;
  const retryMs = options.retryMs ?? 1_000;
  const args = options.serverArgs === undefined || options.serverArgs.trim() === "" ? "" : ` ${options.serverArgs.trim()}`;
  const checks = /\bcheck\b/.test(args);
  /** What HAProxy has, as far as this adapter knows. */
  let known = new Map<string, { host: string; port: number; state: HaproxyServerState; weight: number | undefined }>();
  /** Server name per peer id, so a peer that is gone can still be found. */
  const names = new Map<string, string>();
  let queue: Promise<void> = Promise.resolve();
  let retry: TimerHandle | undefined;
  let closed = false;

  const inScope = (m: RouteMember | undefined): m is RouteMember => m !== undefined && (options.pool === undefined || m.pools.includes(options.pool));
  const desiredOf = (m: RouteMember): Desired => ({ peer: m.id, name: nameOf(m), ...splitAddress(m.address), state: haproxyStateOf(m), weight: weightOf(m) });

  const apply = async (d: Desired): Promise<void> => {
    const at = `${backend}/${d.name}`;
    names.set(d.peer, d.name);
    let cur = known.get(d.name);
    if (cur === undefined) {
      await api.run(`add server ${at} ${d.host.includes(":") ? `[${d.host}]` : d.host}:${d.port}${args}`);
      // A dynamic server starts in maintenance.
      cur = { host: d.host, port: d.port, state: "maint", weight: undefined };
      known.set(d.name, cur);
      if (checks) await api.run(`enable health ${at}`);
    } else if (cur.host !== d.host || cur.port !== d.port) {
      await api.run(`set server ${at} addr ${d.host} port ${d.port}`);
      cur.host = d.host;
      cur.port = d.port;
    }
    if (d.weight !== undefined && cur.weight !== d.weight) {
      await api.run(`set server ${at} weight ${d.weight}`);
      cur.weight = d.weight;
    }
    if (cur.state !== d.state) {
      await api.run(`set server ${at} state ${d.state}`);
      cur.state = d.state;
      logger.info({ backend, server: d.name, state: d.state, address: `${d.host}:${d.port}` }, "haproxy server state set");
      events.emit({ type: "haproxy-server-set", backend, server: d.name, state: d.state, address: `${d.host}:${d.port}`, weight: d.weight });
    }
  };

  const remove = async (name: string): Promise<void> => {
    const cur = known.get(name);
    if (cur !== undefined && cur.state !== "maint") {
      await api.run(`set server ${backend}/${name} state maint`);
      cur.state = "maint";
    }
    // Refused while connections are still attached; the resync retries until they ended.
    await api.run(`del server ${backend}/${name}`);
    known.delete(name);
    events.emit({ type: "haproxy-server-deleted", backend, server: name });
  };

  const failed = (e: unknown): void => {
    const message = e instanceof Error ? e.message : String(e);
    logger.warn({ backend, error: message }, "haproxy sync failed; resyncing");
    events.emit({ type: "haproxy-sync-failed", backend, message });
    if (closed || retry !== undefined) return;
    retry = clock.setTimer(retryMs, () => {
      retry = undefined;
      void enqueue(fullSync);
    });
  };

  const enqueue = (step: () => Promise<void>): Promise<void> => {
    queue = queue.then(() => (closed ? undefined : step())).catch(failed);
    return queue;
  };

  const fullSync = async (): Promise<void> => {
    const servers: HaproxyServer[] = await api.servers(backend);
    // Admin state bits: 0x01 forced maintenance, 0x08 forced drain (anything else reads as ready).
    known = new Map(servers.map((s) => [s.name, { host: s.address, port: s.port, state: (s.adminState & 0x01 ? "maint" : s.adminState & 0x08 ? "drain" : "ready") as HaproxyServerState, weight: s.weight }]));
    const wanted = new Set<string>();
    let firstError: unknown;
    for (const m of router.known(role).filter(inScope)) {
      const d = desiredOf(m);
      wanted.add(d.name);
      await apply(d).catch((e: unknown) => (firstError ??= e));
    }
    for (const name of [...known.keys()]) if (!wanted.has(name)) await remove(name).catch((e: unknown) => (firstError ??= e));
    if (firstError !== undefined) throw firstError;
  };

  const unsubscribe = router.subscribe((change) => {
    if (change.role !== role) return;
    const member = change.member;
    if (inScope(member)) void enqueue(() => apply(desiredOf(member)));
    else {
      // Gone, or left the pool: its server goes by the name it had.
      const name = names.get(change.peer);
      if (name !== undefined) {
        names.delete(change.peer);
        void enqueue(() => remove(name));
      }
    }
  });

  // A missing socket or backend is a set-up mistake: say so now rather than retry forever.
  await api.servers(backend);
  await enqueue(fullSync);
  return {
    resync: () => enqueue(fullSync),
    settled: () => queue,
    close() {
      closed = true;
      unsubscribe();
      if (retry !== undefined) clock.clearTimer(retry);
      retry = undefined;
    },
  };
}
