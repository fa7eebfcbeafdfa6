import Table from "cli-table3";
import { stringify } from "yaml";
import { usageError } from "./errors.ts";

export type OutputFormat = "table" | "json" | "yaml";

export const OUTPUT_FORMATS: readonly OutputFormat[] = ["table", "json", "yaml"];

/** Columns and rows of a table view; json and yaml print the resource itself. */
export interface TableView {
  readonly head: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

const BORDERLESS = {
  top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  ",
} as const;

/** cli-table3's layout grows faster than linearly with rows; past this many, render in slices of fixed column widths. */
const SLICE = 200;

/** kubectl-style: no borders, two spaces between columns. */
export function renderTable(view: TableView): string {
  const cells = [view.head, ...view.rows].map((r) => r.map((c) => String(c)));
  const widths = view.head.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? "")].length)));
  const out: string[] = [];
  for (let start = 0; start === 0 || start < view.rows.length; start += SLICE) {
    const table = new Table({
      ...(start === 0 ? { head: [...view.head] } : {}),
      colWidths: widths,
      wordWrap: false,
      chars: BORDERLESS,
      style: { head: [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
    });
    for (const row of cells.slice(1 + start, 1 + start + SLICE)) table.push(row);
    const text = table.toString();
    if (text !== "") out.push(text);
  }
  return `${out.join("\n").split("\n").map((l) => l.trimEnd()).join("\n")}\n`;
}

/** Renders `value` in `format`; `table` builds the table view when that is asked for. */
export function render(format: OutputFormat, value: unknown, table: () => TableView | string): string {
  if (format === "json") return `${JSON.stringify(value, null, 2)}\n`;
  if (format === "yaml") return stringify(value);
  const t = table();
  return typeof t === "string" ? t : renderTable(t);
}

const span = (seconds: number): string =>
  seconds < 60 ? `${seconds}s` : seconds < 3600 ? `${Math.round(seconds / 60)}m` : seconds < 86400 ? `${Math.round(seconds / 3600)}h` : `${Math.round(seconds / 86400)}d`;

/** "3m ago", "in 2m", for timestamps in tables. */
export function relativeTime(at: number | undefined, now: number): string {
  if (at === undefined) return "-";
  const d = Math.round((at - now) / 1000);
  const text = span(Math.abs(d));
  return d < 0 ? `${text} ago` : `in ${text}`;
}

/** kubectl's AGE column: "45s", "3m", "2h", "5d" since `at` (never negative, for clocks slightly apart). */
export function age(at: number | undefined, now: number): string {
  if (at === undefined) return "-";
  return span(Math.max(0, Math.round((now - at) / 1000)));
}

/** Parses 500ms, 30s, 10m, 2h (a bare number is seconds). */
export function parseDuration(v: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(v.trim());
  if (!m) throw usageError(`"${v}" is not a duration`, "Use e.g. 500ms, 30s, 10m or 2h.");
  const unit = m[2] ?? "s";
  return Number(m[1]) * (unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : unit === "s" ? 1000 : 1);
}
