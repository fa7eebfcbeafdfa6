// @ts-nocheck
import { createHash } from "node:crypto";

/** Hex sha256 of a string: idempotency fingerprints, placement hashes, rollout ids. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
