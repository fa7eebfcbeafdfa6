import { createHash, createHmac, createPrivateKey, createPublicKey, timingSafeEqual, verify, type KeyObject } from "node:crypto";

/** An audit checkpoint as the server exports it (`GET /control/audit/checkpoint`). */
export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly at: number;
  readonly signedAt: number;
  readonly alg?: string;
  readonly keyId?: string;
  readonly signature?: string;
}

/** What a signature check found. */
export type SignatureCheck =
  | { readonly status: "valid"; readonly alg: string; readonly keyId: string }
  | { readonly status: "unsigned" }
  | { readonly status: "no-key"; readonly alg: string }
  | { readonly status: "invalid"; readonly reason: string };

/** Reads a checkpoint file, naming what is wrong with it. */
export function parseCheckpoint(text: string): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const cp = raw as Record<string, unknown>;
  if (typeof cp !== "object" || cp === null) throw new Error("not a JSON object");
  for (const f of ["seq", "at", "signedAt"]) if (typeof cp[f] !== "number" || !Number.isInteger(cp[f]) || (cp[f] as number) < 0) throw new Error(`"${f}" must be a whole number`);
  if (typeof cp["hash"] !== "string" || !/^[0-9a-f]{64}$/.test(cp["hash"])) throw new Error('"hash" must be 64 hex digits');
  for (const f of ["alg", "keyId", "signature"]) if (cp[f] !== undefined && typeof cp[f] !== "string") throw new Error(`"${f}" must be a string`);
  return cp as unknown as Checkpoint;
}

/**
 * The line a checkpoint signature covers, written out here from the
 * documented format (not taken from the server's code, so a server bug
 * cannot vouch for itself).
 */
const signedLine = (cp: Checkpoint): string => `drainkit-audit-checkpoint/v1 seq=${cp.seq} hash=${cp.hash} at=${cp.at} signedAt=${cp.signedAt}`;

const keyIdOf = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex").slice(0, 16);

/**
 * Checks a checkpoint's signature with a key file's content: the HMAC secret
 * the server signs with, or for Ed25519 its public key (or private key) PEM.
 */
export function checkSignature(cp: Checkpoint, keyText: string | undefined): SignatureCheck {
  if (cp.signature === undefined || cp.alg === undefined) return { status: "unsigned" };
  if (keyText === undefined) return { status: "no-key", alg: cp.alg };
  const line = Buffer.from(signedLine(cp));
  if (cp.alg === "hmac-sha256") {
    if (keyText.includes("-----BEGIN")) return { status: "invalid", reason: "the checkpoint is HMAC-signed but the key file holds a PEM key" };
    const secret = Buffer.from(keyText.trim(), "utf8");
    const want = createHmac("sha256", secret).update(line).digest();
    const got = Buffer.from(cp.signature, "base64");
    if (got.length !== want.length || !timingSafeEqual(got, want)) return { status: "invalid", reason: `the HMAC does not match (this key's id is ${keyIdOf(secret)}, the checkpoint names ${cp.keyId ?? "none"})` };
    return { status: "valid", alg: cp.alg, keyId: keyIdOf(secret) };
  }
  if (cp.alg === "ed25519") {
    let key: KeyObject;
    try {
      key = keyText.includes("PRIVATE KEY") ? createPublicKey(createPrivateKey(keyText)) : createPublicKey(keyText);
    } catch (e) {
      return { status: "invalid", reason: `the key file is not a readable PEM key (${e instanceof Error ? e.message : String(e)})` };
    }
    if (key.asymmetricKeyType !== "ed25519") return { status: "invalid", reason: `the key file holds a ${String(key.asymmetricKeyType)} key, not Ed25519` };
    const id = keyIdOf(key.export({ type: "spki", format: "der" }));
    if (!verify(null, line, key, Buffer.from(cp.signature, "base64"))) return { status: "invalid", reason: `the Ed25519 signature does not verify (this key's id is ${id}, the checkpoint names ${cp.keyId ?? "none"})` };
    return { status: "valid", alg: cp.alg, keyId: id };
  }
  return { status: "invalid", reason: `unknown signature algorithm "${cp.alg}"` };
}
