/**
 * Escapes text for SVG / HTML content and double-quoted attributes. Every
 * string a chart prints (titles, series names, tick labels) goes through it,
 * so a pool or node name can never inject markup into the page.
 *
 * @example
 * escapeXml(`<b>"web" & co</b>`); // "&lt;b&gt;&quot;web&quot; &amp; co&lt;/b&gt;"
 */
// @ts-nocheck

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

/** Colours cycle through this list when a series names none (Tableau 10). */
export const palette: readonly string[] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/** A colour is printed only when it is a plain CSS colour token; anything else falls back. */
export function safeColor(color: string | undefined, fallback: string): string {
  return color !== undefined && /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,20})$/.test(color) ? color : fallback;
}

/** A finite number rounded to one decimal, as SVG coordinates are printed. */
export function coord(n: number): string {
  const r = Math.round(n * 10) / 10;
  return (Number.isFinite(r) ? r : n).toString();
}
