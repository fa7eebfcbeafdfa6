/**
 * JSON Schemas of the pools resource (`/control/pools`): a pool's budgets,
 * per pool and per role. The registry checks the same rules and names the
 * field it refuses; these make /openapi.json say them.
 */
// @ts-nocheck


const POOL = "^[A-Za-z0-9][A-Za-z0-9._~@-]{0,62}$";
const budgetValue = {
  oneOf: [
    { type: "integer", minimum: 0, description: "A member count." },
    { type: "string", pattern: "^\\d{1,3}%$", description: "A percent of the pool's members, 0% to 100%." },
  ],
} as const;

const bounds = {
  minAvailable: { ...budgetValue, description: "Members that must stay available (percent rounds up)." },
  maxUnavailable: { ...budgetValue, description: "Members that may be unavailable at once (percent rounds down)." },
  minSchedulable: { ...budgetValue, description: "Members that must stay schedulable (percent rounds up)." },
} as const;

const roleBounds = { type: "object", additionalProperties: false, properties: bounds } as const;

export const poolParams = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: { name: { type: "string", pattern: POOL, description: "Pool name, as peers list it in `pools`." } },
} as const;

export const putPoolBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...bounds,
    roles: {
      type: "object",
      maxProperties: 64,
      propertyNames: { pattern: POOL },
      additionalProperties: roleBounds,
      description: "Bounds for the members' phase in one role.",
    },
    reason: { type: "string", minLength: 1, maxLength: 1024, description: "Why; recorded in the audit log." },
    ticket: { type: "string", minLength: 1, maxLength: 128, description: "Change ticket; recorded in the audit log." },
    dryRun: { type: "boolean", description: "Run every check, write nothing." },
  },
} as const;

export const deletePoolBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    reason: { type: "string", minLength: 1, maxLength: 1024, description: "Why; recorded in the audit log." },
    ticket: { type: "string", minLength: 1, maxLength: 128, description: "Change ticket; recorded in the audit log." },
    confirm: { type: "boolean", description: "Required: the pool's members lose their budget." },
    dryRun: { type: "boolean", description: "Run every check, write nothing." },
  },
} as const;

export const poolSchema = {
  type: "object",
  required: ["name", "roles", "version"],
  properties: {
    name: { type: "string" },
    ...bounds,
    roles: { type: "object", additionalProperties: roleBounds },
    version: { type: "integer", description: "The ETag's number; 0 for a pool declared in code and never stored." },
  },
} as const;
