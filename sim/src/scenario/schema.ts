/**
 * The JSON Schema every scenario file is validated against (draft 2020-12
 * subset that ajv checks). Kept beside `types.ts`; a change to one is a change
 * to the other.
 */
const budget = {
  oneOf: [
    { type: "integer", minimum: 0 },
    { type: "string", pattern: "^(100|[1-9]?[0-9])(\\.[0-9]+)?%$" },
  ],
} as const;

const span = {
  oneOf: [
    { type: "number", minimum: 0 },
    {
      type: "object",
      additionalProperties: false,
      required: ["min", "max"],
      properties: { min: { type: "number", minimum: 0 }, max: { type: "number", minimum: 0 } },
    },
  ],
} as const;

const at = { type: "number", minimum: 0 } as const;
const count = { type: "integer", minimum: 1 } as const;

function variant(type: string, required: readonly string[], properties: Record<string, unknown>): Record<string, unknown> {
  return {
    type: "object",
    additionalProperties: false,
    required: ["type", "at", ...required],
    properties: { type: { const: type }, at, ...properties },
  };
}

const id = { type: "string", minLength: 1 } as const;
const nonNegative = { type: "integer", minimum: 0 } as const;

const snapshotBody = {
  type: "object",
  additionalProperties: false,
  required: ["version", "pools", "nodes"],
  properties: {
    version: { const: 1 },
    takenAt: { type: "number" },
    source: { type: "string" },
    pools: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: { name: id, role: id, minAvailable: budget, maxUnavailable: budget, minSchedulable: budget },
      },
    },
    nodes: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["id", "pools", "roles", "phase", "cordoned", "workloads", "inFlight"],
        properties: {
          id,
          pools: { type: "array", items: id },
          roles: { type: "array", items: id },
          zone: { type: "string" },
          phase: { enum: ["active", "cordoned", "draining", "drained", "failed", "partially-drained"] },
          cordoned: { type: "boolean" },
          healthy: { type: "boolean" },
          workloads: {
            type: "object",
            additionalProperties: false,
            required: ["owners", "children"],
            properties: { owners: nonNegative, children: nonNegative },
          },
          inFlight: nonNegative,
        },
      },
    },
  },
} as const;

/** JSON Schema of a `FleetSnapshot` (`drainctl fleet export`), on its own or as a scenario's `fleet.snapshot`. */
export const snapshotSchema = { $id: "https://drainkit.dev/schemas/fleet-snapshot.json", ...snapshotBody } as const;

/** JSON Schema of a scenario file. */
export const scenarioSchema = {
  $id: "https://drainkit.dev/schemas/sim-scenario.json",
  type: "object",
  additionalProperties: false,
  required: ["name", "durationMs", "fleet", "budget", "actions"],
  properties: {
    name: { type: "string", minLength: 1 },
    description: { type: "string" },
    seed: { type: "integer" },
    durationMs: { type: "number", exclusiveMinimum: 0 },
    mode: { enum: ["core", "full-stack"] },
    liveness: {
      type: "object",
      additionalProperties: false,
      properties: { staleAfterMs: { type: "number", exclusiveMinimum: 0 }, heartbeatMs: { type: "number", exclusiveMinimum: 0 } },
    },
    fleet: {
      type: "object",
      additionalProperties: false,
      required: ["nodes", "pools"],
      properties: {
        nodes: count,
        pools: count,
        zones: count,
        roles: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
        ownersPerNode: { type: "integer", minimum: 0 },
        childrenPerOwner: { type: "integer", minimum: 0 },
        overlap: { type: "number", minimum: 0, maximum: 1 },
        snapshot: snapshotBody,
      },
    },
    budget: {
      type: "object",
      additionalProperties: false,
      properties: { maxUnavailable: budget, minAvailable: budget },
    },
    traffic: {
      type: "object",
      additionalProperties: false,
      required: ["ratePerNode", "serviceMs"],
      properties: {
        ratePerNode: { type: "number", minimum: 0 },
        serviceMs: { type: "number", exclusiveMinimum: 0 },
        tickMs: { type: "number", exclusiveMinimum: 0 },
      },
    },
    drain: {
      type: "object",
      additionalProperties: false,
      properties: {
        deadlineMs: { type: "number", exclusiveMinimum: 0 },
        slackMs: { type: "number", minimum: 0 },
        moveMs: span,
      },
    },
    network: {
      type: "object",
      additionalProperties: false,
      required: ["delayMs"],
      properties: { delayMs: span, loss: { type: "number", minimum: 0, maximum: 1 } },
    },
    actions: {
      type: "array",
      items: {
        type: "object",
        required: ["type"],
        properties: { type: { enum: ["rolling-upgrade", "concurrent-drains", "cordons", "drain"] } },
        discriminator: { propertyName: "type" },
        oneOf: [
          variant("rolling-upgrade", [], { upgradeMs: span, retryMs: span, controller: { enum: ["rollout", "per-pool"] }, maxParallel: count, nodes: { type: "array", items: id } }),
          variant("drain", ["nodes"], { nodes: { type: "array", minItems: 1, items: id }, force: { type: "string", minLength: 1 } }),
          variant("concurrent-drains", ["operators", "drainsPerOperator"], { operators: count, drainsPerOperator: count, holdMs: span, retryMs: span }),
          variant("cordons", ["owners", "nodesPerOwner", "holdMs"], {
            owners: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
            nodesPerOwner: count,
            holdMs: span,
          }),
        ],
      },
    },
    faults: {
      type: "array",
      items: {
        type: "object",
        required: ["type"],
        properties: { type: { enum: ["node-crash", "hung-participant", "destination-crash", "coordinator-failover", "stale-report", "agent-partition"] } },
        discriminator: { propertyName: "type" },
        oneOf: [
          variant("node-crash", ["count"], { count, recoverMs: span }),
          variant("hung-participant", ["count"], { count }),
          variant("destination-crash", ["count"], { count, recoverMs: span }),
          variant("coordinator-failover", [], { downMs: span }),
          variant("stale-report", ["count"], { count }),
          variant("agent-partition", ["count"], { count, durationMs: span, pool: { type: "string", minLength: 1 } }),
        ],
      },
    },
    expect: {
      type: "object",
      additionalProperties: false,
      properties: {
        status: { enum: ["completed", "blocked", "incomplete", "violated"] },
        violations: { type: "array", items: { type: "string" } },
        blockedPools: { type: "array", items: { type: "string" } },
        forcedBreaches: nonNegative,
        refusedAtLeast: nonNegative,
        cordonsRefused: nonNegative,
        blockedReason: { type: "string", minLength: 1 },
        notUpgraded: nonNegative,
        controlPlaneDownMs: nonNegative,
        mutant: { type: "string", minLength: 1 },
        mutantViolations: { type: "array", minItems: 1, items: { type: "string" } },
      },
    },
  },
} as const;
