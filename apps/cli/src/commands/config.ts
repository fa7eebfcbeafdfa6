import { Command } from "commander";
import { isStaged, printStaged } from "../approvals.ts";
import { confirmDestructive } from "../confirm.ts";
import { usageError } from "../errors.ts";
import { auditFields, Session, type AuditFields } from "../session.ts";
import type { RegistryConfig } from "../types.ts";

/** `key=value` pairs; values read as JSON when they are (numbers, booleans), else as text. */
export function parseSettings(pairs: readonly string[]): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw usageError(`"${p}": expected key=value`, "e.g. drainctl config set drain.defaultDeadlineMs=600000");
    const raw = p.slice(i + 1);
    let value: string | number | boolean = raw;
    if (raw === "true" || raw === "false") value = raw === "true";
    else if (raw.trim() !== "" && Number.isFinite(Number(raw))) value = Number(raw);
    out[p.slice(0, i)] = value;
  }
  return out;
}

const table = (c: RegistryConfig, only?: string) => ({
  head: ["KEY", "VALUE"],
  rows: Object.entries(c.values).filter(([k]) => only === undefined || k === only).map(([k, v]) => [k, String(v)]),
});

interface SetFlags extends AuditFields {
  readonly yes?: boolean;
  readonly dryRun?: boolean;
}

async function patch(s: Session, values: Record<string, unknown>, o: SetFlags): Promise<void> {
  const summary = Object.entries(values).map(([k, v]) => `${k}=${v === null ? "(default)" : String(v)}`).join(", ");
  if (o.dryRun !== true) await confirmDestructive({ question: `Change control-plane settings: ${summary}?`, target: "config", twice: true, yes: o.yes === true });
  const { status, body } = await s.client.call<RegistryConfig>("PATCH", "/control/config", { body: { values, ...auditFields(o), confirm: true, ...(o.dryRun === true ? { dryRun: true } : {}) } });
  if (isStaged(status, body)) return printStaged(s, body);
  s.print(body, () => table(body));
}

export function configCommand(): Command {
  const config = new Command("config").description("Read or change the control plane's allow-listed settings");

  config
    .command("get")
    .argument("[key]", "one setting (all by default)")
    .description("Current settings")
    .action(async (key: string | undefined, _o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<RegistryConfig>("GET", "/control/config");
      if (key !== undefined && !Object.hasOwn(body.values, key)) throw usageError(`no setting "${key}"`, `Known settings: ${Object.keys(body.values).join(", ")}`);
      s.print(key === undefined ? body : { key, value: body.values[key], version: body.version }, () => table(body, key));
    });

  const setOpts = (c: Command): Command =>
    c
      .option("--reason <text>", "why; recorded in the audit log")
      .option("--ticket <id>", "change ticket; recorded in the audit log")
      .option("--dry-run", "server-side: validate, change nothing")
      .option("-y, --yes", "do not ask for confirmation (asked twice otherwise)");

  setOpts(config.command("set").argument("<key=value...>", "settings to change").description("Change settings (mesh.admin; asks twice)")).action(
    async (pairs: string[], o: SetFlags, cmd: Command) => patch(new Session(cmd), parseSettings(pairs), o),
  );

  setOpts(config.command("unset").argument("<key...>", "settings to reset").description("Reset settings to their defaults (asks twice)")).action(
    async (keys: string[], o: SetFlags, cmd: Command) => patch(new Session(cmd), Object.fromEntries(keys.map((k) => [k, null])), o),
  );
  return config;
}
