import { usageError } from "./errors.ts";

/**
 * kubectl's `-o jsonpath=` template, the part operators use: `{.items[*].id}`,
 * `{.items[0].spec.drain.reason}`, `{['key.with.dots']}`, quoted text
 * `{"\n"}`, and `{range .items[*]}…{end}`. Several results of one
 * expression print space-separated, as kubectl does.
 *
 * @example
 * jsonpath("{.items[*].id}", { items: [{ id: "web-1" }, { id: "web-2" }] }); // "web-1 web-2"
 * jsonpath('{range .items[*]}{.id}{"\\t"}{.phase}{"\\n"}{end}', page);
 */
export function jsonpath(template: string, value: unknown): string {
  const nodes = parse(template);
  return run(nodes, value, value);
}

type Segment = { readonly kind: "key"; readonly key: string } | { readonly kind: "index"; readonly index: number } | { readonly kind: "all" };
type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "path"; readonly root: "$" | "@"; readonly segments: readonly Segment[] }
  | { readonly kind: "range"; readonly path: Extract<Node, { kind: "path" }>; readonly body: readonly Node[] };

function bad(template: string, why: string): Error {
  return usageError(`-o jsonpath=${template}: ${why}`, "e.g. -o jsonpath='{.items[*].id}' or -o jsonpath='{range .items[*]}{.id}{\"\\n\"}{end}'");
}

function parsePath(expr: string, template: string): Extract<Node, { kind: "path" }> {
  let rest = expr.trim();
  let root: "$" | "@" = "@";
  if (rest.startsWith("$")) {
    root = "$";
    rest = rest.slice(1);
  } else if (rest.startsWith("@")) rest = rest.slice(1);
  const segments: Segment[] = [];
  while (rest !== "") {
    let m: RegExpExecArray | null;
    if ((m = /^\.([A-Za-z0-9_-]+)/.exec(rest))) segments.push({ kind: "key", key: m[1]! });
    else if ((m = /^\[\*\]/.exec(rest)) || (m = /^\.\*/.exec(rest))) segments.push({ kind: "all" });
    else if ((m = /^\[(\d+)\]/.exec(rest))) segments.push({ kind: "index", index: Number(m[1]) });
    else if ((m = /^\[['"]([^'"]*)['"]\]/.exec(rest))) segments.push({ kind: "key", key: m[1]! });
    else if (rest === ".") break;
    else throw bad(template, `cannot read "${rest}"`);
    rest = rest.slice(m?.[0].length ?? rest.length);
  }
  return { kind: "path", root, segments };
}

function parse(template: string): Node[] {
  const stack: { body: Node[]; range?: Extract<Node, { kind: "path" }> }[] = [{ body: [] }];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    if (open < 0) {
      stack.at(-1)!.body.push({ kind: "text", text: template.slice(i) });
      break;
    }
    if (open > i) stack.at(-1)!.body.push({ kind: "text", text: template.slice(i, open) });
    const close = template.indexOf("}", open);
    if (close < 0) throw bad(template, "a { has no closing }");
    const inner = template.slice(open + 1, close).trim();
    i = close + 1;
    if (/^["']/.test(inner)) {
      let text: string;
      try {
        text = JSON.parse(inner.startsWith("'") ? `"${inner.slice(1, -1).replace(/"/g, '\\"')}"` : inner) as string;
      } catch {
        throw bad(template, `cannot read the text ${inner}`);
      }
      stack.at(-1)!.body.push({ kind: "text", text });
    } else if (inner.startsWith("range ")) stack.push({ body: [], range: parsePath(inner.slice(6), template) });
    else if (inner === "end") {
      const frame = stack.pop()!;
      if (frame.range === undefined || stack.length === 0) throw bad(template, "{end} without {range}");
      stack.at(-1)!.body.push({ kind: "range", path: frame.range, body: frame.body });
    } else stack.at(-1)!.body.push(parsePath(inner, template));
  }
  if (stack.length !== 1) throw bad(template, "{range} without {end}");
  return stack[0]!.body;
}

function select(path: Extract<Node, { kind: "path" }>, root: unknown, current: unknown): unknown[] {
  let values: unknown[] = [path.root === "$" ? root : current];
  for (const s of path.segments) {
    const next: unknown[] = [];
    for (const v of values) {
      if (v === null || typeof v !== "object") continue;
      if (s.kind === "all") next.push(...(Array.isArray(v) ? v : Object.values(v)));
      else if (s.kind === "index") {
        if (Array.isArray(v) && s.index < v.length) next.push(v[s.index]);
      } else if (s.key in v) next.push((v as Record<string, unknown>)[s.key]);
    }
    values = next;
  }
  return values;
}

const show = (v: unknown): string => (typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v));

function run(nodes: readonly Node[], root: unknown, current: unknown): string {
  let out = "";
  for (const n of nodes) {
    if (n.kind === "text") out += n.text;
    else if (n.kind === "path") out += select(n, root, current).map(show).join(" ");
    else for (const item of select(n.path, root, current)) out += run(n.body, root, item);
  }
  return out;
}
