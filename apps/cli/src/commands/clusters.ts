import { Command } from "commander";
import { isStaged, printStaged } from "../approvals.ts";
import { confirmDestructive } from "../confirm.ts";
import { auditFields, Session, type AuditFields } from "../session.ts";
import type { Cluster } from "../types.ts";

interface ClusterFlags extends AuditFields {
  readonly yes?: boolean;
  readonly dryRun?: boolean;
}

const table = (items: readonly Cluster[]) => ({ head: ["NAME", "ROLE", "STATE", "VERSION"], rows: items.map((c) => [c.id, c.role, c.state, c.version]) });

export function clustersCommand(): Command {
  const clusters = new Command("clusters").alias("cluster").description("List clusters; promote or demote one");

  clusters
    .command("list")
    .alias("ls")
    .description("Clusters and their roles")
    .action(async (_o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await s.client.call<{ items: Cluster[] }>("GET", "/control/clusters");
      s.print(body, () => (body.items.length === 0 ? "No clusters declared.\n" : table(body.items)));
    });

  for (const verb of ["promote", "demote"] as const) {
    clusters
      .command(verb)
      .argument("<cluster>", "cluster id")
      .description(verb === "promote" ? "Make a cluster active (asks once)" : "Make a cluster a backup (asks twice; never the last active one)")
      .option("--reason <text>", "why; recorded in the audit log")
      .option("--ticket <id>", "change ticket; recorded in the audit log")
      .option("--dry-run", "server-side: run every check, change nothing")
      .option("-y, --yes", "do not ask for confirmation")
      .action(async (id: string, o: ClusterFlags, cmd: Command) => {
        const s = new Session(cmd);
        if (o.dryRun !== true) await confirmDestructive({ question: `${verb === "promote" ? "Promote" : "Demote"} cluster ${id}?`, target: id, twice: verb === "demote", yes: o.yes === true });
        const { status, body } = await s.client.call<Cluster>("POST", `/control/clusters/${encodeURIComponent(id)}:${verb}`, {
          body: { ...auditFields(o), confirm: true, ...(o.dryRun === true ? { dryRun: true } : {}) },
        });
        if (isStaged(status, body)) return printStaged(s, body);
        s.print(body, () => table([body]));
      });
  }
  return clusters;
}
