import { Command, type Option } from "commander";
import { usageError } from "../errors.ts";

interface Node {
  /** Words from the root, e.g. ["peers", "drain"]. */
  readonly path: readonly string[];
  readonly subcommands: readonly { readonly name: string; readonly description: string }[];
  readonly options: readonly { readonly flags: readonly string[]; readonly description: string; readonly takesValue: boolean; readonly choices: readonly string[] }[];
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
      choices: (o as Option & { argChoices?: string[] }).argChoices ?? [],
    }));
    const subs = (cmd.commands as readonly Command[]).filter((c) => c.name() !== "help");
    out.push({ path, subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })), options: [...options, { flags: ["-h", "--help"], description: "show help", takesValue: false, choices: [] }] });
    for (const c of subs) visit(c, [...path, c.name()], path.length === 0 ? own : inherited);
  };
  visit(root, [], []);
  return out;
}

const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

function bash(name: string, nodes: readonly Node[]): string {
  const cases = nodes.map((n) => {
    const words = [...n.subcommands.map((s) => s.name), ...n.options.flatMap((o) => o.flags)].join(" ");
    const valueOpts = n.options.filter((o) => o.takesValue);
    const valueCases = valueOpts.map((o) => `        ${o.flags.join("|")}) COMPREPLY=($(compgen -W ${q(o.choices.join(" "))} -- "$cur")); return;;`).join("\n");
    return `    ${q(n.path.join(" "))})\n      case "$prev" in\n${valueCases}\n      esac\n      COMPREPLY=($(compgen -W ${q(words)} -- "$cur"));;`;
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
    const opts = n.options.flatMap((o) => o.flags.map((f) => q(`${f}[${o.description.replace(/[[\]]/g, "")}]${o.takesValue ? (o.choices.length > 0 ? `:value:(${o.choices.join(" ")})` : ":value:") : ""}`))).join(" ");
    return `    ${q(n.path.join(" "))})\n      ${subs ? `local -a subs; subs=(${subs}); _describe -t commands 'command' subs;` : ""}\n      _arguments -s ${opts} '*:argument:_default';;`;
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
      lines.push(`complete -c ${name} ${cond}${long ? ` -l ${long.slice(2)}` : ""}${short ? ` -s ${short.slice(1)}` : ""}${o.takesValue ? ` -r${o.choices.length > 0 ? ` -a ${q(o.choices.join(" "))}` : ""}` : ""} -d ${q(o.description)}`);
    }
  }
  return `${lines.join("\n")}\n`;
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
