import { Ajv, type ValidateFunction } from "ajv";
import type { Server } from "./harness.ts";

type Json = Record<string, unknown>;

/**
 * Validators for `-o json` output, built from the running server's own
 * /openapi.json: what the CLI prints must be what the API documents, so a
 * drift on either side fails here.
 */
export interface OutputSchemas {
  readonly peerPage: ValidateFunction;
  readonly peer: ValidateFunction;
  readonly peerItems: ValidateFunction;
  readonly drainItems: ValidateFunction;
  readonly dryRun: ValidateFunction;
  readonly auditPage: ValidateFunction;
  readonly config: ValidateFunction;
  readonly clusters: ValidateFunction;
  readonly verdict: ValidateFunction;
  readonly change: ValidateFunction;
  readonly rollout: ValidateFunction;
}

export async function outputSchemas(server: Server): Promise<OutputSchemas> {
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>> };
  const response = (path: string, method: string, status: string): Json => {
    const s = doc.paths[path]?.[method]?.responses[status]?.content?.["application/json"]?.schema;
    if (s === undefined) throw new Error(`openapi.json has no ${status} schema for ${method.toUpperCase()} ${path}`);
    return s;
  };
  const ajv = new Ajv({ allErrors: true, strict: false });
  const peer = response("/control/peers/{id}", "get", "200");
  const drainStatus = response("/control/peers/{id}/drain", "get", "200");
  const items = (item: Json): Json => ({ type: "object", required: ["items"], properties: { items: { type: "array", items: item } } });
  return {
    peerPage: ajv.compile(response("/control/peers", "get", "200")),
    peer: ajv.compile(peer),
    peerItems: ajv.compile(items(peer)),
    drainItems: ajv.compile(items({ ...drainStatus, properties: { ...(drainStatus["properties"] as Json), status: { type: "string", enum: ["none", "draining", "drained", "failed"] } } })),
    dryRun: ajv.compile({
      type: "object",
      required: ["dryRun", "items"],
      properties: {
        dryRun: { const: true },
        items: {
          type: "array",
          items: {
            type: "object",
            required: ["peer", "outcome"],
            properties: {
              peer: { type: "string" },
              outcome: { enum: ["allowed", "refused"] },
              drain: drainStatus,
              problem: { type: "object", required: ["code", "title", "detail"], properties: { code: { type: "string" }, title: { type: "string" }, detail: { type: "string" } } },
            },
          },
        },
      },
    }),
    auditPage: ajv.compile(response("/control/audit", "get", "200")),
    config: ajv.compile(response("/control/config", "get", "200")),
    clusters: ajv.compile(response("/control/clusters", "get", "200")),
    verdict: ajv.compile({
      oneOf: [
        {
          type: "object",
          required: ["ok", "entries", "head", "notes"],
          properties: { ok: { const: true }, entries: { type: "integer" }, from: { type: "integer" }, head: { type: "object", required: ["seq", "hash"] }, checkpoint: { type: "object" }, notes: { type: "array", items: { type: "string" } } },
          additionalProperties: false,
        },
        { type: "object", required: ["ok", "entries", "firstBad"], properties: { ok: { const: false }, entries: { type: "integer" }, firstBad: { type: "object", required: ["seq", "id", "reason"] } } },
      ],
    }),
    rollout: ajv.compile(response("/control/upgrade", "get", "200")),
    change: ajv.compile({ type: "object", required: ["revision", "kind", "id"], properties: { revision: { type: "integer" }, kind: { enum: ["peer", "cluster", "config", "audit"] }, id: { type: "string" } } }),
  };
}

/** Asserts `data` passes `validate`, naming every failing path when not. */
export function expectValid(validate: ValidateFunction, data: unknown): void {
  if (!validate(data)) throw new Error(`output does not match its schema:\n${JSON.stringify(validate.errors, null, 2)}\n${JSON.stringify(data, null, 2)}`);
}
