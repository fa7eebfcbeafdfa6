import { truncate } from "./width.ts";

/**
 * A block of lines redrawn in place on a terminal (one per node being
 * followed). Every line is cut to the terminal's width before it is written:
 * a line that wraps would push the block down and the redraw would then
 * overwrite the wrong rows.
 */
export interface LiveLines {
  /** Sets line `key` (new keys are appended) and redraws the block. */
  set(key: string, line: string): void;
  /** Leaves the last frame on screen and restores the cursor. */
  stop(): void;
}

export function liveLines(stream: NodeJS.WritableStream & { readonly columns?: number }, width: () => number | undefined = () => stream.columns): LiveLines {
  const lines = new Map<string, string>();
  let drawn = 0;
  let stopped = false;
  const draw = (): void => {
    const w = width();
    let out = drawn > 0 ? `\r\x1b[${drawn}A` : "\x1b[?25l";
    for (const line of lines.values()) out += `\x1b[2K${w === undefined ? line : truncate(line, w)}\n`;
    drawn = lines.size;
    stream.write(out);
  };
  return {
    set(key, line) {
      if (stopped || lines.get(key) === line) return;
      lines.set(key, line);
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      stream.write("\x1b[?25h");
    },
  };
}

/**
 * `[#####-----]` sized for the terminal: 20 cells from 120 columns, 10 from
 * 90, none below (the numbers next to it say the same).
 */
export function bar(done: number, total: number, width: number | undefined): string {
  const cells = width === undefined || width >= 120 ? 20 : width >= 90 ? 10 : 0;
  if (cells === 0) return "";
  const filled = total <= 0 ? cells : Math.max(0, Math.min(cells, Math.round((done / total) * cells)));
  return `[${"#".repeat(filled)}${"-".repeat(cells - filled)}]`;
}
