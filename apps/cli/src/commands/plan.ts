import { Command } from "commander";
import { simulatePlan, type FleetSnapshot, type PlanAction, type PlanResult } from "@drainkit/sim";
import { EXIT, usageError } from "../errors.ts";
import { parseDuration } from "../output.ts";
import { Session } from "../session.ts";
import type { RegistryConfig } from "../types.ts";
import { budgetsForSnapshot, exportSnapshot, isSimError, parsePoolBudget, readSnapshot, silentNote, snapshotError, withBudgets } from "./fleet.ts";

interface PlanFlags {
  readonly simulate?: boolean;
  readonly drain?: string;
  readonly rollout?: boolean;
  readonly pool: string[];
  readonly role?: string;
  readonly maxParallel?: string;
  readonly from?: string;
  readonly deadline?: string;
  readonly upgradeTime?: string;
  readonly seed?: string;
}

const fmtMs = (ms: number): string => {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
};

const positiveInt = (flag: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} ${v}: expected a whole number of at least 1`);
  return n;
};

/**
 * Pools the plan would take below their budget: an availability invariant
 * broken in the run. A pool whose guard refused a node stays at its floor,
 * not below it, so a refusal is "blocked", never "would deplete": draining
 * down to exactly the budget is allowed and is not a depletion.
 */
export function depletedBy(r: PlanResult): string[] {
  return [...new Set(r.violations.filter((v) => v.invariant === "pool-availability").map((v) => (v as { pool?: string }).pool ?? "?"))].sort();
}

const budgetText = (p: FleetSnapshot["pools"][number]): string =>
  [p.minAvailable === undefined ? undefined : `minAvailable ${p.minAvailable}`, p.maxUnavailable === undefined ? undefined : `maxUnavailable ${p.maxUnavailable}`, p.minSchedulable === undefined ? undefined : `minSchedulable ${p.minSchedulable}`]
    .filter((x) => x !== undefined)
    .join(", ") || "no budget";

/** The human answer: the verdict first, then what blocks, then the numbers. */
export function planSummary(r: PlanResult, snapshot: FleetSnapshot): string {
  const what = r.action === "drain" ? `drain ${r.nodes.join(", ")}` : `rolling upgrade of ${r.nodes.length} node(s)`;
  const depleted = depletedBy(r);
  const refusedPools = [...new Set(r.blocked.map((b) => b.pool).filter((p): p is string => p !== undefined))].sort();
  const lines = [
    r.safe ? `safe: the ${what} would finish in about ${fmtMs(r.simulatedMs)} without depleting any pool` : `unsafe: the ${what} would not go through as asked`,
    `  fleet: ${snapshot.nodes.length} node(s) in ${snapshot.pools.length} pool(s)${snapshot.source ? ` from ${snapshot.source}` : ""}`,
    `  budgets: ${snapshot.pools.map((p) => `${p.name} (${budgetText(p)})`).join("; ") || "none"}`,
    `  would deplete a pool: ${depleted.length === 0 ? "no" : `yes: ${depleted.join(", ")}`}${refusedPools.length > 0 ? `; the budget of ${refusedPools.join(", ")} would refuse some nodes` : ""}`,
  ];
  for (const b of r.blocked) lines.push(`  blocked ${b.node}${b.pool ? ` (pool ${b.pool})` : ""}: ${b.reason}`);
  for (const f of r.failed) lines.push(`  would fail ${f.node}: ${f.reason}`);
  for (const v of r.violations) lines.push(`  invariant ${v.invariant} broken: ${v.message}`);
  const duration = !r.finished
    ? `unknown: still waiting after ${fmtMs(r.simulatedMs)} simulated`
    : r.action === "rollout" && r.blocked.length > 0
      ? `${fmtMs(r.simulatedMs)}, most of it waiting on the blocked node(s) before giving up`
      : fmtMs(r.simulatedMs);
  lines.push(`  estimated duration: ${duration}; ${r.drains.completed} drained, ${r.drains.failed} failed`);
  const low = Object.entries(r.minAvailability).map(([pool, ratio]) => `${pool} ${Math.round(ratio * 1000) / 10}%`);
  if (low.length > 0) lines.push(`  lowest availability: ${low.join(", ")}`);
  const pool = depleted[0] ?? refusedPools[0];
  const node = r.blocked[0]?.node ?? r.failed[0]?.node;
  if (!r.safe) {
    lines.push(
      pool !== undefined
        ? `next: drain fewer nodes at once (drainctl peers drain … --sequential), or wait for the other members of ${pool} to come back (drainctl peers list --pool ${pool})`
        : `next: see why it is blocked: drainctl peers describe ${node ?? r.nodes[0] ?? "<peer>"}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function planCommand(): Command {
  return new Command("plan")
    .description("What-if: simulate a drain or a rolling upgrade on the live fleet (or a snapshot) before touching anything; exit 4 if unsafe")
    .option("--simulate", "run the plan in the simulator (required: the only mode so far)")
    .option("--drain <ids>", "drain these peers, comma-separated, held drained as drainctl peers drain does")
    .option("--rollout", "a rolling upgrade (with --pool <name>, --role, --max-parallel)")
    .option(
      "--pool <pool>",
      "repeatable: a bare name picks the rollout's pool; <name>[/<role>]:maxUnavailable=1,… is a budget, as for drainkit serve --pool",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--role <role>", "rollout: only peers serving this role")
    .option("--max-parallel <n>", "rollout: nodes per wave at most (default: the server's rollout.maxParallel)")
    .option("--from <file>", "simulate on this snapshot (drainctl fleet export) instead of the live fleet")
    .option("--deadline <duration>", "each drain's deadline, e.g. 10m (default: the server's drain.defaultDeadlineMs, or 2m with --from)")
    .option("--upgrade-time <duration>", "rollout: time to upgrade one drained node, e.g. 90s (default 30s)")
    .option("--seed <n>", "simulation seed (same seed, same answer)")
    .action(async (o: PlanFlags, cmd: Command) => {
      const s = new Session(cmd);
      if (o.simulate !== true) throw usageError("plan needs --simulate", "Run e.g. drainctl plan --simulate --drain web-1,web-2 (or --rollout --pool web).");
      if ((o.drain === undefined) === (o.rollout !== true)) throw usageError("plan --simulate needs exactly one of --drain <ids> or --rollout", "e.g. --drain web-1,web-2, or --rollout --pool web --max-parallel 2");
      const budgets = o.pool.filter((p) => p.includes(":")).map(parsePoolBudget);
      const selected = o.pool.filter((p) => !p.includes(":"));
      if (selected.length > 1) throw usageError(`--pool ${selected.join(", ")}: a rollout covers one pool`, "Give one bare --pool name; budgets are written <name>:maxUnavailable=1.");
      if (o.drain !== undefined && (selected.length > 0 || o.role !== undefined || o.maxParallel !== undefined)) {
        throw usageError("--pool <name>, --role and --max-parallel select a rollout; a drain names its peers", "Drop them, or use --rollout instead of --drain.");
      }
      const drain = o.drain?.split(",").map((id) => id.trim()).filter(Boolean);
      if (drain !== undefined && drain.length === 0) throw usageError("--drain names no peer", "e.g. --drain web-1,web-2");

      let snapshot: FleetSnapshot;
      let config: RegistryConfig | undefined;
      if (o.from !== undefined) {
        snapshot = withBudgets(readSnapshot(o.from), budgets);
      } else {
        snapshot = await exportSnapshot(s.client, budgets, await budgetsForSnapshot(s, budgets));
        if (snapshot.nodes.length === 0) throw usageError("the fleet has no peers to plan on", "Register peers first (drainctl peers list shows them).");
        config = (await s.client.call<RegistryConfig>("GET", "/control/config")).body;
      }
      silentNote(s, snapshot);
      const several = snapshot.nodes.filter((n) => n.pools.length > 1);
      if (several.length > 0) {
        const shown = several.slice(0, 3).map((n) => `${n.id}: ${n.pools.join(", ")}`).join("; ");
        s.note(`note: ${several.length} peer(s) are in several pools (${shown}${several.length > 3 ? "; …" : ""}); the simulation counts each in its first pool only.`);
      }
      const num = (key: string): number | undefined => (typeof config?.values[key] === "number" ? (config.values[key] as number) : undefined);
      const maxParallel = o.maxParallel !== undefined ? positiveInt("--max-parallel", o.maxParallel) : num("rollout.maxParallel");
      const deadlineMs = o.deadline !== undefined ? parseDuration(o.deadline) : num("drain.defaultDeadlineMs");
      const action: PlanAction =
        drain !== undefined
          ? { drain }
          : {
              rollout: {
                ...(selected[0] === undefined ? {} : { pool: selected[0] }),
                ...(o.role === undefined ? {} : { role: o.role }),
                ...(maxParallel === undefined ? {} : { maxParallel }),
              },
            };
      let result: PlanResult;
      try {
        result = await simulatePlan(snapshot, action, {
          source: o.from ?? "the live fleet",
          ...(deadlineMs === undefined ? {} : { deadlineMs }),
          ...(o.upgradeTime === undefined ? {} : { upgradeMs: parseDuration(o.upgradeTime) }),
          ...(o.seed === undefined ? {} : { seed: positiveInt("--seed", o.seed) }),
        });
      } catch (e) {
        if (isSimError(e)) throw snapshotError(e);
        throw e;
      }
      s.print(result, () => planSummary(result, snapshot));
      if (!result.safe) process.exitCode = EXIT.conflict;
    });
}
