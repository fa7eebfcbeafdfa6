import { escapeXml as esc, palette, renderLineChart, renderProgressBar } from "@drainkit/charts";
import { actionFor, verbsFor } from "./actions.ts";
import { headroomText, type DashboardView, type DrainRow, type NodeCell, type PoolSummary, type RolloutView } from "./view.ts";
import type { AuditEntry, Cluster, Peer } from "./types.ts";

/**
 * HTML for each section of the page. Every value from the server is escaped;
 * colours come from CSS classes (the CSP forbids inline styles), and buttons
 * carry `data-*` attributes that one delegated click handler reads.
 */

const time = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const phaseClass = (phase: string): string => `phase-${phase.replace(/[^a-z-]/g, "")}`;

export function legendHtml(phases: readonly string[]): string {
  return (
    phases.map((p) => `<span class="legend-item"><span class="swatch ${phaseClass(p)}"></span>${esc(p)}</span>`).join("") +
    `<span class="legend-item"><span class="swatch liveness-unknown"></span>unknown (agent not reporting)</span><span class="legend-item"><span class="swatch cordon-mark"></span>has a cordon</span>`
  );
}

/** "last heard 85 s ago", or "never heard from". */
export function lastHeard(heardAt: number | undefined, now: number): string {
  if (heardAt === undefined) return "never heard from";
  const s = Math.max(0, Math.round((now - heardAt) / 1000));
  return `last heard ${s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`} ago`;
}

/** A node's grid cell: coloured by its phase, or hatched grey with "unknown" while its agent is silent (never green). */
function cellHtml(n: NodeCell, selected: string | undefined, now: number): string {
  const unknown = n.liveness === "unknown";
  const heard = lastHeard(n.heardAt, now);
  const title = unknown ? `${n.id} (${n.address}): unknown · ${heard} (phase ${n.phase}${n.cordoned ? ", cordoned" : ""})` : `${n.id} (${n.address}): ${n.phase}${n.cordoned ? ", cordoned" : ""}`;
  const classes = `cell ${unknown ? "liveness-unknown" : phaseClass(n.phase)}${n.cordoned ? " cordon-mark" : ""}${n.id === selected ? " selected" : ""}`;
  const label = unknown ? `${esc(n.id)}<span class="cell-note">unknown · ${esc(heard.replace("last heard ", ""))}</span>` : esc(n.id);
  return `<button type="button" class="${classes}" data-node="${esc(n.id)}" data-phase="${esc(n.phase)}" data-liveness="${n.liveness}" title="${esc(title)}">${label}</button>`;
}

export function gridHtml(view: DashboardView, selected: string | undefined, now = Date.now()): string {
  if (view.groups.length === 0) return `<p class="empty">No peers registered yet.</p>`;
  return view.groups
    .map(
      (g) => `<div class="pool-group" data-pool="${esc(g.pool)}"><h3>${esc(g.pool)}</h3>${g.roles
        .map(
          (r) => `<div class="role-row"><span class="role-name">${esc(r.role)}</span><div class="cells">${r.nodes.map((n) => cellHtml(n, selected, now)).join("")}</div></div>`,
        )
        .join("")}</div>`,
    )
    .join("");
}

const LEVEL_COLOR = { ok: "#2ca02c", floor: "#e8a317", below: "#d62728" } as const;

function poolRow(p: PoolSummary): string {
  const level = p.budget?.level ?? "ok";
  const bar = renderProgressBar({
    value: p.available,
    max: p.total,
    width: 220,
    label: `${p.available} / ${p.total} available`,
    color: LEVEL_COLOR[level],
    ...(p.budget ? { marker: { at: p.budget.required, label: `needs ${p.budget.required}` } } : {}),
  });
  const headroom = p.budget ? `<span class="headroom level-${level}">${esc(headroomText(p.budget))}</span>` : `<span class="muted">no budget enforced</span>`;
  const budget = p.budget ? `<span class="muted budget-text">needs ${p.budget.required} of ${p.total} · ${esc(p.budget.text)}</span>` : "";
  return `<div class="pool" data-pool="${esc(p.pool)}" data-level="${p.budget ? level : "none"}"><div class="pool-name">${esc(p.pool)}</div><div class="pool-bar">${bar}</div><div class="pool-text">${headroom}${budget}</div></div>`;
}

export function poolsHtml(view: DashboardView): string {
  if (view.pools.length === 0) return `<p class="empty">No pools.</p>`;
  return `<div class="pools">${view.pools.map(poolRow).join("")}</div>`;
}

function drainRow(d: DrainRow): string {
  const bar = renderProgressBar({ value: d.done, max: d.of === 0 ? 1 : d.of, width: 260, label: d.phase === "drained" ? "drained" : `${Math.round(d.progress * 100)}%`, color: d.phase === "failed" ? "#d62728" : "#1f77b4" });
  const m = d.moves;
  const moves = m === undefined ? "" : `; moves: ${m.inFlight} in flight, ${m.done} done${m.failed > 0 ? `, ${m.failed} failed (last: ${m.lastFailure!.workload} → ${m.lastFailure!.to}: ${m.lastFailure!.reason})` : ""}`;
  const left = `${d.remaining.inFlight} in flight, ${d.remaining.owners} owners, ${d.remaining.children} children${moves}`;
  return `<tr class="drain" data-peer="${esc(d.peer)}" data-phase="${esc(d.phase)}"><th>${esc(d.peer)}</th><td><span class="badge ${phaseClass(d.phase)}">${esc(d.phase)}</span></td><td class="bar" data-progress="${Math.round(d.progress * 100)}">${bar}</td><td class="remaining">${esc(left)}</td>${d.failure !== undefined ? `<td class="breach">${esc(d.failure)}</td>` : ""}${d.stalled !== undefined ? `<td class="breach stalled">stalled: ${esc(d.stalled)}</td>` : ""}<td class="muted">epoch ${d.epoch}${d.reason ? ` · ${esc(d.reason)}` : ""}${d.ticket ? ` · ${esc(d.ticket)}` : ""}${d.deadline ? ` · deadline ${esc(time(d.deadline))}` : ""}</td></tr>`;
}

const drainTable = (rows: readonly DrainRow[]): string =>
  `<div class="scroll"><table class="drains"><thead><tr><th>peer</th><th>phase</th><th>progress</th><th>remaining</th><th></th></tr></thead><tbody>${rows.map(drainRow).join("")}</tbody></table></div>`;

/** Drains under way (and failed ones, which need a person) first; finished ones folded away below. */
export function drainsHtml(view: DashboardView, finishedOpen = false): string {
  const active = view.drains.filter((d) => d.phase !== "drained");
  const finished = view.drains.filter((d) => d.phase === "drained");
  if (active.length === 0 && finished.length === 0) return `<p class="empty">No drain in progress.</p>`;
  const now = active.length === 0 ? `<p class="empty">No drain in progress.</p>` : drainTable(active);
  const done = finished.length === 0 ? "" : `<details class="finished-drains"${finishedOpen ? " open" : ""}><summary>${finished.length} finished (drained)</summary>${drainTable(finished)}</details>`;
  return now + done;
}

/** A rollout node's steps in order; its bar fills as it moves along them. */
const ROLLOUT_STEPS: readonly string[] = ["pending", "deferred", "cordoned", "draining", "drained", "upgrading", "resuming", "healthy"];

export function rolloutHtml(r: RolloutView | undefined, operate: boolean): string {
  if (!r) return `<p class="empty">No rolling upgrade.</p>`;
  const p = r.progress;
  const bar = renderProgressBar({ value: p.done, max: p.total, width: 320, label: `${p.done} / ${p.total} done${p.failed ? `, ${p.failed} failed` : ""}`, color: p.failed ? "#ff7f0e" : "#2ca02c" });
  const buttons = operate
    ? `${r.canPause ? `<button type="button" data-verb="pause-rollout" data-target="${esc(r.id)}">Pause rollout</button>` : ""}${r.canResume ? `<button type="button" data-verb="resume-rollout" data-target="${esc(r.id)}">Resume rollout</button>` : ""}`
    : "";
  const nodes = r.nodes
    .map((n) => {
      // Each node's own bar: how far along cordon → drain → upgrade → resume → healthy it is.
      const at = ROLLOUT_STEPS.indexOf(n.step);
      const value = n.step === "failed" ? ROLLOUT_STEPS.length - 1 : Math.max(0, at);
      const nodeBar = renderProgressBar({ value, max: ROLLOUT_STEPS.length - 1, width: 140, height: 12, label: "", ariaLabel: `${n.id}: ${n.step}`, color: n.step === "failed" ? "#d62728" : "#2ca02c" });
      const version = n.version === undefined ? "-" : n.version;
      return `<tr data-node="${esc(n.id)}"><th>${esc(n.id)}</th><td>${n.wave !== undefined ? `wave ${n.wave}` : ""}</td><td class="bar" data-step="${esc(n.step)}">${nodeBar}</td><td><span class="badge step-${esc(n.step)}">${esc(n.step)}</span></td><td class="version${n.version === r.version ? " on-target" : ""}" title="version it reports">${esc(version)}</td><td class="muted">${esc(n.reason ?? "")}</td></tr>`;
    })
    .join("");
  const warnings = (r.warnings ?? []).map((w) => `<p class="warning" role="alert">⚠ ${esc(w)}</p>`).join("");
  const verify = r.verify === undefined ? "" : ` <span class="muted">${r.verify ? "verified: each node must report the version" : "unverified"}</span>`;
  return `<div class="rollout" data-rollout="${esc(r.id)}" data-state="${esc(r.state)}"><p><b>${esc(r.id)}</b> → version <b>${esc(r.version)}</b>: <span class="badge state-${esc(r.state)}">${esc(r.state)}</span>${r.stateReason ? ` <span class="muted">(${esc(r.stateReason)})</span>` : ""} <span class="muted">${esc(r.reason)}${r.ticket ? ` · ${esc(r.ticket)}` : ""}</span>${verify}</p>${warnings}<p>${bar} <span class="muted">${p.inProgress} in progress, ${p.pending} pending${p.etaMs !== undefined ? `, about ${Math.ceil(p.etaMs / 60_000)} min left` : ""}</span> ${buttons}</p><table class="steps"><tbody>${nodes}</tbody></table></div>`;
}

/**
 * What the audit feed shows: everything, operators' actions only, or refusals
 * only; optionally narrowed by target, actor, action, outcome and a time range
 * (the same filters as `GET /control/audit` and `drainctl audit list`).
 */
export interface AuditFilter {
  readonly kind: "all" | "operators" | "refusals";
  /** e.g. `peer/web-1`; a bare peer id matches `peer/<id>`. */
  readonly target?: string;
  readonly actor?: string;
  /** e.g. `drain`, `cordon`. */
  readonly action?: string;
  readonly outcome?: "ok" | "refused" | "error";
  /** Epoch ms, inclusive. */
  readonly from?: number;
  /** Epoch ms, exclusive. */
  readonly to?: number;
}

/** What hosts and the control plane itself write (registrations, status reports, move bookkeeping): not an operator's doing. */
const NOT_OPERATOR = new Set(["registerPeer", "reportStatus", "planMove", "reportMove", "pruneMoves", "sweepIdempotency"]);

export function filterAudit(entries: readonly AuditEntry[], f: AuditFilter): AuditEntry[] {
  const target = f.target?.trim();
  const actor = f.actor?.trim();
  const action = f.action?.trim();
  return entries.filter(
    (e) =>
      (f.kind === "all" || (f.kind === "refusals" ? e.outcome !== "ok" : !NOT_OPERATOR.has(e.action))) &&
      (target === undefined || target === "" || e.target === target || e.target === `peer/${target}`) &&
      (actor === undefined || actor === "" || e.actor === actor) &&
      (action === undefined || action === "" || e.action === action) &&
      (f.outcome === undefined || e.outcome === f.outcome) &&
      (f.from === undefined || e.at >= f.from) &&
      (f.to === undefined || e.at < f.to),
  );
}

export function auditHtml(entries: readonly AuditEntry[], filter: AuditFilter = { kind: "all" }): string {
  const shown = filterAudit(entries, filter);
  if (shown.length === 0) return `<p class="empty">${entries.length === 0 ? "No audit entries." : "No audit entry matches the filter."}</p>`;
  return `<div class="scroll"><table class="audit"><thead><tr><th>time</th><th>actor</th><th>action</th><th>target</th><th>outcome</th><th>reason</th><th>ticket</th></tr></thead><tbody>${shown
    .slice(0, 100)
    .map(
      (e) =>
        `<tr data-seq="${e.seq}" class="outcome-${esc(e.outcome)}"><td>${esc(time(e.at))}</td><td>${esc(e.actor)}</td><td>${esc(e.action)}${e.dryRun === true ? ` <span class="muted">dry run</span>` : ""}</td><td>${esc(e.target)}</td><td>${esc(e.outcome)}${e.errorCode ? ` <span class="muted">${esc(e.errorCode)}</span>` : ""}</td><td>${esc(e.reason ?? "")}</td><td>${esc(e.ticket ?? "")}</td></tr>`,
    )
    .join("")}</tbody></table></div>`;
}

/** A pool's colour, the same for its availability line and its budget line. */
export function poolColor(names: readonly string[], pool: string): string {
  const i = names.indexOf(pool);
  return palette[(i < 0 ? names.length : i) % palette.length]!;
}

export function availabilityHtml(view: DashboardView, now: number, width: number): string {
  // The last half hour; the value a pool had when the window opens starts its line at the left edge.
  const start = Math.max(view.history[0]?.t ?? now, now - 30 * 60_000);
  const names = [...new Set(view.history.flatMap((s) => Object.keys(s.pools)))].sort();
  const series = names.map((name) => {
    const points: [number, number][] = [];
    let before: number | undefined;
    for (const s of view.history) {
      const v = s.pools[name];
      if (v === undefined) continue;
      if (s.t < start) before = v;
      else {
        if (points.length === 0 && before !== undefined && s.t > start) points.push([start, before]);
        points.push([s.t, v]);
      }
    }
    if (points.length === 0 && before !== undefined) points.push([start, before]);
    // Hold the last value up to now, so the line reaches the right edge.
    const last = points.at(-1);
    if (last && now > last[0]) points.push([now, last[1]]);
    // Availability changes at once: a step, never a slope drawn between two sparse samples.
    return { name, points, curve: "step" as const, color: poolColor(names, name) };
  });
  const thresholds = view.pools
    .filter((p) => p.budget && p.total > 0)
    .map((p) => ({ label: `${p.pool} needs ${p.budget!.required}/${p.total}`, y: p.budget!.required / p.total, color: poolColor(names, p.pool) }));
  return renderLineChart({
    title: "Pool availability (available / members)",
    width,
    height: 240,
    series,
    thresholds,
    yMin: 0,
    yMax: 1,
    // The axis ends now; a short history gets a minute of room on the left, never time after now.
    xMin: Math.min(start, now - 60_000),
    xMax: now,
    nestOverlaps: true,
    formatX: time,
    formatY: (v) => `${Math.round(v * 100)}%`,
  });
}

const ago = (at: number, now: number): string => {
  const s = Math.round((now - at) / 1000);
  return s <= 0 ? "just now" : s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};

/** The agent's version and liveness when the server sends them (fields it is adding), else the `version` metadata or label. */
function extras(peer: Peer): { version?: string; liveness?: string } {
  const x = peer as Peer & { liveness?: string; agentVersion?: string; status?: { version?: string; agentVersion?: string; liveness?: string } };
  const v = x.status?.agentVersion ?? x.status?.version ?? x.agentVersion ?? peer.metadata?.["version"] ?? peer.labels["version"];
  const l = x.liveness ?? x.status?.liveness;
  return { ...(typeof v === "string" ? { version: v } : {}), ...(typeof l === "string" ? { liveness: l } : {}) };
}

/** A peer's metadata as `key=value` pairs by key (a value that is not a string as JSON), or "none". */
export function metadataText(metadata: Peer["metadata"] | undefined): string {
  const entries = Object.entries(metadata ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ") || "none";
}

/** The clusters and their roles: which one is active, which are backups (promote and demote change them). */
export function clustersHtml(clusters: readonly Cluster[]): string {
  if (clusters.length === 0) return `<p class="empty">No clusters declared.</p>`;
  return `<ul class="clusters">${clusters
    .map((c) => `<li class="cluster" data-cluster="${esc(c.id)}" data-role="${esc(c.role)}"><b>${esc(c.id)}</b> <span class="badge role-${esc(c.role)}">${esc(c.role)}</span>${c.state ? ` <span class="muted">${esc(c.state)}</span>` : ""}</li>`)
    .join("")}</ul>`;
}

export function peerPanelHtml(peer: Peer | undefined, operate: boolean, now = Date.now()): string {
  if (!peer) return `<p class="empty">Select a node in the grid.</p>`;
  const cordons = Object.entries(peer.spec.cordons);
  const x = extras(peer);
  const inFlight = Object.entries(peer.status?.inFlight ?? {});
  const rows: [string, string][] = [
    ["address", peer.address],
    ["liveness", x.liveness === "unknown" ? `unknown · ${lastHeard(peer.status?.heartbeatAt, now)} (agent not reporting; not counted as available)` : (x.liveness ?? "-")],
    ["phase", peer.phase],
    ["version", x.version ?? "-"],
    ["roles", peer.roles.map((r) => `${r}: ${peer.phases[r] ?? "?"}`).join(", ")],
    ["pools", peer.pools.join(", ") || "none"],
    ["labels", Object.entries(peer.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "none"],
    ["metadata", metadataText(peer.metadata)],
    ["in flight", peer.status === undefined ? "-" : inFlight.length === 0 ? "0" : inFlight.map(([k, v]) => `${k} ${v}`).join(", ")],
    ["workloads", peer.status === undefined ? "-" : `${peer.status.workloads.owners} owners, ${peer.status.workloads.children} children`],
    ["cordons", cordons.length === 0 ? "none" : cordons.map(([owner, c]) => `${owner} (${c.reason}${c.ticket ? `, ${c.ticket}` : ""})`).join("; ")],
    ["drain", peer.spec.drain ? `epoch ${peer.spec.drain.epoch}: ${peer.spec.drain.reason}` : "none"],
    ["heartbeat", peer.status ? `${ago(peer.status.heartbeatAt, now)} (${time(peer.status.heartbeatAt)})` : "never"],
  ];
  const verbs = verbsFor(peer);
  const buttons = operate
    ? `<div class="actions" data-phase="${esc(peer.phase)}">${verbs.map((v) => `<button type="button" data-verb="${v}" data-target="${esc(peer.id)}">${esc(actionFor(v, peer.id).label)}</button>`).join("")}</div>`
    : `<p class="muted">Read-only: your token has no mesh.operate scope.</p>`;
  return `<h3>${esc(peer.id)}</h3><dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd data-field="${esc(k)}">${esc(v)}</dd>`).join("")}</dl>${buttons}`;
}
