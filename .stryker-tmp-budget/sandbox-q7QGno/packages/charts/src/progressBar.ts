// @ts-nocheck
import { coord, escapeXml, safeColor } from "./escape.ts";

/** What {@link renderProgressBar} draws. */
export interface ProgressBarSpec {
  /** Done so far; clamped to `[0, max]`. */
  readonly value: number;
  readonly max: number;
  /** Printed inside the bar, e.g. `3 / 4 done`; the percentage by default. */
  readonly label?: string;
  /** Read by screen readers; the label by default. */
  readonly ariaLabel?: string;
  /** Pixels. Default 240 × 16. */
  readonly width?: number;
  readonly height?: number;
  readonly color?: string;
  /** A tick across the bar, e.g. the budget's minimum, at this value. */
  readonly marker?: { readonly at: number; readonly label: string; readonly color?: string };
}

/**
 * Renders a horizontal progress bar as an SVG string, with an optional marker
 * (e.g. a pool's required minimum). The fraction is 0 when `max` is not a
 * positive finite number, so the result is always drawable.
 *
 * @example
 * renderProgressBar({ value: 3, max: 4, label: "3 of 4 available", marker: { at: 2, label: "minAvailable 2" } });
 */
export function renderProgressBar(spec: ProgressBarSpec): string {
  const width = Math.max(20, Number.isFinite(spec.width) ? spec.width! : 240);
  const height = Math.max(8, Number.isFinite(spec.height) ? spec.height! : 16);
  const max = Number.isFinite(spec.max) && spec.max > 0 ? spec.max : 0;
  const value = Number.isFinite(spec.value) ? Math.min(max, Math.max(0, spec.value)) : 0;
  const fraction = max === 0 ? 0 : value / max;
  const label = spec.label ?? `${Math.round(fraction * 100)}%`;
  const color = safeColor(spec.color, "#2ca02c");
  const out = [
    `<svg class="dk-progress" width="${coord(width)}" height="${coord(height)}" viewBox="0 0 ${coord(width)} ${coord(height)}" role="progressbar" aria-valuemin="0" aria-valuemax="${coord(max)}" aria-valuenow="${coord(value)}" aria-label="${escapeXml(spec.ariaLabel ?? label)}" font-family="system-ui, sans-serif" font-size="${coord(Math.max(8, height - 5))}">`,
    `<rect x="0.5" y="0.5" width="${coord(width - 1)}" height="${coord(height - 1)}" rx="3" fill="#eee" stroke="#bbb"/>`,
    `<rect class="dk-progress-fill" x="0.5" y="0.5" width="${coord(fraction * (width - 1))}" height="${coord(height - 1)}" rx="3" fill="${color}"/>`,
  ];
  if (spec.marker && Number.isFinite(spec.marker.at) && max > 0) {
    const x = coord(0.5 + (Math.min(max, Math.max(0, spec.marker.at)) / max) * (width - 1));
    out.push(`<line x1="${x}" x2="${x}" y1="0" y2="${coord(height)}" stroke="${safeColor(spec.marker.color, "#d62728")}" stroke-width="2"><title>${escapeXml(spec.marker.label)}</title></line>`);
  }
  out.push(`<text x="${coord(width / 2)}" y="${coord(height / 2 + (height - 5) / 2.8)}" text-anchor="middle" fill="#111">${escapeXml(label)}</text>`, `</svg>`);
  return out.join("");
}
