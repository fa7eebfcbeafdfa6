import { Command } from "commander";
import { ControlClient } from "../client.ts";
import { confirmDestructive } from "../confirm.ts";
import { resolveConnection } from "../contexts.ts";
import { CliError, EXIT } from "../errors.ts";
import { parseDuration } from "../output.ts";
import { requireReason, Session } from "../session.ts";

/** A host's local drain state, as its own `GET /control/upgrade` answers it. */
interface HostState {
  readonly status: string;
  readonly phase?: string;
  readonly epoch: number;
  readonly roles: readonly string[];
  readonly reason?: string;
  readonly deadline?: number;
  readonly participants?: unknown;
  readonly blocking: readonly string[];
  readonly failure?: string;
}

const line = (h: HostState): string =>
  `${h.status}${h.phase && h.phase !== h.status ? ` (${h.phase})` : ""}, epoch ${h.epoch}${h.blocking.length > 0 ? `, waiting on ${h.blocking.join(" ")}` : ""}${h.failure ? `, failure: ${h.failure}` : ""}`;

const view = (h: HostState): string =>
  `${[
    `status:   ${h.status}`,
    `phase:    ${h.phase ?? "-"}`,
    `epoch:    ${h.epoch}`,
    `roles:    ${h.roles.join(",") || "-"}`,
    `reason:   ${h.reason ?? "-"}`,
    `deadline: ${h.deadline === undefined ? "-" : new Date(h.deadline).toISOString()}`,
    `blocking: ${h.blocking.join(" ") || "-"}`,
    ...(h.failure ? [`failure:  ${h.failure}`] : []),
  ].join("\n")}\n`;

interface HostFlags {
  readonly host?: string;
}

/** The host's admin listener: `--host`, else `--server`; the token is the host's admin token (`--token`). */
function hostClient(s: Session, o: HostFlags): ControlClient {
  const c = resolveConnection({ ...s.options, ...(o.host !== undefined ? { server: o.host } : {}) });
  return new ControlClient(c);
}

async function waitForHost(client: ControlClient, first: HostState): Promise<HostState> {
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once("SIGINT", onSigint);
  let last = first;
  let shown = "";
  const show = (h: HostState): void => {
    if (line(h) !== shown) process.stderr.write(`${(shown = line(h))}\n`);
  };
  show(first);
  try {
    // The host has no event stream of its own, so its state is read once a second.
    while (last.status === "draining" && !stop.signal.aborted) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1000);
        stop.signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
      });
      if (stop.signal.aborted) break;
      last = (await client.call<HostState>("GET", "/control/upgrade")).body;
      show(last);
    }
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  if (last.status === "draining") {
    throw new CliError("Stopped following", `The host ${client.server} keeps draining; nothing was cancelled.`, EXIT.interrupted, `Follow it again with: drainctl upgrade status --host ${client.server} --wait   (undo it with: drainctl upgrade resume --host ${client.server})`);
  }
  return last;
}

function report(s: Session, h: HostState): void {
  s.print(h, () => view(h));
  if (h.status === "failed") process.exitCode = EXIT.failure;
}

export function upgradeCommand(): Command {
  const upgrade = new Command("upgrade").description("One host's own drain endpoints (its admin listener), for a host drained directly rather than through the control plane");
  const hostOpt = (c: Command): Command => c.option("--host <url>", "the host's admin listener, e.g. http://10.0.0.7:9901 (default: --server)");

  hostOpt(upgrade.command("status").description("The host's local drain state"))
    .option("-w, --wait", "follow until the drain is over")
    .action(async (o: HostFlags & { wait?: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const client = hostClient(s, o);
      const { body } = await client.call<HostState>("GET", "/control/upgrade");
      report(s, o.wait === true ? await waitForHost(client, body) : body);
    });

  hostOpt(upgrade.command("drain").description("Close the host's gates and wait for in-flight work to finish (asks once)"))
    .option("--reason <text>", "why")
    .option("--deadline <duration>", "fail the drain if it is not done within this, e.g. 5m")
    .option("--roles <roles>", "comma-separated roles to drain (default: all)")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--no-wait", "return as soon as the drain has started")
    .action(async (o: HostFlags & { reason?: string; deadline?: string; roles?: string; yes?: boolean; wait: boolean }, cmd: Command) => {
      const s = new Session(cmd);
      const reason = requireReason(o, "upgrade drain");
      const client = hostClient(s, o);
      await confirmDestructive({ question: `Drain the host at ${client.server} (reason: ${reason})?`, target: client.server, yes: o.yes === true });
      const { body } = await client.call<HostState>("POST", "/control/upgrade/drain", {
        body: { reason, ...(o.deadline ? { deadlineMs: parseDuration(o.deadline) } : {}), ...(o.roles ? { roles: o.roles.split(",").map((r) => r.trim()).filter(Boolean) } : {}) },
      });
      report(s, o.wait ? await waitForHost(client, body) : body);
    });

  hostOpt(upgrade.command("resume").description("Reopen the host's gates"))
    .action(async (o: HostFlags, cmd: Command) => {
      const s = new Session(cmd);
      const { body } = await hostClient(s, o).call<HostState>("POST", "/control/upgrade/resume");
      report(s, body);
    });
  return upgrade;
}
