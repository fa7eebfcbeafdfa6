// @ts-nocheck
import { dryRun, NAME, reason, ticket } from "./schemas.ts";

/** Schemas of the routers on a peer: `PUT /control/peers/{id}/routers/{router}`, `…:ack`, `…:release`. */

export const routerParams = {
  type: "object",
  required: ["id", "router"],
  additionalProperties: false,
  properties: { id: { type: "string", pattern: NAME, description: "Peer id." }, router: { type: "string", pattern: NAME, description: "Router id (a mesh.agent token's principal id)." } },
} as const;

/** `PUT /control/peers/{id}/routers/{router}` and `:release`: only the common fields. */
export const routerBody = {
  type: "object",
  additionalProperties: false,
  properties: { reason, ticket, dryRun },
} as const;

export const routerAckBody = {
  type: "object",
  required: ["epoch"],
  additionalProperties: false,
  properties: { epoch: { type: "integer", minimum: 0, description: "The drain epoch the router took the peer out of rotation for." }, reason, ticket, dryRun },
} as const;
