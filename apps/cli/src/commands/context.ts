import { Command } from "commander";
import { contextFilePath, readContextFile, writeContextFile } from "../contexts.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { Session } from "../session.ts";

const mask = (t: string | undefined): string => (t === undefined ? "-" : `${t.slice(0, 6)}…`);

export function contextCommand(): Command {
  const context = new Command("context").alias("ctx").description(`Named contexts (server + token) in ${contextFilePath().replace(process.env["HOME"] ?? "\u0000", "~")}`);

  context
    .command("list")
    .alias("ls")
    .description("Every context; * marks the current one")
    .action((_o: unknown, cmd: Command) => {
      const s = new Session(cmd);
      const file = readContextFile(contextFilePath());
      const items = Object.entries(file.contexts).map(([name, c]) => ({ name, server: c.server, current: name === file["current-context"], hasToken: c.token !== undefined }));
      s.print({ currentContext: file["current-context"] ?? null, items }, () => ({
        head: ["CURRENT", "NAME", "SERVER", "TOKEN"],
        rows: Object.entries(file.contexts).map(([name, c]) => [name === file["current-context"] ? "*" : "", name, c.server, mask(c.token)]),
      }));
    });

  context
    .command("set")
    .argument("<name>", "context name")
    .description("Create or update a context (and make it current with --use)")
    .option("--server <url>", "control-plane URL")
    .option("--token <token>", "bearer token (stored with mode 0600)")
    .option("--use", "make it the current context")
    .action((name: string, _o: unknown, cmd: Command) => {
      // --server/--token are also global flags; read them from this command and its parents alike.
      const o = cmd.optsWithGlobals() as { server?: string; grpc?: string; token?: string; use?: boolean };
      const path = contextFilePath();
      const file = readContextFile(path);
      const prev = file.contexts[name];
      const server = o.server ?? prev?.server;
      if (server === undefined) throw usageError(`context "${name}" needs --server`);
      const token = o.token ?? prev?.token;
      // --grpc is a global flag too: a context that stores it talks gRPC for every verb the gRPC API covers.
      const grpc = o.grpc ?? prev?.grpc;
      writeContextFile(path, {
        ...(o.use === true ? { "current-context": name } : file["current-context"] !== undefined ? { "current-context": file["current-context"] } : {}),
        contexts: { ...file.contexts, [name]: { server, ...(grpc !== undefined ? { grpc } : {}), ...(token !== undefined ? { token } : {}) } },
      });
      process.stderr.write(`context "${name}" saved in ${path}${o.use === true ? " and made current" : ""}\n`);
    });

  context
    .command("use")
    .argument("<name>", "context name")
    .description("Make a context the current one")
    .action((name: string) => {
      const path = contextFilePath();
      const file = readContextFile(path);
      if (file.contexts[name] === undefined) throw new CliError("Not found", `No context "${name}" in ${path}.`, EXIT.notFound, "List them with `drainctl context list`.");
      writeContextFile(path, { ...file, "current-context": name });
      process.stderr.write(`switched to context "${name}"\n`);
    });

  context
    .command("delete")
    .argument("<name>", "context name")
    .description("Remove a context")
    .action((name: string) => {
      const path = contextFilePath();
      const file = readContextFile(path);
      if (file.contexts[name] === undefined) throw new CliError("Not found", `No context "${name}" in ${path}.`, EXIT.notFound);
      const { [name]: _gone, ...rest } = file.contexts;
      writeContextFile(path, { ...(file["current-context"] !== undefined && file["current-context"] !== name ? { "current-context": file["current-context"] } : {}), contexts: rest });
    });
  return context;
}
