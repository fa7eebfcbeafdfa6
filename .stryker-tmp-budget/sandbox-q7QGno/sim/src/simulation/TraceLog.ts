// @ts-nocheck
import { createHash, type Hash } from "node:crypto";
import type { TraceRecord } from "./types.ts";

/** Characters of trace lines gathered before they are fed to the digest. */
const FLUSH_AT = 1 << 16;

/**
 * The event log's digest and its last records. SHA-256 over the lines in
 * order, as before, but fed in 64 KiB batches instead of two `update` calls
 * per record: the digest of a concatenation does not depend on how it was
 * cut, so the hash is the same and costs a fraction of the calls.
 */
export class TraceLog {
  readonly #hash: Hash = createHash("sha256");
  #pending = "";
  readonly #tail: (TraceRecord | undefined)[];
  #next = 0;
  #count = 0;

  constructor(tailLength: number) {
    this.#tail = new Array<TraceRecord | undefined>(tailLength).fill(undefined);
  }

  add(record: TraceRecord): void {
    this.#pending += `${JSON.stringify(record)}\n`;
    if (this.#pending.length >= FLUSH_AT) {
      this.#hash.update(this.#pending);
      this.#pending = "";
    }
    this.#tail[this.#next] = record;
    this.#next = (this.#next + 1) % this.#tail.length;
    this.#count++;
  }

  /** The last records, oldest first. */
  tail(): TraceRecord[] {
    const n = Math.min(this.#count, this.#tail.length);
    const out: TraceRecord[] = [];
    for (let k = 0; k < n; k++) out.push(this.#tail[(this.#next - n + k + this.#tail.length) % this.#tail.length]!);
    return out;
  }

  /** The digest of every line so far followed by `closing`. */
  digest(closing: string): string {
    this.#hash.update(this.#pending + closing);
    this.#pending = "";
    return this.#hash.digest("hex");
  }
}
