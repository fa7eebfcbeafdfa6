import { Command, type Option } from "commander";
import { contextFilePath, readContextFile } from "../contexts.ts";
import { usageError } from "../errors.ts";
import { listAllPeers } from "../peers/list.ts";
import { Session } from "../session.ts";

/** What a word completes to when it is not a fixed choice: asked of the server (or the context file) when the user presses TAB. */
type Dynamic = "peers" | "pools" | "roles" | "contexts";

/** Options whose values come from the live fleet or the context file, by long flag. */
const DYNAMIC_OPTIONS: Readonly<Record<string, Dynamic>> = { "--pool": "pools", "--role": "roles", "--context": "contexts", "--peer": "peers", "--nodes": "peers" };

interface Node {
  /** Words from the root, e.g. ["peers", "drain"]. */
  readonly path: readonly string[];
  /** What the positional arguments complete to: peer ids (`<peer>`, `[peers...]`), context names. */
  readonly argValues?: Dynamic;
  readonly subcommands: readonly { readonly name: string; readonly description: string }[];
  readonly options: readonly { readonly flags: readonly string[]; readonly description: string; readonly takesValue: boolean; readonly choices: readonly string[]; readonly dynamic?: Dynamic }[];
}

function flagsOf(o: Option): string[] {
  return [o.short, o.long].filter((f): f is string => typeof f === "string");
}

/** Every command of the tree with its subcommands and options, read from commander itself so completion never drifts from the parser. */
function walk(root: Command): Node[] {
  const out: Node[] = [];
  const visit = (cmd: Command, path: string[], inherited: readonly Option[]): void => {
    const own = cmd.options as readonly Option[];
    const options = [...inherited, ...own].map((o) => ({
      flags: flagsOf(o),
      description: o.description ?? "",
      takesValue: o.required || o.optional,
      // -o takes a template after jsonpath=, so commander holds no fixed choices for it; completion offers the formats.
      choices: (o as Option & { argChoices?: string[] }).argChoices ?? (o.long === "--output" ? ["table", "wide", "name", "json", "yaml", "jsonpath="] : []),
      ...(o.long !== undefined && DYNAMIC_OPTIONS[o.long] !== undefined ? { dynamic: DYNAMIC_OPTIONS[o.long] } : {}),
    }));
    const args = (cmd as Command & { registeredArguments?: readonly { name(): string }[] }).registeredArguments ?? [];
    const argValues: Dynamic | undefined =
      path[0] === "peers" && args.some((a) => /^peers?$/.test(a.name())) ? "peers" : path[0] === "context" && ["use", "delete"].includes(path[1] ?? "") ? "contexts" : undefined;
    const subs = (cmd.commands as readonly Command[]).filter((c) => c.name() !== "help" && (c as Command & { _hidden?: boolean })._hidden !== true);
    out.push({ path, ...(argValues === undefined ? {} : { argValues }), subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })), options: [...options, { flags: ["-h", "--help"], description: "show help", takesValue: false, choices: [] }] });
    for (const c of subs) visit(c, [...path, c.name()], path.length === 0 ? own : inherited);
  };
  visit(root, [], []);
  return out;
}

const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** The shell words that list live values: the script calls drainctl itself, quietly, with whatever flags the line has so far. */
const ask = (name: string, what: Dynamic): string => `${name} __complete ${what} 2>/dev/null`;

function bash(name: string, nodes: readonly Node[]): string {
  const cases = nodes.map((n) => {
    const words = [...n.subcommands.map((s) => s.name), ...n.options.flatMap((o) => o.flags)].join(" ");
    const valueOpts = n.options.filter((o) => o.takesValue);
    const valueCases = valueOpts
      .map((o) => `        ${o.flags.join("|")}) COMPREPLY=($(compgen -W ${o.dynamic !== undefined ? `"$(${ask(name, o.dynamic)})"` : q(o.choices.join(" "))} -- "$cur")); return;;`)
      .join("\n");
    const peers = n.argValues !== undefined ? `\n      case "$cur" in -*) ;; *) COMPREPLY+=($(compgen -W "$(${ask(name, n.argValues)})" -- "$cur"));; esac` : "";
    return `    ${q(n.path.join(" "))})\n      case "$prev" in\n${valueCases}\n      esac\n      COMPREPLY=($(compgen -W ${q(words)} -- "$cur"))${peers};;`;
  });
  const known = nodes.map((n) => n.path.join(" ")).filter(Boolean);
  return `# bash completion for ${name}; load with: source <(${name} completion bash)
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue;; esac
    case " ${known.map((k) => `|${k}|`).join(" ")} " in
      *"|\${path:+$path }$w|"*) path="\${path:+$path }$w";;
    esac
  done
  case "$path" in
${cases.join("\n")}
  esac
}
complete -F _${name} ${name}
`;
}

function zsh(name: string, nodes: readonly Node[]): string {
  const cases = nodes.map((n) => {
    const subs = n.subcommands.map((s) => q(`${s.name}:${s.description.replace(/:/g, "\\:")}`)).join(" ");
    const opts = n.options
      .flatMap((o) =>
        o.flags.map((f) =>
          q(`${f}[${o.description.replace(/[[\]]/g, "")}]${o.takesValue ? (o.dynamic !== undefined ? `:value:(\${(f)"$(${ask(name, o.dynamic)})"})` : o.choices.length > 0 ? `:value:(${o.choices.join(" ")})` : ":value:") : ""}`),
        ),
      )
      .join(" ");
    const rest = n.argValues !== undefined ? q(`*:${n.argValues}:(\${(f)"$(${ask(name, n.argValues)})"})`) : "'*:argument:_default'";
    return `    ${q(n.path.join(" "))})\n      ${subs ? `local -a subs; subs=(${subs}); _describe -t commands 'command' subs;` : ""}\n      _arguments -s ${opts} ${rest};;`;
  });
  const known = nodes.map((n) => n.path.join(" ")).filter(Boolean);
  return `#compdef ${name}
# zsh completion for ${name}; load with: source <(${name} completion zsh)  (or save as _${name} on $fpath)
_${name}() {
  local path_="" w
  local -a known; known=(${known.map(q).join(" ")})
  for w in \${words[2,CURRENT-1]}; do
    [[ $w == -* ]] && continue
    if (( \${known[(Ie)\${path_:+$path_ }$w]} )); then path_="\${path_:+$path_ }$w"; fi
  done
  case "$path_" in
${cases.join("\n")}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _${name} "$@"; else compdef _${name} ${name}; fi
`;
}

function fish(name: string, nodes: readonly Node[]): string {
  const lines = [`# fish completion for ${name}; load with: ${name} completion fish | source`, `complete -c ${name} -f`];
  lines.push(`function __${name}_path
  set -l words (commandline -opc)
  set -l path
  for w in $words[2..-1]
    string match -q -- '-*' $w; and continue
    set -l candidate (string join ' ' $path $w)
    if contains -- $candidate ${nodes.map((n) => q(n.path.join(" "))).filter((s) => s !== "''").join(" ")}
      set path $path $w
    end
  end
  string join ' ' $path
end`);
  for (const n of nodes) {
    const cond = `-n ${q(`test (__${name}_path) = ${q(n.path.join(" "))}`)}`;
    for (const s of n.subcommands) lines.push(`complete -c ${name} ${cond} -a ${q(s.name)} -d ${q(s.description)}`);
    for (const o of n.options) {
      const long = o.flags.find((f) => f.startsWith("--"));
      const short = o.flags.find((f) => !f.startsWith("--"));
      const values = o.dynamic !== undefined ? ` -a ${q(`(${ask(name, o.dynamic)})`)}` : o.choices.length > 0 ? ` -a ${q(o.choices.join(" "))}` : "";
      lines.push(`complete -c ${name} ${cond}${long ? ` -l ${long.slice(2)}` : ""}${short ? ` -s ${short.slice(1)}` : ""}${o.takesValue ? ` -r${values}` : ""} -d ${q(o.description)}`);
    }
    if (n.argValues !== undefined) lines.push(`complete -c ${name} ${cond} -a ${q(`(${ask(name, n.argValues)})`)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * `drainctl __complete peers|pools|roles|contexts`: the live values the
 * completion scripts offer, one a line. Hidden; failures print nothing, so a
 * server that is down only means no suggestions.
 */
export function completeCommand(): Command {
  return new Command("__complete")
    .argument("<what>", "peers, pools, roles or contexts")
    .action(async (what: string, _o: unknown, cmd: Command) => {
      try {
        const values = await completions(what, cmd);
        process.stdout.write(values.map((v) => `${v}\n`).join(""));
      } catch {
        // Nothing to suggest: TAB must never print an error into the command line.
      }
    });
}

async function completions(what: string, cmd: Command): Promise<string[]> {
  if (what === "contexts") {
    return Object.keys(readContextFile(contextFilePath()).contexts).sort();
  }
  const peers = (await listAllPeers(new Session(cmd).client, {})).items;
  if (what === "peers") return peers.map((p) => p.id);
  if (what === "pools") return [...new Set(peers.flatMap((p) => p.pools))].sort();
  if (what === "roles") return [...new Set(peers.flatMap((p) => p.roles))].sort();
  return [];
}

export function completionCommand(root: () => Command): Command {
  return new Command("completion")
    .argument("<shell>", "bash, zsh or fish")
    .description("Print a shell completion script (bash: source <(drainctl completion bash))")
    .action((shell: string) => {
      const nodes = walk(root());
      const name = root().name();
      const script = shell === "bash" ? bash(name, nodes) : shell === "zsh" ? zsh(name, nodes) : shell === "fish" ? fish(name, nodes) : undefined;
      if (script === undefined) throw usageError(`no completion for "${shell}"`, "Use bash, zsh or fish.");
      process.stdout.write(script);
    });
}
