import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import { parseSnapshot, type FleetSnapshot, type SnapshotNode, type SnapshotPool } from "@drainkit/sim";
import { stringify } from "yaml";
import type { ControlClient } from "../client.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { Session } from "../session.ts";
import type { Peer, RegistryConfig } from "../types.ts";
import { serverBudgets } from "../budgets.ts";
import { peerLiveness } from "../peers/fields.ts";
import { listAllPeers } from "../peers/list.ts";

const BOUNDS = ["minAvailable", "maxUnavailable", "minSchedulable"] as const;
const NAME = "[A-Za-z0-9][A-Za-z0-9._~@-]*";

/**
 * Parses one pool budget in the syntax of `drainkit serve --pool`:
 * `<name>[/<role>]:<bound>=<n|n%>[,<bound>=…]`.
 *
 * @example
 * parsePoolBudget("web/edge:maxUnavailable=25%,minAvailable=2");
 * // { name: "web", role: "edge", maxUnavailable: "25%", minAvailable: 2 }
 */
export function parsePoolBudget(flag: string): SnapshotPool {
  const m = new RegExp(`^(${NAME})(?:/(${NAME}))?:(.+)$`).exec(flag);
  if (!m) throw usageError(`--pool ${flag}: expected <name>[/<role>]:<bound>=<n|n%>[,…]`, "Write it as for drainkit serve --pool, e.g. --pool web:maxUnavailable=1 or --pool web/edge:minAvailable=75%.");
  const budget: Record<string, string | number> = { name: m[1]!, ...(m[2] === undefined ? {} : { role: m[2] }) };
  for (const part of m[3]!.split(",")) {
    const [key, value] = part.split("=", 2);
    if (!BOUNDS.includes(key as (typeof BOUNDS)[number])) throw usageError(`--pool ${flag}: unknown bound "${key}"`, `Use ${BOUNDS.join(", ")}.`);
    if (value === undefined || !/^\d+%?$/.test(value) || (value.endsWith("%") && Number(value.slice(0, -1)) > 100)) {
      throw usageError(`--pool ${flag}: ${key} needs a count or a percent (0-100%)`, `e.g. ${key}=1 or ${key}=25%`);
    }
    budget[key!] = value.endsWith("%") ? value : Number(value);
  }
  return budget as unknown as SnapshotPool;
}

/** Budgets given on the command line replace the snapshot's for the same pool; pools only the snapshot names keep theirs. */
export function withBudgets(snapshot: FleetSnapshot, budgets: readonly SnapshotPool[]): FleetSnapshot {
  if (budgets.length === 0) return snapshot;
  const given = new Set(budgets.map((b) => b.name));
  return { ...snapshot, pools: [...snapshot.pools.filter((p) => !given.has(p.name)), ...budgets] };
}

const sum = (o: Readonly<Record<string, number>> | undefined): number => Object.values(o ?? {}).reduce((a, b) => a + b, 0);

function snapshotNode(peer: Peer, staleBefore: number | undefined): SnapshotNode {
  const zone = peer.labels["zone"] ?? peer.labels["topology.kubernetes.io/zone"];
  const heartbeat = peer.status?.heartbeatAt;
  return {
    id: peer.id,
    pools: [...peer.pools],
    roles: [...peer.roles],
    ...(zone === undefined ? {} : { zone }),
    phase: peer.phase,
    cordoned: Object.keys(peer.spec.cordons ?? {}).length > 0,
    // A host that stopped reporting (liveness `unknown`, or a stale heartbeat) counts against its pool, as the control plane's guard sees it.
    ...(peerLiveness(peer) === "unknown" || (staleBefore !== undefined && heartbeat !== undefined && heartbeat < staleBefore) ? { healthy: false } : {}),
    workloads: { owners: peer.status?.workloads.owners ?? 0, children: peer.status?.workloads.children ?? 0 },
    inFlight: sum(peer.status?.inFlight),
  };
}

/**
 * The live fleet as a snapshot the simulator reads: every page of
 * `GET /control/peers`, and the pool budgets: those given on the command
 * line first, then the ones the server enforces (`server`, from
 * {@link serverBudgets}) for the other pools.
 */
export async function exportSnapshot(client: ControlClient, given: readonly SnapshotPool[], server: readonly SnapshotPool[] = []): Promise<FleetSnapshot> {
  const budgets = [...given, ...server.filter((b) => !given.some((g) => g.name === b.name))];
  const config = (await client.call<RegistryConfig>("GET", "/control/config")).body;
  const staleAfter = config.values["heartbeat.staleAfterMs"];
  const takenAt = Date.now();
  const peers = (await listAllPeers(client, {})).items;
  const named = new Set(peers.flatMap((p) => p.pools));
  const pools: SnapshotPool[] = [...budgets, ...[...named].filter((n) => !budgets.some((b) => b.name === n)).sort().map((name) => ({ name }))];
  return {
    version: 1,
    takenAt,
    source: client.server,
    pools,
    nodes: peers.map((p) => snapshotNode(p, typeof staleAfter === "number" ? takenAt - staleAfter : undefined)),
  };
}

/** The simulator's errors (`DrainkitError`: a stable `code` and `retryable`), told apart without importing core. */
export function isSimError(e: unknown): e is Error & { readonly code: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === "string" && typeof (e as { retryable?: unknown }).retryable === "boolean";
}

/** A simulator error (bad snapshot, unknown node) as a usage error naming the file's fields. */
export function snapshotError(e: Error & { readonly code: string }): CliError {
  return usageError(e.message, e.code === "invalid-scenario" ? "Fix the named fields, or export the snapshot again: drainctl fleet export --file fleet.json" : undefined);
}

/** Reads a snapshot written by `drainctl fleet export` (JSON or YAML). */
export function readSnapshot(path: string): FleetSnapshot {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw usageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, "Give the file drainctl fleet export --file wrote.");
  }
  try {
    return parseSnapshot(text, path);
  } catch (e) {
    if (isSimError(e)) throw snapshotError(e);
    throw e;
  }
}

/**
 * The server's budgets for a snapshot, with a note saying where budgets came
 * from, or that they are unknown and what to pass instead.
 */
export async function budgetsForSnapshot(s: Session, given: readonly SnapshotPool[]): Promise<readonly SnapshotPool[]> {
  const b = await serverBudgets(s.client);
  if (b.known) {
    const used = b.pools.filter((p) => !given.some((g) => g.name === p.name)).map((p) => p.name);
    if (used.length > 0) s.note(`note: budgets of ${used.join(", ")} as the server enforces them (${b.source}).`);
    return b.pools as readonly SnapshotPool[];
  }
  s.note(`note: ${b.why}; only budgets given with --pool count.`);
  return [];
}

function noBudgetsNote(s: Session, snapshot: FleetSnapshot): void {
  const bare = snapshot.pools.filter((p) => p.minAvailable === undefined && p.maxUnavailable === undefined && p.minSchedulable === undefined).map((p) => p.name);
  if (bare.length > 0) {
    s.note(`note: no budget for pool(s) ${bare.join(", ")}: neither the server nor --pool gives one; pass --pool ${bare[0]}:maxUnavailable=… as given to drainkit serve --pool.`);
  }
}

/** Names the peers that count as unavailable because their agents are silent (liveness as the server reports it). */
export function silentNote(s: Session, snapshot: FleetSnapshot): void {
  const silent = snapshot.nodes.filter((n) => n.healthy === false).map((n) => n.id);
  if (silent.length > 0) {
    s.note(`note: ${silent.length} peer(s) count as unavailable, their agents silent (liveness unknown, as the server reports it): ${silent.slice(0, 5).join(", ")}${silent.length > 5 ? ", …" : ""}.`);
  }
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function fleetCommand(): Command {
  const fleet = new Command("fleet").description("The fleet as a whole: export a snapshot the simulator reads");

  fleet
    .command("export")
    .description("Write every peer and the pool budgets as a fleet snapshot (JSON, or YAML with -o yaml); changes nothing")
    .option("-f, --file <path>", "write the snapshot to this file instead of stdout")
    .option("--pool <budget>", "a pool's budget, as for drainkit serve --pool (repeatable): <name>[/<role>]:maxUnavailable=1,minAvailable=50%", collect, [] as string[])
    .action(async (o: { file?: string; pool: string[] }, cmd: Command) => {
      const s = new Session(cmd);
      const budgets = o.pool.map(parsePoolBudget);
      const snapshot = await exportSnapshot(s.client, budgets, await budgetsForSnapshot(s, budgets));
      noBudgetsNote(s, snapshot);
      silentNote(s, snapshot);
      // A snapshot is data, not a table: -o table (the default) writes JSON.
      const text = s.format === "yaml" ? stringify(snapshot) : `${JSON.stringify(snapshot, null, 2)}\n`;
      if (o.file === undefined) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(o.file, text);
      } catch (e) {
        throw new CliError("Cannot write the snapshot", `${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.failure, "Choose a writable path with --file.");
      }
      s.note(`wrote ${snapshot.nodes.length} node(s) in ${snapshot.pools.length} pool(s) to ${o.file}`);
    });
  return fleet;
}
