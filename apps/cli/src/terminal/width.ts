/**
 * The columns output must fit: the terminal's when it is one, else `$COLUMNS`
 * when set (so `COLUMNS=80 drainctl … | less` and the tests can ask for a
 * width), else none: a pipe into a script gets whole lines.
 *
 * @example
 * const width = outputWidth(process.stdout); // 120 on a 120-column terminal, undefined in a pipe
 */
export function outputWidth(stream: { readonly isTTY?: boolean; readonly columns?: number }, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const fromEnv = Number(env["COLUMNS"]);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  if (stream.isTTY === true && typeof stream.columns === "number" && stream.columns > 0) return stream.columns;
  return undefined;
}

/** Characters as a terminal counts them (code points; drainctl prints no wide CJK text of its own). */
const SURROGATE = /[\ud800-\udbff]/;

export const displayLength = (s: string): number => {
  // Tables are mostly ASCII: skip the per-character walk unless a surrogate pair is there to count as one.
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair is one character on screen.
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
};

/** Cuts `s` to `width` characters, ending in "…" when something was cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return "";
  if (displayLength(s) <= width) return s;
  const chars = [...s];
  return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

/** Every line of `text` cut to `width` (no-op without a width). */
export function fitLines(text: string, width: number | undefined): string {
  if (width === undefined) return text;
  return text
    .split("\n")
    .map((l) => truncate(l, width))
    .join("\n");
}

/**
 * Wraps prose (notes, errors, hints) at spaces so no line is longer than
 * `width`; lines after the first are indented by two spaces. A single word
 * longer than the width (a URL) is cut, as a terminal would otherwise wrap it.
 */
export function wrap(text: string, width: number | undefined): string {
  if (width === undefined || width < 20) return text;
  return text
    .split("\n")
    .map((line) => {
      if (displayLength(line) <= width) return line;
      const out: string[] = [];
      let current = "";
      for (const word of line.split(" ")) {
        const next = current === "" ? word : `${current} ${word}`;
        if (displayLength(next) <= width - (out.length > 0 ? 2 : 0)) current = next;
        else {
          if (current !== "") out.push(current);
          current = word;
        }
      }
      if (current !== "") out.push(current);
      return out.map((l, i) => (i === 0 ? truncate(l, width) : truncate(`  ${l}`, width))).join("\n");
    })
    .join("\n");
}
