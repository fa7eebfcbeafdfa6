/**
 * What every drainkit error code means to a caller, in one place: the HTTP
 * status REST answers with (gRPC and the CLI's exit codes are derived from
 * it), a short title, whether trying again can help, and what to do next.
 * A code that is missing here cannot be thrown (`DrainkitError` takes an
 * {@link ErrorCode}), and each transport's test walks this table, so a new
 * code cannot lack a mapping anywhere.
 *
 * Codes that never leave a process (lifecycle, routing, stores before the
 * registry wraps them) still get a status: 503 when retrying can help, else
 * 500, which is what a transport answered for them before the table existed.
 *
 * @example
 * const { status, next } = catalogue["pool-depletion"]; // 409, "Wait for …"
 */
// @ts-nocheck

export const catalogue = {
  // Input and confirmation
  "validation": { status: 400, title: "Invalid request", retryable: false, next: "Fix the fields named in `errors` and send the request again." },
  "confirmation-required": { status: 400, title: "Confirmation required", retryable: false, next: "Repeat the request with `\"confirm\": true` once you are sure." },
  "unknown-role": { status: 400, title: "Unknown role", retryable: false, next: "Name one of the peer's roles (GET /control/peers/{id} lists them)." },
  // Who may call
  "unauthenticated": { status: 401, title: "Authentication required", retryable: false, next: "Send `Authorization: Bearer <token>` with a valid token." },
  "forbidden": { status: 403, title: "Missing scope", retryable: false, next: "Use a token that carries the scope named in `detail`." },
  "rate-limited": { status: 429, title: "Too many failed attempts", retryable: true, next: "Wait for the number of seconds in Retry-After, then use a valid token." },
  // What does not exist
  "not-found": { status: 404, title: "Not found", retryable: false, next: "Check the id; list what exists with GET /control/peers." },
  "route-not-found": { status: 404, title: "No such route", retryable: false, next: "See /openapi.json for the routes this server serves." },
  "history-compacted": { status: 410, title: "History compacted", retryable: false, next: "List again, then watch from the listing's revision." },
  // Refusals by the domain's rules
  "invalid-transition": { status: 409, title: "Invalid transition", retryable: false, next: "Read the peer's state; `details.allowed` names the events it accepts now." },
  "workload-elsewhere": { status: 409, title: "Workload runs on another peer", retryable: false, next: "Stop the workloads named in `details.livesOn` on this host (each runs on the peer named there), then report again; move one here with a drain of its peer instead." },
  "future-epoch": { status: 409, title: "Report for a drain epoch never issued", retryable: false, next: "Re-read the peer's spec (GET /control/peers/{id}) and report for the epoch in `details.current`." },
  "pool-depletion": { status: 409, title: "Pool would be depleted", retryable: true, next: "Wait for other nodes in the pool to come back, or have an admin force it with a reason." },
  "only-schedulable-node": { status: 409, title: "Only schedulable node", retryable: false, next: "Bring another node of this role back first." },
  "last-active-cluster": { status: 409, title: "Last active cluster", retryable: false, next: "Promote another cluster first." },
  "rollout-in-progress": { status: 409, title: "Rollout in progress", retryable: false, next: "Wait for the rollout to finish (GET /control/upgrade), or abort it first." },
  "maintenance-freeze": { status: 409, title: "Maintenance freeze", retryable: false, next: "An admin lifts the freeze first: drainctl config unset maintenance.freeze (PATCH /control/config {\"values\":{\"maintenance.freeze\":null},\"confirm\":true}), then start the rollout again." },
  "rollout-invalid-transition": { status: 409, title: "Invalid rollout transition", retryable: false, next: "Read the rollout (GET /control/upgrade); `details.allowed` names the verbs it accepts now." },
  "move-state-conflict": { status: 409, title: "Move state conflict", retryable: false, next: "GET /control/moves to read the move's state; `details.allowed` names the states it can take now." },
  "move-plan-conflict": { status: 409, title: "Move id already used", retryable: false, next: "Plan the move under a new id; GET /control/moves shows the existing one." },
  "approval-self": { status: 403, title: "Requester cannot approve", retryable: false, next: "Ask a second principal with the scope in `details.requiredScope` to approve it (drainctl approvals approve <id>)." },
  "approval-not-pending": { status: 409, title: "Approval not pending", retryable: false, next: "Read the approval (GET /control/approvals/{id}); `details.state` says what became of it. Request the change again if still wanted." },
  "approval-expired": { status: 409, title: "Approval expired", retryable: false, next: "Request the change again; a pending change lives for the config setting approvals.ttlMs." },
  "audit-chain-broken": { status: 409, title: "Audit chain broken", retryable: false, next: "Run `drainctl audit verify` to find the first bad entry and keep its output as evidence; retention prunes nothing while the chain is broken." },
  "idempotency-conflict": { status: 409, title: "Idempotency key reused", retryable: false, next: "Use a new Idempotency-Key for a different request." },
  // Preconditions
  "etag-mismatch": { status: 412, title: "ETag mismatch", retryable: false, next: "GET the resource again and retry with its current ETag in If-Match." },
  "precondition-required": { status: 428, title: "If-Match required", retryable: false, next: "GET the resource and send its ETag in If-Match." },
  // HTTP framing
  "payload-too-large": { status: 413, title: "Payload too large", retryable: false, next: "Send a smaller body." },
  "unsupported-media-type": { status: 415, title: "Unsupported media type", retryable: false, next: "Send `Content-Type: application/json`." },
  // Server and store trouble
  "internal": { status: 500, title: "Internal error", retryable: true, next: "Retry later; if it persists, report the request id in `instance`." },
  "write-contention": { status: 503, title: "Write contention", retryable: true, next: "Retry with the same Idempotency-Key; nothing was written." },
  "store-unavailable": { status: 503, title: "Store unavailable", retryable: true, next: "Retry after a short wait; check the store's health." },
  "store-busy": { status: 503, title: "Store busy", retryable: true, next: "Retry after a short wait; raise busyTimeoutMs if it persists." },
  "store-closed": { status: 503, title: "Store closed", retryable: false, next: "Open a new store (or restart the control plane)." },
  "store-full": { status: 507, title: "Store full", retryable: true, next: "Free space in the store (SQLite: disk space on its volume; etcd: compact, defragment and disarm the NOSPACE alarm, or raise --quota-backend-bytes), then retry with the same Idempotency-Key." },
  "store-corrupt": { status: 500, title: "Store corrupt", retryable: false, next: "Restore the database from a backup, or point the store at another file." },
  "store-schema-newer": { status: 500, title: "Store schema newer", retryable: false, next: "Run the drainkit version that migrated this database, or point the store at another file." },
  "store-forbidden": { status: 500, title: "Store forbidden", retryable: false, next: "Check the store's credentials and that they may read and write the key prefix." },
  "store-error": { status: 500, title: "Store error", retryable: false, next: "Report it with the message; it is a drainkit bug or a misconfigured store." },
  "leadership-lost": { status: 500, title: "Leadership lost", retryable: false, next: "Campaign again; another replica may lead now." },
  "not-leader": { status: 503, title: "Not the leader", retryable: true, next: "Retry; another replica leads and will answer." },
  "no-leader": { status: 503, title: "No leader known", retryable: true, next: "Retry shortly; if no replica leads for long, check that the control-plane replicas run and reach the store (GET /readyz on each)." },
  "fenced": { status: 503, title: "Leadership ended", retryable: true, next: "Retry; the write came from a replica whose leadership had ended, and the current leader decides now." },
  "draining": { status: 503, title: "Server draining", retryable: true, next: "Retry against another replica, after Retry-After seconds." },
  "haproxy-command-failed": { status: 500, title: "HAProxy refused a command", retryable: false, next: "Check that the stats socket has `level admin` and that the backend and server exist (`show servers state`)." },
  // A client that reached no drainkit server
  "unreachable": { status: 503, title: "Control plane unreachable", retryable: true, next: "Check that the control plane runs at the configured URL." },
  "unavailable": { status: 503, title: "Server unavailable", retryable: true, next: "Check the address and that the server is running." },
  "deadline-exceeded": { status: 504, title: "Deadline exceeded", retryable: true, next: "Retry, or give the call a longer deadline." },
  "cancelled": { status: 500, title: "Cancelled", retryable: false, next: "The call was cancelled before it finished; send it again if still wanted." },
  "unimplemented": { status: 501, title: "Not implemented", retryable: false, next: "Point the client at a drainkit server of a matching version." },
  "history-lost": { status: 503, title: "History lost", retryable: true, next: "Read the peer again, then follow the events from a fresh revision." },
  // Drain coordinator and participants
  "gate-closed": { status: 503, title: "Gate closed", retryable: true, next: "Send the work to another node, or resume this one." },
  "stale-epoch": { status: 500, title: "Stale epoch", retryable: false, next: "Read the node's drain status; drain again without an epoch, or with a newer one." },
  "resume-failed": { status: 503, title: "Resume failed", retryable: true, next: "Check the named participants' logs, then resume again." },
  "drain-config": { status: 500, title: "Drain config", retryable: false, next: "Give each participant a unique name and a valid configuration." },
  "drain-stopped": { status: 500, title: "Drain stopped", retryable: false, next: "Resume the node to reopen its gate." },
  // Drain scheduler (fleet-wide)
  "last-schedulable-node": { status: 503, title: "Last schedulable node", retryable: true, next: "Uncordon or add another node, then retry the drain." },
  "drain-limit-reached": { status: 503, title: "Drain limit reached", retryable: true, next: "Wait for a drain of the scope to finish, or raise maxDrainsPerScope." },
  "node-not-in-fleet": { status: 500, title: "Node not in fleet", retryable: false, next: "Register the node (or refresh the fleet view), then retry." },
  // Lifecycle orchestrator
  "lifecycle-dependency-cycle": { status: 500, title: "Lifecycle dependency cycle", retryable: false, next: "Remove one dependsOn entry of the cycle in `details.path`." },
  "lifecycle-missing-dependency": { status: 500, title: "Lifecycle missing dependency", retryable: false, next: "Register the missing dependency, or remove it from dependsOn." },
  "lifecycle-duplicate-component": { status: 500, title: "Lifecycle duplicate component", retryable: false, next: "Give each component a unique name." },
  "lifecycle-invalid-retry-policy": { status: 500, title: "Lifecycle invalid retry policy", retryable: false, next: "Fix the retry policy field named in `details.field`." },
  "lifecycle-invalid-state": { status: 500, title: "Lifecycle invalid state", retryable: false, next: "Create a new LifecycleOrchestrator to start the components again." },
  "lifecycle-attempt-timeout": { status: 503, title: "Lifecycle attempt timeout", retryable: true, next: "Check what the component waits on, or raise its policy's timeoutMs." },
  "lifecycle-aborted": { status: 503, title: "Lifecycle aborted", retryable: true, next: "Start again on a new orchestrator when ready." },
  "lifecycle-start-failed": { status: 500, title: "Lifecycle start failed", retryable: false, next: "Fix the cause in `cause`, or give the component more start attempts." },
  "lifecycle-stop-failed": { status: 500, title: "Lifecycle stop failed", retryable: false, next: "Check the logs of the components in `failures` before restarting the host." },
  // Agent workloads
  "workload-unknown": { status: 500, title: "Workload unknown", retryable: false, next: "Name a workload this host holds (WorkloadSet.list())." },
  "workload-duplicate": { status: 500, title: "Workload duplicate", retryable: false, next: "Place each workload id once per host." },
  // Routing
  "no-routable-member": { status: 503, title: "No routable member", retryable: true, next: "Resume a drained member or register a new one, then retry." },
  "session-key-required": { status: 500, title: "Session key required", retryable: false, next: "Call pick(key) with the session's id." },
  "router-not-ready": { status: 503, title: "Router not ready", retryable: true, next: "Await router.ready() before picking; a closed router must be created again." },
  "dns-update-refused": { status: 500, title: "DNS update refused", retryable: false, next: "Check the TSIG key and that the zone allows updates from this host." },
  "dns-update-timeout": { status: 503, title: "DNS update timeout", retryable: true, next: "Retry; check that the DNS server answers." },
  "dns-update-tsig": { status: 500, title: "DNS update TSIG", retryable: false, next: "Check the TSIG key name, algorithm and secret." },
  "dns-update-network": { status: 503, title: "DNS update network", retryable: true, next: "Retry; check the route to the DNS server." },
  "dns-update-malformed": { status: 500, title: "DNS update malformed", retryable: false, next: "Report it: the server's answer could not be parsed." },
  // Simulator
  "unknown-node": { status: 400, title: "Unknown node", retryable: false, next: "Name nodes the fleet snapshot lists (drainctl peers list)." },
  "empty-plan": { status: 400, title: "Empty plan", retryable: false, next: "Name at least one node or a pool with members." },
  "invalid-scenario": { status: 400, title: "Invalid scenario", retryable: false, next: "Fix the fields the message names and run again." },
  "scenario-not-found": { status: 404, title: "Scenario not found", retryable: false, next: "Give a file path or one of the shipped scenario names." },
} as const satisfies Readonly<Record<string, ErrorEntry>>;

/** One row of the {@link catalogue}. */
export interface ErrorEntry {
  /** HTTP status of the problem+json answer; gRPC status and CLI exit class derive from it. */
  readonly status: number;
  readonly title: string;
  /** Whether the same request can succeed later without a change. */
  readonly retryable: boolean;
  /** What a caller can do about it. */
  readonly next: string;
}

/** Every stable error code drainkit raises. */
export type ErrorCode = keyof typeof catalogue;

/**
 * True when `code` has a row in the catalogue (a code read off the wire may
 * come from a newer server).
 *
 * @example
 * if (isErrorCode(problem.code)) console.log(catalogue[problem.code].title);
 */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(catalogue, code);
}

/**
 * The catalogue row of a code, or undefined for a code it does not know.
 *
 * @example
 * errorEntry("etag-mismatch")?.status; // 412
 */
export function errorEntry(code: string): ErrorEntry | undefined {
  return isErrorCode(code) ? catalogue[code] : undefined;
}

/**
 * HTTP status for a code; 500 for a code the catalogue does not know.
 *
 * @example
 * httpStatusFor("pool-depletion"); // 409
 */
export function httpStatusFor(code: string): number {
  return errorEntry(code)?.status ?? 500;
}
