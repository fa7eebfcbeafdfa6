import { cancel, confirm, isCancel, text } from "@clack/prompts";
import { CliError, EXIT, usageError } from "./errors.ts";

/** What a destructive verb asks before it acts. */
export interface Confirmation {
  /** The question, e.g. `Drain peer n1 (reason: kernel upgrade)?` */
  readonly question: string;
  /** Typed back as the second confirmation of `twice` verbs. */
  readonly target: string;
  /** Force, demote and config changes ask a second time: type the target's name. */
  readonly twice?: boolean;
  /** `--yes`: the caller has confirmed already. */
  readonly yes: boolean;
}

/**
 * Asks on the terminal before a destructive verb. Without a terminal there is
 * nobody to ask, so it refuses unless `--yes` was given: a script must say so
 * explicitly rather than have a prompt silently answered.
 */
export async function confirmDestructive(c: Confirmation): Promise<void> {
  if (c.yes) return;
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
    throw usageError(`"${c.question}" needs confirmation and there is no terminal to ask on; nothing was changed.`, "Pass --yes to confirm non-interactively.");
  }
  const io = { input: process.stdin, output: process.stderr };
  const first = await confirm({ message: c.question, initialValue: false, ...io });
  if (isCancel(first) || first !== true) return declined(io.output);
  if (c.twice === true) {
    // The first answer submits on its "y" key: an Enter typed after it (as people do) must not submit
    // the name unanswered, so an empty line asks again instead of declining.
    const typed = await text({
      message: `This cannot be undone quietly. Type "${c.target}" to confirm`,
      validate: (value) => ((value ?? "").trim() === "" ? `Type "${c.target}" to confirm, or press Ctrl-C to cancel.` : undefined),
      ...io,
    });
    if (isCancel(typed) || typed.trim() !== c.target) return declined(io.output);
  }
}

function declined(output: NodeJS.WriteStream): never {
  cancel("Nothing was changed.", { output });
  throw new CliError("Aborted", "Not confirmed; nothing was changed.", EXIT.failure);
}
