import { describe, expect, it } from "vitest";
import { outputWidth, truncate, wrap } from "../../src/terminal/width.ts";
import { expectFits, WIDTHS } from "../widths.ts";

describe("terminal width", () => {
  it("takes $COLUMNS first, then a terminal's width, and none for a pipe", () => {
    expect(outputWidth({ isTTY: true, columns: 120 }, { COLUMNS: "80" })).toBe(80);
    expect(outputWidth({ isTTY: true, columns: 120 }, {})).toBe(120);
    expect(outputWidth({ isTTY: false }, {})).toBeUndefined();
    expect(outputWidth({}, { COLUMNS: "nonsense" })).toBeUndefined();
  });

  it("cuts with an ellipsis, counting characters not UTF-16 units", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 3)).toBe("abc");
    expect(truncate("a → b → c", 5)).toBe("a → …");
    expect([...truncate("x".repeat(200), 80)]).toHaveLength(80);
  });

  it.each(WIDTHS)("wraps notes and errors at spaces within %i columns, keeping every word", (width) => {
    const text = "note: budgets of web, db as the server enforces them (http://127.0.0.1:7400/control/pools); ".repeat(4);
    const out = wrap(text, width);
    expectFits(out, width);
    expect(out.replace(/\n {2}/g, " ").replace(/\s+/g, " ").trim()).toBe(text.replace(/\s+/g, " ").trim());
  });
});
