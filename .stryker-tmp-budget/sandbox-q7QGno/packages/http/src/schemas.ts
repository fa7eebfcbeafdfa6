/**
 * JSON Schemas of every parameter, query, header and body of the control API.
 * Fastify validates with them and /openapi.json is generated from them, so
 * the documentation cannot drift from what the server enforces.
 */
// @ts-nocheck


export const NAME = "^[A-Za-z0-9][A-Za-z0-9._~@-]{0,127}$";

export const idParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: { type: "string", pattern: NAME, description: "Peer or cluster id." } },
} as const;

const name = { type: "string", pattern: NAME } as const;
export const reason = { type: "string", minLength: 1, maxLength: 1024, description: "Why; recorded in the audit log." } as const;
export const ticket = { type: "string", minLength: 1, maxLength: 128, description: "Change ticket; recorded in the audit log." } as const;
const confirm = { type: "boolean", description: "Explicit confirmation for destructive verbs." } as const;
export const dryRun = { type: "boolean", description: "Run every check, write nothing." } as const;
const epochMs = { type: "integer", minimum: 0, maximum: 8_640_000_000_000_000 } as const;
const labels = {
  type: "object",
  maxProperties: 64,
  propertyNames: { pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$" },
  additionalProperties: { type: "string", maxLength: 256 },
} as const;
const metadata = { type: "object", maxProperties: 64, propertyNames: { maxLength: 63 } } as const;
const phase = { type: "string", enum: ["active", "cordoned", "draining", "drained", "failed"] } as const;

/** Workload, move and drain-target ids: the registry's id rule (1-253 characters, ':' allowed). */
const WORKLOAD = "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,252}$";
const workloadId = { type: "string", pattern: WORKLOAD } as const;

/** Which workloads a peer holds, as a status report carries it (stored under its own key, `GET /control/peers/{id}/placement`). */
const placement = {
  type: "array",
  maxItems: 10_000,
  description: "The workloads the peer holds; ids unique, `owner` names a child's owner workload. Without `workloads`, the counts are derived from it.",
  items: {
    type: "object",
    required: ["id"],
    additionalProperties: false,
    properties: { id: workloadId, owner: { ...workloadId, description: "The owner workload; absent for an owner." } },
  },
} as const;

/** Headers every mutation understands. */
export const mutationHeaders = {
  type: "object",
  properties: {
    "idempotency-key": { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$", description: "Same key + same request returns the first outcome." },
    "if-match": { type: "string", pattern: '^(W/)?"[^"]{1,64}"$|^\\*$', description: "ETag from a GET; stale values answer 412." },
  },
} as const;

export const registerBody = {
  type: "object",
  required: ["address", "pools", "roles"],
  additionalProperties: false,
  properties: {
    address: { type: "string", minLength: 1, maxLength: 512 },
    pools: { type: "array", maxItems: 64, uniqueItems: true, items: name },
    roles: { type: "array", minItems: 1, maxItems: 32, uniqueItems: true, items: name },
    labels,
    metadata,
    reason,
    ticket,
    dryRun,
  },
} as const;

export const statusBody = {
  type: "object",
  required: ["roles", "epoch"],
  additionalProperties: false,
  properties: {
    roles: {
      type: "object",
      maxProperties: 32,
      propertyNames: { pattern: NAME },
      additionalProperties: {
        type: "object",
        required: ["phase", "epoch"],
        additionalProperties: false,
        properties: { phase, epoch: { type: "integer", minimum: 0 } },
      },
    },
    inFlight: { type: "object", maxProperties: 64, propertyNames: { pattern: NAME }, additionalProperties: { type: "integer", minimum: 0 } },
    workloads: {
      type: "object",
      required: ["owners", "children"],
      additionalProperties: false,
      properties: { owners: { type: "integer", minimum: 0 }, children: { type: "integer", minimum: 0 } },
    },
    placement,
    epoch: { type: "integer", minimum: 0 },
    reason,
  },
} as const;

export const cordonBody = {
  type: "object",
  required: ["reason"],
  additionalProperties: false,
  properties: {
    owner: name,
    reason,
    ticket,
    expiresAt: epochMs,
    force: { type: "boolean", description: "Past the only-schedulable rule and pool budgets: needs mesh.admin, a reason and confirm." },
    confirm,
    dryRun,
  },
} as const;

export const uncordonBody = {
  type: "object",
  additionalProperties: false,
  properties: { owner: name, reason, ticket, dryRun },
} as const;

export const drainBody = {
  type: "object",
  required: ["reason"],
  additionalProperties: false,
  properties: {
    deadlineMs: { type: "integer", minimum: 1, maximum: 7 * 24 * 3600 * 1000, description: "Relative deadline." },
    deadline: { ...epochMs, description: "Absolute deadline, epoch ms." },
    reason,
    ticket,
    roles: { type: "array", minItems: 1, maxItems: 32, uniqueItems: true, items: name },
    force: { type: "boolean", description: "Past a pool budget: needs mesh.admin, a reason and confirm." },
    confirm,
    dryRun,
  },
} as const;

export const resumeBody = {
  type: "object",
  additionalProperties: false,
  properties: { reason, ticket, dryRun },
} as const;

export const patchPeerBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    labels: { ...labels, additionalProperties: { type: ["string", "null"], maxLength: 256 } },
    metadata,
    reason,
    ticket,
  },
} as const;

export const clusterVerbBody = {
  type: "object",
  additionalProperties: false,
  properties: { reason, ticket, confirm, dryRun },
} as const;

export const patchConfigBody = {
  type: "object",
  required: ["values"],
  additionalProperties: false,
  properties: {
    values: {
      type: "object",
      minProperties: 1,
      maxProperties: 64,
      propertyNames: { pattern: "^[A-Za-z][A-Za-z0-9._-]{0,63}$" },
      additionalProperties: { type: ["string", "number", "boolean", "null"] },
      description: "Allow-listed settings; null resets one to its default.",
    },
    reason,
    ticket,
    confirm,
    dryRun,
  },
} as const;

const rolloutId = { type: "string", pattern: NAME, description: "Rollout id (default: the latest rollout)." } as const;

export const upgradeQuery = {
  type: "object",
  additionalProperties: false,
  properties: { id: rolloutId },
} as const;

export const upgradeStartBody = {
  type: "object",
  required: ["version", "reason"],
  additionalProperties: false,
  properties: {
    version: { type: "string", minLength: 1, maxLength: 128, description: "Target version; peers already reporting it (metadata.version or label version) are skipped." },
    pool: { ...name, description: "Only peers in this pool." },
    role: { ...name, description: "Only peers serving this role." },
    label: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}(=[^,]{0,256})?$", description: "Only peers with this label (`key` or `key=value`)." },
    nodes: { type: "array", minItems: 1, maxItems: 10_000, uniqueItems: true, items: name, description: "Exactly these peers, in this order of preference." },
    maxParallel: { type: "integer", minimum: 1, maximum: 10_000, description: "Nodes per wave at most (default: config rollout.maxParallel)." },
    failureThreshold: { type: "integer", minimum: 0, maximum: 10_000, description: "Pause once more than this many nodes failed (default 0)." },
    drainTimeoutMs: { type: "integer", minimum: 1, maximum: 7 * 24 * 3600 * 1000, description: "Deadline of each node's drain (default 10 min)." },
    healthTimeoutMs: {
      type: "integer",
      minimum: 1,
      maximum: 24 * 3600 * 1000,
      description: "The healthy deadline: from the start of its upgrade, the time a node gets to report the target version and stay healthy for minHealthyMs; past it the node fails with the reason (default 5 min).",
    },
    minHealthyMs: { type: "integer", minimum: 0, maximum: 24 * 3600 * 1000, description: "How long a node must stay healthy (live, active) on the target version, without a break, to count (default 10 s)." },
    verify: { type: "boolean", description: "Default true: a node counts only once it reports the target version. false: unverified, recorded as a warning on the rollout and in its audit entry." },
    awaitVersion: { type: "boolean", description: "Deprecated synonym of verify (read only when verify is absent)." },
    reason,
    ticket,
    dryRun: { type: "boolean", description: "Plan only: the waves and, per node, what blocks it now. Writes nothing." },
  },
} as const;

export const upgradeVerbBody = {
  type: "object",
  additionalProperties: false,
  properties: { id: rolloutId, reason, ticket, confirm, dryRun },
} as const;

const rolloutNode = {
  type: "object",
  required: ["step", "at"],
  properties: {
    step: { type: "string", enum: ["pending", "cordoned", "draining", "drained", "upgrading", "resuming", "healthy", "failed", "deferred"] },
    wave: { type: "integer" },
    epoch: { type: "integer" },
    reason: { type: "string" },
    version: { type: "string", description: "The version the node reported when this step was recorded." },
    at: { type: "integer" },
  },
} as const;

export const rolloutSchema = {
  type: "object",
  required: ["id", "version", "state", "plan", "nodes", "progress", "settings"],
  properties: {
    id: { type: "string" },
    version: { type: "string" },
    selector: { type: "object" },
    settings: {
      type: "object",
      properties: {
        maxParallel: { type: "integer" },
        failureThreshold: { type: "integer" },
        drainTimeoutMs: { type: "integer" },
        healthTimeoutMs: { type: "integer" },
        minHealthyMs: { type: "integer" },
        verify: { type: "boolean" },
      },
    },
    warnings: { type: "array", items: { type: "string" }, description: "What operators must know about how it was started (e.g. verify=false)." },
    reason: { type: "string" },
    ticket: { type: "string" },
    requestedBy: { type: "string" },
    state: { type: "string", enum: ["running", "paused", "aborting", "aborted", "completed", "incomplete"] },
    stateReason: { type: "string" },
    plan: {
      type: "object",
      properties: {
        waves: { type: "array", items: { type: "object", properties: { index: { type: "integer" }, nodes: { type: "array", items: { type: "string" } } } } },
        blocked: { type: "array", items: { type: "object", properties: { node: { type: "string" }, reason: { type: "string", enum: ["pool-budget", "only-node-left", "no-destination"] }, pool: { type: "string" }, detail: { type: "string" } } } },
      },
    },
    nodes: { type: "object", additionalProperties: rolloutNode },
    progress: {
      type: "object",
      properties: { total: { type: "integer" }, done: { type: "integer" }, failed: { type: "integer" }, inProgress: { type: "integer" }, pending: { type: "integer" }, etaMs: { type: "integer" } },
    },
    createdAt: { type: "integer" },
    updatedAt: { type: "integer" },
    finishedAt: { type: "integer" },
    generation: { type: "integer" },
  },
} as const;

const moveState = { type: "string", enum: ["starting", "serving", "done", "failed"] } as const;

export const moveIdParams = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: { type: "string", pattern: NAME, description: "Move id." } },
} as const;

export const listMovesQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    peer: { ...name, description: "Only moves from or to this peer." },
    state: moveState,
    active: { type: "boolean", description: "true: only starting and serving moves; false: only ended ones." },
  },
} as const;

export const movePlanBody = {
  type: "object",
  required: ["id", "workload", "tier", "from", "to"],
  additionalProperties: false,
  properties: {
    id: { ...name, description: "Chosen by the planner; never reused for another plan." },
    workload: workloadId,
    tier: { type: "string", enum: ["owner", "child"], description: "Owners move first, then their children." },
    owner: { ...workloadId, description: "A child's owner workload (required for a child)." },
    from: { ...name, description: "Source peer." },
    to: { ...name, description: "Destination peer." },
    drain: {
      type: "object",
      required: ["target", "epoch"],
      additionalProperties: false,
      properties: { target: name, epoch: { type: "integer", minimum: 0 } },
      description: "The drain the move serves.",
    },
    reason,
    ticket,
    dryRun,
  },
} as const;

export const moveReportBody = {
  type: "object",
  required: ["state"],
  additionalProperties: false,
  properties: {
    state: { type: "string", enum: ["serving", "done", "failed"], description: "serving, failed: the destination's agent; done: the source's agent." },
    reason: { ...reason, description: "Why it failed (required with failed); recorded in the audit log." },
    ticket,
    dryRun,
  },
} as const;

export const movePruneBody = {
  type: "object",
  required: ["before"],
  additionalProperties: false,
  properties: { before: { ...epochMs, description: "Deletes done and failed moves last written before this time (epoch ms)." }, reason, ticket, dryRun },
} as const;

export const moveSchema = {
  type: "object",
  required: ["id", "workload", "tier", "from", "to", "state", "plannedBy", "createdAt", "updatedAt", "generation"],
  properties: {
    id: { type: "string" },
    workload: { type: "string" },
    tier: { type: "string", enum: ["owner", "child"] },
    owner: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    drain: { type: "object", properties: { target: { type: "string" }, epoch: { type: "integer" } } },
    state: moveState,
    reason: { type: "string" },
    plannedBy: { type: "string" },
    createdAt: { type: "integer" },
    updatedAt: { type: "integer" },
    generation: { type: "integer", description: "Bumped on every write; the ETag is \"<generation>\"." },
  },
} as const;

export const listPeersQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    role: name,
    state: { type: "string", enum: [...phase.enum, "unknown"], description: "A phase, or unknown: peers whose agents are silent." },
    label: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}(=[^,]{0,256})?$" },
    pool: name,
    limit: { type: "integer", minimum: 1, maximum: 500 },
    cursor: { type: "string", minLength: 1, maxLength: 512 },
  },
} as const;

export const eventsQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    kinds: { type: "string", pattern: "^(peer|cluster|config|pool|audit|rollout|move|approval)(,(peer|cluster|config|pool|audit|rollout|move|approval))*$", description: "Comma-separated kinds to receive (all by default)." },
    peer: { ...name, description: "Only this peer's changes and the moves from or to it (other kinds unchanged). An agent may only name its own peer." },
    since: { type: "integer", minimum: 0, description: "Replay changes after this revision (Last-Event-ID wins when both are sent)." },
  },
} as const;

export const eventsHeaders = {
  type: "object",
  properties: { "last-event-id": { type: "string", pattern: "^[0-9]{1,15}$" } },
} as const;

/** The problem document every error answers with. */
export const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "detail", "code"],
  properties: {
    type: { type: "string", format: "uri" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
    retryable: { type: "boolean" },
    next: { type: "string", description: "What to do about it." },
    instance: { type: "string" },
    errors: { type: "array", items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } } },
    details: { type: "object" },
  },
} as const;

export const peerSchema = {
  type: "object",
  required: ["id", "address", "pools", "roles", "labels", "spec", "phase", "epoch", "version"],
  properties: {
    id: { type: "string" },
    address: { type: "string" },
    pools: { type: "array", items: { type: "string" } },
    roles: { type: "array", items: { type: "string" } },
    labels: { type: "object", additionalProperties: { type: "string" } },
    metadata: { type: "object" },
    spec: { type: "object" },
    status: {
      type: "object",
      properties: {
        roles: { type: "object" },
        inFlight: { type: "object", additionalProperties: { type: "integer" } },
        workloads: { type: "object", properties: { owners: { type: "integer" }, children: { type: "integer" } } },
        placementVersion: { type: "integer", description: "Version of the peer's placement (GET /control/peers/{id}/placement); absent until its agent reports one." },
        heartbeatAt: { type: "integer" },
        epoch: { type: "integer" },
        reason: { type: "string" },
      },
    },
    phases: { type: "object", additionalProperties: phase },
    phase,
    liveness: { type: "string", enum: ["live", "unknown"], description: "unknown: the agent never reported, or not within heartbeat.staleAfterMs; never counted as available." },
    routers: {
      type: "object",
      description: "Routers registered for this peer, by id, with the drain epoch each last acknowledged; absent when none is.",
      additionalProperties: { type: "object", properties: { since: { type: "integer" }, acked: { type: "integer" }, ackedAt: { type: "integer" } } },
    },
    epoch: { type: "integer" },
    version: { type: "integer" },
    createdAt: { type: "integer" },
    updatedAt: { type: "integer" },
  },
} as const;

/** `GET /control/peers/{id}/placement`: the workloads a peer holds, as last reported. */
export const placementSchema = {
  type: "object",
  required: ["peer", "items", "version", "updatedAt"],
  properties: {
    peer: { type: "string" },
    items: {
      type: "array",
      items: { type: "object", required: ["id"], properties: { id: { type: "string" }, owner: { type: "string" } } },
    },
    version: { type: "integer", minimum: 0, description: "Bumped each time the list changes; 0 when never reported." },
    updatedAt: { type: "integer", description: "Epoch ms of the report that changed it; 0 when never reported." },
  },
} as const;

export const drainStatusSchema = {
  type: "object",
  required: ["peer", "epoch", "status", "remaining"],
  properties: {
    peer: { type: "string" },
    epoch: { type: "integer" },
    status: { type: "string", enum: ["none", "draining", "drained", "failed"] },
    deadline: { type: "integer" },
    roles: { type: "array", items: { type: "string" } },
    remaining: {
      type: "object",
      properties: { inFlight: { type: "integer" }, owners: { type: "integer" }, children: { type: "integer" } },
    },
    reason: { type: "string" },
    blocking: { type: "array", items: { type: "string" } },
  },
} as const;

export const pageSchema = (items: object): object => ({
  type: "object",
  required: ["items", "revision"],
  properties: { items: { type: "array", items }, nextCursor: { type: "string" }, revision: { type: "integer" } },
});
