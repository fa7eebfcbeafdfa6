import { expect } from "vitest";

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Terminal widths every human view is checked at. */
export const WIDTHS = [80, 120] as const;

/** Lines of `text` longer than `width` characters (code points, escapes removed). */
export function overlong(text: string, width: number): string[] {
  return text
    .replace(ANSI, "")
    .split(/\r?\n|\r/)
    .filter((l) => [...l].length > width);
}

/** Asserts no line of `text` is longer than `width`. */
export function expectFits(text: string, width: number): void {
  expect(overlong(text, width), `lines over ${width} columns`).toEqual([]);
}
