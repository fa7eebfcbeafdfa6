// @ts-nocheck
import { createHash, createHmac, createPrivateKey, createPublicKey, sign as signBytes, type KeyObject } from "node:crypto";
import { ValidationError } from "../errors.ts";
import type { AuditCheckpoint } from "../types/audit.ts";

/** Signs audit checkpoints with a key held outside the store. */
export interface AuditSigner {
  readonly alg: "hmac-sha256" | "ed25519";
  readonly keyId: string;
  /** Base64 signature over `payload`. */
  sign(payload: string): string;
}

/**
 * The exact bytes a checkpoint signature covers: one line naming the format
 * version, so a signature can never be replayed as something else.
 */
export function checkpointPayload(cp: Pick<AuditCheckpoint, "seq" | "hash" | "at" | "signedAt">): string {
  return `drainkit-audit-checkpoint/v1 seq=${cp.seq} hash=${cp.hash} at=${cp.at} signedAt=${cp.signedAt}`;
}

/** Adds the signature (when a signer is given) to a checkpoint of `head`. */
export function makeCheckpoint(head: { readonly seq: number; readonly hash: string; readonly at: number }, signedAt: number, signer?: AuditSigner): AuditCheckpoint {
  const base = { seq: head.seq, hash: head.hash, at: head.at, signedAt };
  if (signer === undefined) return base;
  return { ...base, alg: signer.alg, keyId: signer.keyId, signature: signer.sign(checkpointPayload(base)) };
}

const keyIdOf = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex").slice(0, 16);

/**
 * A checkpoint signer from a key file's content: a PEM Ed25519 private key
 * (`openssl genpkey -algorithm ed25519`) signs with Ed25519; anything else is
 * an HMAC-SHA256 secret (surrounding whitespace ignored, at least 32 bytes).
 *
 * @example
 * const signer = auditSignerFromKey(readFileSync("/etc/drainkit/audit.key"));
 * createRegistry({ store, clock, auditSigner: signer });
 */
export function auditSignerFromKey(content: string | Buffer): AuditSigner {
  const text = Buffer.isBuffer(content) ? content.toString("utf8") : content;
  if (text.includes("-----BEGIN PRIVATE KEY-----")) {
    let key: KeyObject;
    try {
      key = createPrivateKey(text);
    } catch (e) {
      throw new ValidationError("audit checkpoint key", `not a readable PEM private key (${e instanceof Error ? e.message : String(e)})`);
    }
    if (key.asymmetricKeyType !== "ed25519") throw new ValidationError("audit checkpoint key", `expected an Ed25519 key, got ${String(key.asymmetricKeyType)}`);
    const publicDer = createPublicKey(key).export({ type: "spki", format: "der" });
    return { alg: "ed25519", keyId: keyIdOf(publicDer), sign: (payload) => signBytes(null, Buffer.from(payload), key).toString("base64") };
  }
  const secret = Buffer.from(text.trim(), "utf8");
  if (secret.length < 32) throw new ValidationError("audit checkpoint key", `an HMAC secret needs at least 32 bytes, this one has ${secret.length} (e.g. \`openssl rand -hex 32\`)`);
  return { alg: "hmac-sha256", keyId: keyIdOf(secret), sign: (payload) => createHmac("sha256", secret).update(payload).digest("base64") };
}
