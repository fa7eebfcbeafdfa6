import { createHash, type Hash } from "node:crypto";
import type { TraceRecord } from "./types.ts";

/** Characters of trace lines gathered before they are fed to the digest. */
const FLUSH_AT = 1 << 16;

/**
 * The event log's digest and its last records. SHA-256 over the lines in
 * order, as before, but fed in 64 KiB batches instead of two `update` calls
 * per record: the digest of a concatenation does not depend on how it was
 * cut, so the hash is the same and costs a fraction of the calls.
 *
 * {@link addFields} takes a record in parts and writes its line without
 * building the record (`{i, t, type, ...fields}`); the tail keeps the parts
 * and builds the records only when {@link tail} is read.
 */
export class TraceLog {
  readonly #hash: Hash = createHash("sha256");
  #pending = "";
  readonly #tail: (TraceRecord | undefined)[];
  readonly #tailI: Float64Array;
  readonly #tailT: Float64Array;
  readonly #tailType: string[];
  readonly #tailFields: (Record<string, unknown> | undefined)[];
  #next = 0;
  #count = 0;

  constructor(tailLength: number) {
    this.#tail = new Array<TraceRecord | undefined>(tailLength).fill(undefined);
    this.#tailI = new Float64Array(tailLength);
    this.#tailT = new Float64Array(tailLength);
    this.#tailType = new Array<string>(tailLength).fill("");
    this.#tailFields = new Array<Record<string, unknown> | undefined>(tailLength).fill(undefined);
  }

  add(record: TraceRecord): void {
    this.#line(`${JSON.stringify(record)}\n`);
    this.#tail[this.#next] = record;
    this.#tailFields[this.#next] = undefined;
    this.#advance();
  }

  /**
   * The record `{i, t, type, ...fields}`, line for line as {@link add} writes
   * it (`fields` names none of `i`, `t`, `type` and no array index, which
   * JavaScript would order first; `i` and `t` are finite).
   */
  addFields(i: number, t: number, type: string, fields: Record<string, unknown>): void {
    const rest = JSON.stringify(fields);
    this.#line(`{"i":${i},"t":${t},"type":${JSON.stringify(type)}${rest.length === 2 ? "}" : `,${rest.slice(1)}`}\n`);
    const k = this.#next;
    this.#tail[k] = undefined;
    this.#tailI[k] = i;
    this.#tailT[k] = t;
    this.#tailType[k] = type;
    this.#tailFields[k] = fields;
    this.#advance();
  }

  #line(line: string): void {
    this.#pending += line;
    if (this.#pending.length >= FLUSH_AT) {
      this.#hash.update(this.#pending);
      this.#pending = "";
    }
  }

  #advance(): void {
    this.#next = (this.#next + 1) % this.#tail.length;
    this.#count++;
  }

  /** The last records, oldest first. */
  tail(): TraceRecord[] {
    const length = this.#tail.length;
    const n = Math.min(this.#count, length);
    const out: TraceRecord[] = [];
    for (let j = 0; j < n; j++) {
      const k = (this.#next - n + j + length) % length;
      const fields = this.#tailFields[k];
      out.push(fields === undefined ? this.#tail[k]! : { i: this.#tailI[k]!, t: this.#tailT[k]!, type: this.#tailType[k]!, ...fields });
    }
    return out;
  }

  /** The digest of every line so far followed by `closing`. */
  digest(closing: string): string {
    this.#hash.update(this.#pending + closing);
    this.#pending = "";
    return this.#hash.digest("hex");
  }
}
