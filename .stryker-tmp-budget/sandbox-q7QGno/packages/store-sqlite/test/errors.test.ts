// @ts-nocheck
import { describe, expect, it } from "vitest";
import { classifySqliteError } from "../src/index.ts";

/** A node:sqlite-shaped error with the given SQLite result code. */
function driverError(errcode: number, message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_SQLITE_ERROR", errcode, errstr: message });
}

describe("classifySqliteError", () => {
  it.each([
    [5, "database is locked", "store-busy", true],
    [5 | (2 << 8), "database is locked (snapshot)", "store-busy", true],
    [6, "database table is locked", "store-busy", true],
    [11, "database disk image is malformed", "store-corrupt", false],
    [26, "file is not a database", "store-corrupt", false],
    [13, "database or disk is full", "store-full", true],
    [14, "unable to open database file", "store-unavailable", true],
    [10 | (3 << 8), "disk I/O error", "store-unavailable", true],
    [1, "SQL logic error", "store-error", false],
  ])("maps result code %i (%s) to %s", (errcode, message, code, retryable) => {
    const typed = classifySqliteError(driverError(errcode, message), "/var/lib/drainkit/registry.db");
    expect(typed).toMatchObject({ code, retryable, details: { sqlite: errcode } });
    expect(typed.message).toContain("/var/lib/drainkit/registry.db");
  });
});
