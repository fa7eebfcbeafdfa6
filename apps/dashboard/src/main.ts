import "./style.css";
import { actionFor, canOperate, type Verb } from "./actions.ts";
import { approvalsHtml, isPendingApproval, withApproval, type Approval } from "./approvals.ts";
import { ProblemError, createControlApi, type ControlApi } from "./api.ts";
import { auditHtml, availabilityHtml, clustersHtml, drainsHtml, gridHtml, legendHtml, peerPanelHtml, poolsHtml, rolloutHtml, type AuditFilter } from "./render.ts";
import { ControlPlaneError, HistoryLostError, streamEvents } from "@drainkit/client";
import type { Session } from "./types.ts";
import { AUDIT_KEEP, dashboardView, initialState, reduce, type DashboardEvent, type DashboardState, type FeedChange } from "./view.ts";

// The page's wiring: sign-in, snapshot + live feed into the pure view model,
// rendering, and the confirmation dialog behind every action.

const TOKEN_KEY = "drainkit.token";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

let state: DashboardState = initialState();
let session: Session | undefined;
let api: ControlApi | undefined;
let running: AbortController | undefined;
let selected: string | undefined;
let renderQueued = false;
let pending: { verb: Verb; target: string } | undefined;
let connected = false;
let auditFilter: AuditFilter = { kind: "all" };
let finishedOpen = false;
let approvals: Approval[] = [];

function show(el: HTMLElement, visible: boolean): void {
  el.hidden = !visible;
}

function problemText(e: unknown): { title: string; detail: string } {
  if (e instanceof ProblemError) return { title: e.title, detail: e.detail };
  return { title: "Request failed", detail: e instanceof Error ? e.message : String(e) };
}

/** The page-level problem and notice sit in a box with a dismiss button; the box is what shows and hides. */
const boxOf = (el: HTMLElement): HTMLElement => (el.parentElement?.classList.contains("dismissible") ? el.parentElement : el);

function setProblem(el: HTMLElement, e: unknown | undefined): void {
  if (e === undefined) {
    el.replaceChildren();
    show(boxOf(el), false);
    return;
  }
  const { title, detail } = problemText(e);
  const t = document.createElement("strong");
  t.className = "problem-title";
  t.textContent = title;
  const d = document.createElement("span");
  d.className = "problem-detail";
  d.textContent = ` ${detail}`;
  el.replaceChildren(t, d);
  show(boxOf(el), true);
}

function notice(text: string): void {
  const el = $("notice");
  el.textContent = text;
  show(boxOf(el), true);
}

let disconnectedSince: number | undefined;

/**
 * The pill in the header, and while the feed is down an unmistakable banner
 * across the page (since when, what it means); actions are disabled until
 * the feed is back, as the page could act on stale state.
 */
function setStatus(isConnected: boolean, text: string, feedDown = false): void {
  const el = $("status");
  el.dataset["connected"] = String(isConnected);
  el.textContent = text;
  connected = isConnected;
  if (feedDown && disconnectedSince === undefined) disconnectedSince = Date.now();
  if (isConnected || !feedDown) disconnectedSince = undefined;
  const banner = $("disconnected");
  show(banner, disconnectedSince !== undefined);
  if (disconnectedSince !== undefined) $("disconnected-detail").textContent = `Since ${new Date(disconnectedSince).toLocaleTimeString([], { hour12: false })} (${text}); reconnecting…`;
  document.body.classList.toggle("offline", disconnectedSince !== undefined);
  scheduleRender();
}

function dispatch(event: DashboardEvent): void {
  state = reduce(state, event);
  scheduleRender();
}

/**
 * The chart's history comes from the server (kept there, so a reload keeps
 * it), re-read now and then: liveness lapses without an event. A server
 * without the endpoint leaves the chart to what this page sees.
 */
async function refreshHistory(): Promise<void> {
  if (!api) return;
  try {
    const { now, samples } = await api.history();
    dispatch({ type: "history", now, samples });
  } catch (e) {
    if (!(e instanceof ProblemError && e.status === 404)) console.warn("availability history", e);
  }
}

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render(): void {
  if (!session) return;
  const operate = canOperate(session.principal.scopes);
  const view = dashboardView(state);
  $("legend").innerHTML = legendHtml(view.phases);
  $("grid").innerHTML = gridHtml(view, selected, Date.now());
  // Offline, the page offers no action: it could be acting on state that is no longer true.
  const act = operate && (connected || disconnectedSince === undefined);
  $("peer").innerHTML = peerPanelHtml(selected === undefined ? undefined : state.peers.get(selected), act);
  $("pools").innerHTML = poolsHtml(view);
  $("drains").innerHTML = drainsHtml(view, finishedOpen);
  $("rollout").innerHTML = rolloutHtml(view.rollout, act);
  $("clusters").innerHTML = clustersHtml(view.clusters);
  $("approvals").innerHTML = approvalsHtml(approvals, session.principal, act, Date.now());
  const chart = $("availability");
  chart.innerHTML = availabilityHtml(view, Date.now(), Math.max(280, Math.min(1400, chart.clientWidth || 900)));
  // Where the chart's history starts and how many changes it holds (read by the browser test).
  chart.dataset["from"] = String(view.history[0]?.t ?? "");
  chart.dataset["points"] = String(view.history.length);
  $("audit").innerHTML = auditHtml(view.audit, auditFilter);
}

async function load(signal: AbortSignal): Promise<void> {
  if (!api || !session) return;
  const [peers, rollouts, audit, moves, staged, clusters] = await Promise.all([api.peers(), api.rollouts(), api.audit(AUDIT_KEEP), api.moves(), api.approvals(), api.clusters()]);
  if (signal.aborted) return;
  approvals = staged;
  dispatch({ type: "snapshot", at: Date.now(), revision: peers.revision, peers: peers.items, rollouts, audit, pools: session.pools, moves, clusters });
  await refreshHistory();
  void follow(peers.revision, signal);
}

/** Follows the event feed from `revision` until `signal` aborts; re-lists when the server lost the history. */
async function follow(revision: number, signal: AbortSignal): Promise<void> {
  const events = streamEvents({
    url: "",
    token: sessionStorage.getItem(TOKEN_KEY) ?? "",
    lastEventId: revision,
    signal,
    backoff: { initialMs: 1_000, maxMs: 10_000 },
    onState: (s, error) => setStatus(s === "streaming", s === "streaming" ? "live" : `reconnecting (${error instanceof Error ? error.message : "stream ended"})`, s !== "streaming"),
  });
  try {
    for await (const m of events) {
      try {
        const change = JSON.parse(m.data) as FeedChange | { kind: "approval"; id: string; value?: Approval };
        if (change.kind === "approval") {
          approvals = withApproval(approvals, change.id, change.value);
          scheduleRender();
          continue;
        }
        dispatch({ type: "change", at: Date.now(), change });
      } catch {
        // A message that is not a change (a future kind) changes nothing on this page.
      }
    }
  } catch (e) {
    if (signal.aborted) return;
    if (e instanceof HistoryLostError) {
      setStatus(false, "history lost; reloading", true);
      void load(signal).catch((error: unknown) => setProblem($("problem"), error));
    } else if (e instanceof ControlPlaneError && (e.status === 401 || e.status === 403)) setStatus(false, `HTTP ${e.status}: the token was refused`);
    else setStatus(false, e instanceof Error ? e.message : String(e), true);
  }
}

async function signIn(token: string): Promise<void> {
  running?.abort();
  const controller = new AbortController();
  running = controller;
  api = createControlApi({ baseUrl: "", token });
  try {
    session = await api.session();
  } catch (e) {
    session = undefined;
    sessionStorage.removeItem(TOKEN_KEY);
    setProblem($("sign-in-error"), e);
    showSignIn();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  setProblem($("sign-in-error"), undefined);
  show($("sign-in"), false);
  show($("app"), true);
  show($("sign-out"), true);
  $("whoami").textContent = `${session.principal.id} (${session.principal.scopes.join(", ") || "no scopes"})${canOperate(session.principal.scopes) ? "" : " · read-only"}`;
  setStatus(false, "loading…");
  state = initialState();
  try {
    await load(controller.signal);
  } catch (e) {
    setProblem($("problem"), e);
  }
}

function showSignIn(): void {
  show($("app"), false);
  show($("sign-out"), false);
  show($("sign-in"), true);
  $("whoami").textContent = "";
  setStatus(false, "signed out");
  $<HTMLInputElement>("token").focus();
}

function signOut(): void {
  running?.abort();
  running = undefined;
  session = undefined;
  api = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  state = initialState();
  selected = undefined;
  setProblem($("problem"), undefined);
  show($("notice-box"), false);
  showSignIn();
}

function openDialog(verb: Verb, target: string): void {
  const action = actionFor(verb, target);
  pending = { verb, target };
  $("confirm-title").textContent = `${action.label} ${target}`;
  $("confirm-question").textContent = action.question;
  show($("reason-required"), action.reasonRequired);
  const reason = $<HTMLInputElement>("confirm-reason");
  reason.value = "";
  $<HTMLInputElement>("confirm-ticket").value = "";
  setProblem($("confirm-error"), undefined);
  $<HTMLButtonElement>("confirm-ok").disabled = false;
  $<HTMLDialogElement>("confirm").showModal();
  reason.focus();
}

async function confirmAction(): Promise<void> {
  if (!pending || !api) return;
  const reason = $<HTMLInputElement>("confirm-reason").value;
  const ticket = $<HTMLInputElement>("confirm-ticket").value;
  const action = actionFor(pending.verb, pending.target, { reason, ticket });
  if (action.reasonRequired && reason.trim() === "") {
    setProblem($("confirm-error"), new ProblemError(400, "Reason required", `${action.label} needs a reason; it is recorded in the audit log.`, "about:blank"));
    return;
  }
  const ok = $<HTMLButtonElement>("confirm-ok");
  ok.disabled = true;
  try {
    const answer = await api.mutate(action.path, action.body);
    $<HTMLDialogElement>("confirm").close();
    setProblem($("problem"), undefined);
    // With the two-person rule on, a mass action answers 202 with the change waiting for a second principal.
    notice(isPendingApproval(answer) ? `${action.label} ${pending.target}: waits for approval ${answer.id} by a second principal with ${answer.requiredScope}.` : `${action.label} ${pending.target}: done.`);
    pending = undefined;
  } catch (e) {
    // Shown in the dialog (still open, to fix and retry) and on the page.
    setProblem($("confirm-error"), e);
    setProblem($("problem"), e);
    show($("notice-box"), false);
  } finally {
    ok.disabled = false;
  }
}

document.addEventListener("click", (ev) => {
  const dismiss = (ev.target as Element | null)?.closest<HTMLElement>("[data-dismiss]");
  if (dismiss) {
    show($(dismiss.dataset["dismiss"]!), false);
    return;
  }
  const el = (ev.target as Element | null)?.closest<HTMLElement>("[data-verb], [data-node].cell");
  if (!el) return;
  if (el.dataset["verb"] && el.dataset["target"] !== undefined) openDialog(el.dataset["verb"] as Verb, el.dataset["target"]);
  else if (el.dataset["node"]) {
    selected = el.dataset["node"];
    scheduleRender();
  }
});

$("sign-in-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const token = $<HTMLInputElement>("token").value.trim();
  if (token !== "") void signIn(token);
});
$("sign-out").addEventListener("click", signOut);
$("audit-filter").addEventListener("input", () => {
  const form = $<HTMLFormElement>("audit-filter");
  const kind = (new FormData(form).get("kind") as AuditFilter["kind"] | null) ?? "all";
  const text = (id: string): string => $<HTMLInputElement>(id).value.trim();
  const time = (id: string): number | undefined => {
    const t = Date.parse(text(id));
    return Number.isNaN(t) ? undefined : t;
  };
  const outcome = text("audit-outcome");
  const from = time("audit-from");
  const to = time("audit-to");
  auditFilter = {
    kind,
    ...(text("audit-target") === "" ? {} : { target: text("audit-target") }),
    ...(text("audit-actor") === "" ? {} : { actor: text("audit-actor") }),
    ...(text("audit-action") === "" ? {} : { action: text("audit-action") }),
    ...(outcome === "ok" || outcome === "refused" || outcome === "error" ? { outcome } : {}),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
  scheduleRender();
});
$("audit-filter").addEventListener("submit", (ev) => ev.preventDefault());
// The finished drains stay open or folded across re-renders, as the operator left them.
$("drains").addEventListener(
  "toggle",
  (ev) => {
    if ((ev.target as Element).classList.contains("finished-drains")) finishedOpen = (ev.target as HTMLDetailsElement).open;
  },
  true,
);
$("confirm-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  void confirmAction();
});
$("confirm-cancel").addEventListener("click", () => {
  pending = undefined;
  $<HTMLDialogElement>("confirm").close();
});
// The availability chart's time axis moves on even when nothing changes.
let ticks = 0;
setInterval(() => {
  if (!session || document.hidden) return;
  scheduleRender();
  if (++ticks % 3 === 0 && connected) void refreshHistory();
}, 5000);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void signIn(saved);
else showSignIn();
