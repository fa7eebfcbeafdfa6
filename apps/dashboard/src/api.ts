import { pages, readAll } from "@drainkit/client";
import type { Approval } from "./approvals.ts";
import type { AuditEntry, Cluster, Page, Peer, Rollout, Session, WorkloadMove } from "./types.ts";
import type { AvailabilitySample } from "./view.ts";

/** A refused or failed request, carrying the problem+json the server sent. */
export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  constructor(status: number, title: string, detail: string, type: string) {
    super(`${title}: ${detail}`);
    this.name = "ProblemError";
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.type = type;
  }
}

/** Reason and ticket, as the CLI sends them with every mutation. */
export interface AuditFields {
  readonly reason?: string;
  readonly ticket?: string;
}

export interface ControlApi {
  session(): Promise<Session>;
  /** Every peer (all pages) and the revision to follow the feed from. */
  peers(): Promise<{ items: Peer[]; revision: number }>;
  rollouts(): Promise<Rollout[]>;
  /** The clusters and their roles. */
  clusters(): Promise<Cluster[]>;
  /** Workload moves the server keeps (in flight, and finished within the retention). */
  moves(): Promise<WorkloadMove[]>;
  /** The newest audit entries (up to `keep`), newest first. */
  audit(keep: number): Promise<AuditEntry[]>;
  /** Changes waiting for a second principal's approval, newest first. */
  approvals(): Promise<Approval[]>;
  /**
   * The server's pool availability history (`GET /control/history/availability`),
   * as available / members per pool at each change, and the server's `now`.
   */
  history(since?: number): Promise<{ now: number; samples: AvailabilitySample[] }>;
  /** POST a verb; resolves with the body, or rejects with a {@link ProblemError}. */
  mutate<T>(path: string, body: Record<string, unknown>): Promise<T>;
}

async function problemOf(res: Response): Promise<ProblemError> {
  const text = await res.text().catch(() => "");
  try {
    const p = JSON.parse(text) as { title?: unknown; detail?: unknown; type?: unknown };
    return new ProblemError(res.status, typeof p.title === "string" ? p.title : res.statusText || `HTTP ${res.status}`, typeof p.detail === "string" ? p.detail : text, typeof p.type === "string" ? p.type : "about:blank");
  } catch {
    return new ProblemError(res.status, res.statusText || `HTTP ${res.status}`, text.slice(0, 500), "about:blank");
  }
}

/**
 * The control API as the page uses it, with the bearer token on every call
 * and a fresh Idempotency-Key on every mutation (as drainctl does), so a
 * retried click cannot act twice.
 *
 * @example
 * const api = createControlApi({ baseUrl: "", token });
 * await api.mutate("/control/peers/web-1:cordon", { reason: "kernel upgrade", ticket: "CHG-7" });
 */
export function createControlApi(options: { readonly baseUrl: string; readonly token: string; readonly fetch?: typeof fetch; readonly newKey?: () => string }): ControlApi {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const newKey = options.newKey ?? idempotencyKey;
  const auth = { authorization: `Bearer ${options.token}` };
  const get = async <T>(path: string): Promise<T> => {
    const res = await doFetch(options.baseUrl + path, { headers: { ...auth, accept: "application/json" }, cache: "no-store" });
    if (!res.ok) throw await problemOf(res);
    return (await res.json()) as T;
  };
  return {
    session: () => get<Session>("/ui/api/session"),
    async peers() {
      // The first page's revision is the safe place to follow from: later changes are replayed, none is missed.
      return readAll((cursor) => get<Page<Peer>>(`/control/peers?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`));
    },
    async moves() {
      return [...(await get<{ items: WorkloadMove[] }>("/control/moves")).items];
    },
    async approvals() {
      return [...(await get<{ items: Approval[] }>("/control/approvals?state=pending")).items];
    },
    async clusters() {
      return [...(await get<{ items: Cluster[] }>("/control/clusters")).items];
    },
    async rollouts() {
      return [...(await get<{ items: Rollout[] }>("/control/upgrades")).items];
    },
    async audit(keep) {
      const out: AuditEntry[] = [];
      let read = 0;
      // Oldest first, paged by sequence: walk to the end, keep the newest.
      for await (const page of pages((cursor) => get<Page<AuditEntry>>(`/control/audit?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`))) {
        out.push(...page.items);
        if (out.length > keep) out.splice(0, out.length - keep);
        if (++read === 50) break;
      }
      return out.reverse();
    },
    async history(since) {
      const body = await get<{ now: number; points: { t: number; pools: Record<string, { available: number; total: number }> }[] }>(`/control/history/availability${since === undefined ? "" : `?since=${since}`}`);
      const samples = body.points.map((p) => ({ t: p.t, pools: Object.fromEntries(Object.entries(p.pools).filter(([, c]) => c.total > 0).map(([name, c]) => [name, c.available / c.total])) }));
      return { now: body.now, samples };
    },
    async mutate<T>(path: string, body: Record<string, unknown>) {
      const res = await doFetch(options.baseUrl + path, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", accept: "application/json", "idempotency-key": newKey() },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw await problemOf(res);
      return (await res.json()) as T;
    },
  };
}

/** A random Idempotency-Key; getRandomValues works on plain http too, where randomUUID does not exist. */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `dashboard-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The request body of a verb: reason and ticket only when given (empty strings fail the server's schema). */
export function auditBody(fields: AuditFields): Record<string, string> {
  const out: Record<string, string> = {};
  const reason = fields.reason?.trim();
  const ticket = fields.ticket?.trim();
  if (reason) out["reason"] = reason;
  if (ticket) out["ticket"] = ticket;
  return out;
}
