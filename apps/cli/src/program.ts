import { Command, Option } from "commander";
import { auditCommand, eventsCommand } from "./commands/audit.ts";
import { approvalsCommand } from "./commands/approvals.ts";
import { clustersCommand } from "./commands/clusters.ts";
import { completeCommand, completionCommand } from "./commands/completion.ts";
import { configCommand } from "./commands/config.ts";
import { poolsCommand } from "./commands/pools.ts";
import { contextCommand } from "./commands/context.ts";
import { fleetCommand } from "./commands/fleet.ts";
import { movesCommand } from "./commands/moves.ts";
import { peersCommand } from "./commands/peers.ts";
import { planCommand } from "./commands/plan.ts";
import { rolloutCommand } from "./commands/rollout.ts";
import { upgradeCommand } from "./commands/upgrade.ts";
import { OUTPUT_FORMATS, parseOutputSpec } from "./output.ts";
import { cliVersion } from "./version.ts";

/**
 * The whole `drainctl` command tree. Global flags work before or after the verb,
 * as with kubectl: `drainctl -o json peers list` and `drainctl peers list -o json`.
 *
 * @example
 * await createProgram().parseAsync(["node", "drainctl", "peers", "list", "-o", "json"]);
 */
export function createProgram(): Command {
  const program = new Command("drainctl")
    .description("Operate drainkit: cordon, drain, resume and audit a fleet through the control plane")
    .version(cliVersion(), "-V, --version")
    .addOption(new Option("-s, --server <url>", "control-plane URL").env("DRAINCTL_SERVER"))
    .addOption(new Option("--grpc <host:port>", "talk to the control plane over gRPC (drainkit.control.v1) at this address").env("DRAINKIT_GRPC"))
    .addOption(new Option("--token <token>", "bearer token").env("DRAINCTL_TOKEN"))
    .addOption(new Option("--context <name>", "named context from the config file").env("DRAINCTL_CONTEXT"))
    .addOption(
      new Option("-o, --output <format>", `output format: ${OUTPUT_FORMATS.join(", ")}`)
        .argParser((v: string) => (parseOutputSpec(v), v))
        .default("table"),
    )
    .option("--debug", "print stack traces and request details on errors");

  program.addCommand(peersCommand());
  program.addCommand(movesCommand());
  program.addCommand(rolloutCommand());
  program.addCommand(fleetCommand());
  program.addCommand(planCommand());
  program.addCommand(upgradeCommand());
  program.addCommand(clustersCommand());
  program.addCommand(approvalsCommand());
  program.addCommand(configCommand());
  program.addCommand(poolsCommand());
  program.addCommand(auditCommand());
  program.addCommand(eventsCommand());
  program.addCommand(contextCommand());
  program.addCommand(completionCommand(() => program));
  program.addCommand(completeCommand(), { hidden: true });
  // addCommand() does not pass settings down the tree; every verb gets the same help and error behaviour.
  const settle = (c: Command): void => {
    c.configureHelp({ showGlobalOptions: true }).showHelpAfterError("(run with --help for usage)").showSuggestionAfterError();
    for (const sub of c.commands) settle(sub);
  };
  settle(program);
  return program;
}
