/** Schemas of the audit routes: the query, the head and checkpoints. */
// @ts-nocheck


const epochMs = { type: "integer", minimum: 0, maximum: 8_640_000_000_000_000 } as const;

export const auditQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    target: { type: "string", minLength: 1, maxLength: 200 },
    actor: { type: "string", minLength: 1, maxLength: 200 },
    action: { type: "string", pattern: "^[A-Za-z][A-Za-z0-9.-]{0,63}$" },
    outcome: { type: "string", enum: ["ok", "refused", "error"] },
    from: { ...epochMs, description: "Entries at or after this time (epoch ms)." },
    to: { ...epochMs, description: "Entries before this time (epoch ms); must not be before `from`." },
    limit: { type: "integer", minimum: 1, maximum: 1000 },
    cursor: { type: "string", minLength: 1, maxLength: 512 },
  },
} as const;

export const auditCheckpoint = {
  type: "object",
  required: ["seq", "hash", "at", "signedAt"],
  properties: {
    seq: { type: "integer" },
    hash: { type: "string" },
    at: { type: "integer", description: "Time of entry `seq` (epoch ms)." },
    signedAt: { type: "integer" },
    alg: { type: "string", enum: ["hmac-sha256", "ed25519"], description: "Absent when the server has no checkpoint key." },
    keyId: { type: "string" },
    signature: { type: "string", description: "Base64, over `drainkit-audit-checkpoint/v1 seq=… hash=… at=… signedAt=…`." },
  },
} as const;

export const auditHead = {
  type: "object",
  required: ["seq", "hash", "at"],
  properties: { seq: { type: "integer" }, hash: { type: "string" }, at: { type: "integer" }, checkpoint: auditCheckpoint },
} as const;

