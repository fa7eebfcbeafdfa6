import { httpStatusFor, isErrorCode, type ErrorCode } from "@drainkit/core";

/**
 * Exit codes by class, so scripts can branch on what went wrong without
 * parsing text: usage 2, not found 3, conflict or precondition 4, auth 5,
 * server or unavailable 6. 1 is "the command ran and the answer is no"
 * (a failed drain, a broken audit chain, a declined prompt).
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  auth: 5,
  unavailable: 6,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as `title: detail` plus what to do next, never as a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly title: string;
  readonly next: string | undefined;

  constructor(title: string, detail: string, exitCode: ExitCode, next?: string) {
    super(detail);
    this.name = "CliError";
    this.title = title;
    this.exitCode = exitCode;
    this.next = next;
  }
}

/** The RFC 9457 problem document the control plane answers errors with. */
export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly code?: string;
  readonly next?: string;
  readonly retryable?: boolean;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: readonly { readonly field?: string; readonly message?: string }[];
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The exit class of every HTTP status core's error catalogue uses (the
 * catalogue gives each code its status; `test/errorMappings.test.ts` fails
 * when a code's status is missing here).
 */
export const EXIT_BY_STATUS: Readonly<Record<number, ExitCode>> = {
  400: EXIT.usage,
  401: EXIT.auth,
  403: EXIT.auth,
  404: EXIT.notFound,
  409: EXIT.conflict,
  410: EXIT.usage,
  412: EXIT.conflict,
  413: EXIT.usage,
  415: EXIT.usage,
  428: EXIT.conflict,
  // 429 only answers repeated bad tokens, so it is an auth problem to the user.
  429: EXIT.auth,
  500: EXIT.unavailable,
  501: EXIT.unavailable,
  502: EXIT.unavailable,
  503: EXIT.unavailable,
  504: EXIT.unavailable,
  507: EXIT.unavailable,
};

/** Maps an HTTP status to the exit-code class a user scripts against. */
export function exitCodeForStatus(status: number): ExitCode {
  const known = EXIT_BY_STATUS[status];
  if (known !== undefined) return known;
  // A status no catalogue code uses (a proxy's, say): classify by its class.
  if (status >= 400 && status < 500) return EXIT.usage;
  return EXIT.unavailable;
}

/**
 * The exit class for an error code, through the HTTP status core's catalogue
 * gives it (`unavailable` for a code it does not know).
 *
 * @example
 * exitCodeForCode("etag-mismatch"); // EXIT.conflict (HTTP 412)
 */
export function exitCodeForCode(code: string): ExitCode {
  return exitCodeForStatus(httpStatusFor(code));
}

/**
 * The server's `next` speaks HTTP ("GET /control/peers"); an operator at a
 * shell wants the drainctl command that does it.
 */
export const NEXT_BY_CODE: Readonly<Partial<Record<ErrorCode, string>>> = {
  "not-found": "Check the id: drainctl peers list (or drainctl clusters list).",
  "unauthenticated": "Pass --token, set DRAINCTL_TOKEN, or save one: drainctl context set <name> --server <url> --token <token> --use",
  "forbidden": "Use a token that carries the scope named above (drainkit token add <id> --scope <scope> on the server).",
  "confirmation-required": "Run it again and confirm at the prompt, or pass --yes.",
  "invalid-transition": "See where the peer is: drainctl peers get <peer>",
  "rollout-invalid-transition": "See where the rollout is: drainctl rollout status",
  "pool-depletion": "Wait for other members of the pool to come back (drainctl peers list --pool <pool>), or have an admin pass --force with a --reason.",
  "only-schedulable-node": "Bring another node of that role back first: drainctl peers resume <other-peer>",
  "last-active-cluster": "Promote another cluster first: drainctl clusters promote <cluster>",
  "etag-mismatch": "Someone changed it meanwhile; run the command again.",
  "rate-limited": "Wait a little, then use a valid token.",
  "rollout-in-progress": "Follow it with drainctl rollout status --wait, or stop it with drainctl rollout abort.",
  "maintenance-freeze": "An admin lifts the freeze first: drainctl config unset maintenance.freeze, then start the rollout again.",
  "move-state-conflict": "See where the move is: drainctl moves list --peer <peer>",
  "move-plan-conflict": "Plan the move under a new id; drainctl moves list shows the existing one.",
};

/** A problem+json answer from the server. */
export class ProblemError extends CliError {
  readonly problem: Problem;
  readonly status: number;

  constructor(status: number, problem: Problem) {
    const fields = (problem.errors ?? []).map((e) => `${e.field ?? "?"}: ${e.message ?? "invalid"}`);
    const detail = [problem.detail ?? `HTTP ${status}`, ...fields.map((f) => `  ${f}`)].join("\n");
    super(problem.title ?? `HTTP ${status}`, detail, exitCodeForStatus(status), (problem.code !== undefined && isErrorCode(problem.code) ? NEXT_BY_CODE[problem.code] : undefined) ?? problem.next);
    this.name = "ProblemError";
    this.problem = problem;
    this.status = status;
  }

  get code(): string {
    return this.problem.code ?? String(this.status);
  }
}

/** Wrong flags, arguments or configuration: exit 2. */
export function usageError(detail: string, next?: string): CliError {
  return new CliError("Invalid usage", detail, EXIT.usage, next);
}
