import { stringify } from "yaml";
import { usageError } from "./errors.ts";
import { jsonpath } from "./jsonpath.ts";
import { displayLength, fitLines, truncate, wrap } from "./terminal/width.ts";

/**
 * `table` fits the terminal, `wide` shows every column whole, `name` one id a
 * line (for `xargs`), `jsonpath` kubectl's field selection, `json`/`yaml` the
 * API's own resource.
 */
export type OutputFormat = "table" | "wide" | "name" | "json" | "yaml" | "jsonpath";

export const OUTPUT_FORMATS: readonly string[] = ["table", "wide", "name", "json", "yaml", "jsonpath=<template>"];

/** A parsed `-o`: the format, and the template of `jsonpath=`. */
export interface OutputSpec {
  readonly format: OutputFormat;
  readonly template?: string;
}

/** Reads `-o`: `table`, `wide`, `name`, `json`, `yaml` or `jsonpath=<template>`. */
export function parseOutputSpec(v: string): OutputSpec {
  if (v.startsWith("jsonpath=")) {
    const template = v.slice("jsonpath=".length);
    if (template === "") throw usageError("-o jsonpath= needs a template", "e.g. -o jsonpath='{.items[*].id}'");
    return { format: "jsonpath", template };
  }
  if (["table", "wide", "name", "json", "yaml"].includes(v)) return { format: v as OutputFormat };
  throw usageError(`-o ${v}: expected one of ${OUTPUT_FORMATS.join(", ")}`, "e.g. -o wide, -o name, -o json or -o jsonpath='{.items[*].id}'");
}

/** Columns and rows of a table view; json and yaml print the resource itself. */
export interface TableView {
  readonly head: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
  /** Columns (by heading) shown only with `-o wide`, as kubectl's NOMINATED NODE. */
  readonly wideOnly?: readonly string[];
}

/** How a table is laid out: the width to fit (none: whole lines) and whether `-o wide` asked for every column. */
export interface TableLayout {
  readonly width?: number | undefined;
  readonly wide?: boolean;
  /**
   * Column widths of an earlier part of the same table (see {@link tableWidths}),
   * so a table printed page by page stays aligned: with a width, cells are
   * fitted to them; without, a column only grows (no cell is ever cut).
   */
  readonly widths?: readonly number[];
  /** False: the rows only (a later page of a table already headed). */
  readonly header?: boolean;
}

const GAP = 2;
/** Blanks by count: padding 100,000 cells from a table is faster than " ".repeat each time. */
const PAD = Array.from({ length: 512 }, (_, i) => " ".repeat(i));

/**
 * Narrows the widest columns first until the row fits `width`; a column keeps
 * at least its heading (or 5 characters), so the heading line is never cut.
 */
function fitWidths(natural: readonly number[], head: readonly string[], width: number): number[] {
  const w = [...natural];
  const min = natural.map((n, i) => Math.min(n, Math.max(displayLength(head[i]!), 5)));
  let excess = w.reduce((a, b) => a + b, 0) + GAP * (w.length - 1) - width;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < w.length; i++) if (w[i]! > min[i]! && (widest < 0 || w[i]! > w[widest]!)) widest = i;
    if (widest < 0) break;
    // Bring the widest down to the next widest in one step (or as far as needed), not one character a turn.
    let next = min[widest]!;
    for (let i = 0; i < w.length; i++) if (i !== widest && w[i]! < w[widest]! && w[i]! > next) next = w[i]!;
    const cut = Math.max(1, Math.min(excess, w[widest]! - next));
    w[widest] = w[widest]! - cut;
    excess -= cut;
  }
  return w;
}

/**
 * kubectl-style: no borders, two spaces between columns, no trailing blanks.
 * With a width, cells of the widest columns end in "…" so no line is longer;
 * `wide` shows the `wideOnly` columns and cuts nothing.
 *
 * @example
 * renderTable({ head: ["NAME", "PHASE"], rows: [["web-1", "active"]] }, { width: 80 });
 */
export function renderTable(view: TableView, layout: TableLayout = {}): string {
  const { head, rows, widths } = laidOut(view, layout);
  const line = (cells: readonly string[]): string => {
    let out = "";
    for (let i = 0; i < cells.length; i++) {
      const w = widths[i]!;
      let c = cells[i]!;
      const len = displayLength(c);
      if (len > w) c = truncate(c, w);
      const blanks = Math.max(0, w - Math.min(len, w)) + GAP;
      out += i === cells.length - 1 ? c : c + (PAD[blanks] ?? " ".repeat(blanks));
    }
    return out.trimEnd();
  };
  const out: string[] = layout.header === false ? [] : [line(head)];
  for (const r of rows) out.push(line(r));
  if (out.length === 0) return "";
  const text = `${out.join("\n")}\n`;
  // Columns that cannot shrink below their headings still must not wrap.
  const total = widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  return layout.wide === true || layout.width === undefined || total <= layout.width ? text : fitLines(text, layout.width);
}

/** The column widths {@link renderTable} lays `view` out with: pass them as `widths` to the next page of the same table. */
export function tableWidths(view: TableView, layout: TableLayout = {}): number[] {
  return laidOut(view, layout).widths;
}

function laidOut(view: TableView, layout: TableLayout): { head: string[]; rows: string[][]; widths: number[] } {
  const keep = view.head.map((h) => layout.wide === true || !(view.wideOnly ?? []).includes(h));
  const head = view.head.filter((_, i) => keep[i]);
  const rows: string[][] = new Array(view.rows.length);
  const natural = head.map((h) => displayLength(h));
  for (let r = 0; r < view.rows.length; r++) {
    const src = view.rows[r]!;
    const row: string[] = [];
    for (let i = 0, j = 0; i < view.head.length; i++) {
      if (!keep[i]) continue;
      const cell = String(src[i] ?? "");
      const len = displayLength(cell);
      if (len > natural[j]!) natural[j] = len;
      row.push(cell);
      j++;
    }
    rows[r] = row;
  }
  const fits = layout.wide !== true && layout.width !== undefined;
  const given = layout.widths;
  if (given !== undefined && given.length === natural.length) return { head, rows, widths: fits ? [...given] : natural.map((n, i) => Math.max(n, given[i]!)) };
  return { head, rows, widths: fits ? fitWidths(natural, head, layout.width!) : natural };
}

/** The ids `-o name` prints: each item's `id` (or `peer`), one a line. */
export function names(value: unknown): string {
  const items = typeof value === "object" && value !== null && Array.isArray((value as { items?: unknown }).items) ? (value as { items: unknown[] }).items : [value];
  const ids = items.map((i) => {
    const o = (i ?? {}) as Record<string, unknown>;
    // A drain status names its peer by id; `peers describe` holds the peer itself.
    const peer = o["peer"];
    const id = o["id"] ?? (typeof peer === "object" && peer !== null ? (peer as Record<string, unknown>)["id"] : peer) ?? o["seq"];
    return typeof id === "string" || typeof id === "number" ? String(id) : "";
  });
  return ids.filter((id) => id !== "").map((id) => `${id}\n`).join("");
}

/** A text view fitted to `width`: `next:` and `note:` lines are wrapped (a hint is read whole), every other line cut. */
export function fitText(text: string, width: number | undefined): string {
  if (width === undefined) return text;
  return text
    .split("\n")
    .map((l) => (/^(next|note): /.test(l) ? wrap(l, width) : truncate(l, width)))
    .join("\n");
}

/** Renders `value` as asked; `table` and `wide` build the table view when that is asked for. */
export function render(spec: OutputSpec | OutputFormat, value: unknown, table: () => TableView | string, width?: number): string {
  const s: OutputSpec = typeof spec === "string" ? { format: spec } : spec;
  if (s.format === "json") return `${JSON.stringify(value, null, 2)}\n`;
  if (s.format === "yaml") return stringify(value);
  if (s.format === "name") return names(value);
  if (s.format === "jsonpath") {
    const out = jsonpath(s.template ?? "", value);
    return out.endsWith("\n") ? out : `${out}\n`;
  }
  const t = table();
  if (typeof t === "string") return s.format === "wide" ? t : fitText(t, width);
  return renderTable(t, { width, wide: s.format === "wide" });
}

const span = (seconds: number): string =>
  seconds < 60 ? `${seconds}s` : seconds < 3600 ? `${Math.round(seconds / 60)}m` : seconds < 86400 ? `${Math.round(seconds / 3600)}h` : `${Math.round(seconds / 86400)}d`;

/**
 * "3m ago", "in 2m", "just now" for timestamps in tables. Within a second
 * either way is "just now": a clock a little ahead must not say "in 0s".
 */
export function relativeTime(at: number | undefined, now: number): string {
  if (at === undefined) return "-";
  const d = Math.round((at - now) / 1000);
  if (d === 0) return "just now";
  const text = span(Math.abs(d));
  return d < 0 ? `${text} ago` : `in ${text}`;
}

/**
 * How long ago something observed happened (a heartbeat, an audit entry):
 * "just now", "5s ago", "3m ago". A time slightly in the future (clocks of
 * two hosts apart) is "just now", never "in 0s".
 */
export function ago(at: number | undefined, now: number): string {
  if (at === undefined) return "-";
  const d = Math.round((now - at) / 1000);
  return d <= 0 ? "just now" : `${span(d)} ago`;
}

/** kubectl's AGE column: "45s", "3m", "2h", "5d" since `at` (never negative, for clocks slightly apart). */
export function age(at: number | undefined, now: number): string {
  if (at === undefined) return "-";
  return span(Math.max(0, Math.round((now - at) / 1000)));
}

/** A duration the way operators read it: "45s", "2m05s", "1h10m". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Parses 500ms, 30s, 10m, 2h (a bare number is seconds). */
export function parseDuration(v: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw usageError(`"${v}" is not a duration`, "Use e.g. 500ms, 30s, 10m or 2h.");
  const unit = m[2] ?? "s";
  return Number(m[1]) * (unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : unit === "s" ? 1000 : 1);
}
