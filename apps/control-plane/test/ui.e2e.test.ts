import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, serve, type Served } from "./e2e/serve.ts";
import { ensureDashboardBuilt, launchChromium } from "./uiBrowser.ts";

// The dashboard in a real browser (Debian's chromium via playwright-core)
// against a real `drainkit serve` child process on SQLite.

const TOKEN = "dashboard-e2e-admin-token-0123456789";
const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
const WAIT = { timeout: 60_000 };

let dir: string;
let server: Served;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

const call = (method: string, path: string, body?: unknown): ReturnType<typeof api> => api(server.url, TOKEN, method, path, body);
const report = async (id: string, status: Record<string, unknown>): Promise<void> => {
  const r = await call("PUT", `/control/peers/${id}/status`, status);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const attr = (selector: string, name: string) => async (): Promise<string | null> => {
  const el = page.locator(selector);
  return (await el.count()) === 0 ? null : el.first().getAttribute(name);
};
const text = (selector: string) => async (): Promise<string> => {
  const el = page.locator(selector);
  return (await el.count()) === 0 ? "" : ((await el.first().textContent()) ?? "");
};

beforeAll(async () => {
  ensureDashboardBuilt();
  dir = await mkdtemp(join(tmpdir(), "drainkit-ui-"));
  server = await serve(["--store", `sqlite:${join(dir, "drainkit.db")}`, "--pool", "web:minAvailable=2"], { DRAINKIT_ADMIN_TOKEN: TOKEN });
  for (const id of ["web-1", "web-2", "web-3"]) expect((await call("PUT", `/control/peers/${id}`, { address: `${id}:8080`, pools: ["web"], roles: ["edge"] })).status).toBe(200);
  expect((await call("PUT", "/control/peers/db-1", { address: "db-1:5432", pools: ["db"], roles: ["storage"] })).status).toBe(200);
  // A second storage node: db-1 is not the only one that can take the role's work, so a rollout may drain it.
  expect((await call("PUT", "/control/peers/db-2", { address: "db-2:5432", pools: ["db"], roles: ["storage"] })).status).toBe(200);
  // This test plays the agents by hand: one heartbeat each, and a liveness window longer than the
  // test, so the peers stay live (a silent peer is unknown and never counts as available).
  expect((await call("PATCH", "/control/config", { values: { "heartbeat.staleAfterMs": 3_600_000 }, confirm: true })).status).toBe(200);
  for (const id of ["web-2", "web-3", "db-1", "db-2"]) await report(id, { roles: {}, epoch: 0 });
  // web-1 is busy: 6 requests in flight, one owner workload with 3 children to move.
  await report("web-1", { roles: { edge: { phase: "active", epoch: 0 } }, inFlight: { http: 6 }, workloads: { owners: 1, children: 3 }, epoch: 0 });

  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.setDefaultTimeout(60_000);
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) {
    server.proc.kill("SIGTERM");
    await server.exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the dashboard at /ui", () => {
  it("signs in with a token and shows the fleet grouped by pool and role, coloured by phase", async () => {
    const res = await page.goto(`${server.url}/ui`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-security-policy"]).toContain("default-src 'self'");
    // A wrong token is refused with the problem's title and detail.
    await page.locator("#token").fill("dk_not-a-valid-token");
    await page.locator("#sign-in-form button[type=submit]").click();
    await expect.poll(text("#sign-in-error .problem-title"), WAIT).toBe("Authentication required");
    expect(await text("#sign-in-error .problem-detail")()).toContain("not valid");
    await page.locator("#token").fill(TOKEN);
    await page.locator("#sign-in-form button[type=submit]").click();
    await page.locator('#status[data-connected="true"]').waitFor(WAIT);
    await expect.poll(text("#whoami"), WAIT).toContain("admin");
    await expect.poll(attr('.pool-group[data-pool="web"] .cell[data-node="web-3"]', "data-phase"), WAIT).toBe("active");
    await expect.poll(attr('.pool-group[data-pool="db"] .cell[data-node="db-1"]', "data-phase"), WAIT).toBe("active");
    await expect.poll(text('.pools .pool[data-pool="web"]'), WAIT).toContain("3 / 3 available");
    await expect.poll(text('.pools .pool[data-pool="web"]'), WAIT).toContain("needs 2 of 3");
    // Headroom, as PDB's ALLOWED DISRUPTIONS: 3 available, 2 required.
    await expect.poll(text('.pools .pool[data-pool="web"] .headroom'), WAIT).toBe("1 more disruption allowed");
    expect(await attr('.pools .pool[data-pool="web"]', "data-level")()).toBe("ok");
  });

  it("shows a drain started through the API, and its progress, live without a reload", async () => {
    await page.evaluate(() => Object.assign(globalThis, { __noReload: true }));
    const drain = await call("POST", "/control/peers/web-1:drain", { reason: "kernel upgrade", ticket: "CHG-1", deadlineMs: 600_000 });
    expect(drain.status).toBe(202);

    const row = 'tr.drain[data-peer="web-1"]';
    await expect.poll(attr(row, "data-phase"), WAIT).toBe("draining");
    await expect.poll(text(`${row} .remaining`), WAIT).toBe("6 in flight, 1 owners, 3 children");
    await expect.poll(attr(`${row} .bar`, "data-progress"), WAIT).toBe("0");
    await expect.poll(attr('.cell[data-node="web-1"]', "data-phase"), WAIT).toBe("draining");
    await expect.poll(text('.pools .pool[data-pool="web"]'), WAIT).toContain("2 / 3 available");
    // At its floor: amber, and no more disruption allowed.
    await expect.poll(attr('.pools .pool[data-pool="web"]', "data-level"), WAIT).toBe("floor");
    expect(await text('.pools .pool[data-pool="web"] .headroom')()).toBe("no disruption allowed (at its floor)");

    // The agent reports progress: 9 of 10 units done.
    await report("web-1", { roles: { edge: { phase: "draining", epoch: 1 } }, inFlight: { http: 1 }, workloads: { owners: 0, children: 0 }, epoch: 1 });
    await expect.poll(attr(`${row} .bar`, "data-progress"), WAIT).toBe("90");
    await expect.poll(text(`${row} .remaining`), WAIT).toBe("1 in flight, 0 owners, 0 children");

    await report("web-1", { roles: { edge: { phase: "drained", epoch: 1 } }, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 }, epoch: 1 });
    await expect.poll(attr(row, "data-phase"), WAIT).toBe("drained");
    await expect.poll(attr(`${row} .bar`, "data-progress"), WAIT).toBe("100");
    await expect.poll(attr('.cell[data-node="web-1"]', "data-phase"), WAIT).toBe("drained");
    expect(await page.evaluate(() => (globalThis as { __noReload?: boolean }).__noReload)).toBe(true);
  });

  it("offers only the actions valid in the selected node's state, and shows its details", async () => {
    const verbs = async (): Promise<string[]> => page.locator("#peer button[data-verb]").evaluateAll((els) => els.map((e) => e.getAttribute("data-verb") ?? ""));
    await page.locator('.cell[data-node="web-1"]').click();
    // web-1 is drained: only resume (cordon is a no-op, uncordon and drain are not transitions from drained).
    await expect.poll(verbs, WAIT).toEqual(["resume"]);
    await page.locator('.cell[data-node="web-2"]').click();
    await expect.poll(verbs, WAIT).toEqual(["cordon", "drain"]);
    await page.locator('.cell[data-node="db-1"]').click();
    await expect.poll(text('#peer dd[data-field="in flight"]'), WAIT).toBe("0");
    expect(await text('#peer dd[data-field="heartbeat"]')()).toMatch(/^(just now|\d+s ago)/);
    await page.locator('.cell[data-node="web-1"]').click();
    await expect.poll(text('#peer dd[data-field="workloads"]'), WAIT).toBe("0 owners, 0 children");
    expect(await text('#peer dd[data-field="heartbeat"]')()).toMatch(/^(just now|\d+s ago|\d+m ago) \(/);
  });

  it("cordons a node from the page, after a confirmation with reason and ticket, and the audit shows it", async () => {
    await page.locator('.cell[data-node="web-2"]').click();
    await page.locator('#peer button[data-verb="cordon"]').click();
    const dialog = page.locator("dialog#confirm");
    await dialog.waitFor({ state: "visible" });
    expect(await dialog.locator("#confirm-question").textContent()).toContain("Cordon peer web-2");

    // Like drainctl, a cordon needs a reason: nothing is sent without one.
    await dialog.locator("#confirm-ok").click();
    await expect.poll(text("#confirm-error .problem-title"), WAIT).toBe("Reason required");
    expect(((await call("GET", "/control/audit?target=peer%2Fweb-2&action=cordon")).body["items"] as unknown[]).length).toBe(0);

    await dialog.locator("#confirm-reason").fill("disk swap");
    await dialog.locator("#confirm-ticket").fill("CHG-42");
    await dialog.locator("#confirm-ok").click();
    await dialog.waitFor({ state: "hidden" });

    const audit = await call("GET", "/control/audit?target=peer%2Fweb-2&action=cordon");
    expect(audit.body["items"]).toEqual([expect.objectContaining({ actor: "admin", action: "cordon", target: "peer/web-2", reason: "disk swap", ticket: "CHG-42", outcome: "ok" })]);
    const entry = (audit.body["items"] as { seq: number }[])[0]!;
    await expect.poll(text(`#audit tr[data-seq="${entry.seq}"]`), WAIT).toContain("disk swap");
    expect(await text(`#audit tr[data-seq="${entry.seq}"]`)()).toContain("CHG-42");
    await expect.poll(attr('.cell[data-node="web-2"]', "data-phase"), WAIT).toBe("cordoned");
    // Now cordoned: uncordon, drain or resume, never a second cordon.
    await page.locator('.cell[data-node="web-2"]').click();
    await expect.poll(async () => page.locator("#peer button[data-verb]").evaluateAll((els) => els.map((e) => e.getAttribute("data-verb"))), WAIT).toEqual(["uncordon", "drain", "resume"]);
    // The notice saying it was done can be dismissed.
    await page.locator("#notice-box").waitFor({ state: "visible" });
    await page.locator('#notice-box button[data-dismiss]').click();
    await page.locator("#notice-box").waitFor({ state: "hidden" });
  });

  it("shows the problem's title and detail when the API refuses an action", async () => {
    // web-1 is drained and web-2 cordoned: draining web-3 as well would break the web pool's guard.
    // A dry run gives the problem the server answers, without writing anything.
    const expected = await call("POST", "/control/peers/web-3:drain", { reason: "kernel upgrade", dryRun: true });
    expect(expected.status).toBe(409);
    const { title, detail, code } = expected.body as { title: string; detail: string; code: string };

    await page.locator('.cell[data-node="web-3"]').click();
    await page.locator('#peer button[data-verb="drain"]').click();
    const dialog = page.locator("dialog#confirm");
    await dialog.waitFor({ state: "visible" });
    await dialog.locator("#confirm-reason").fill("kernel upgrade");
    await dialog.locator("#confirm-ok").click();
    await expect.poll(text("#confirm-error .problem-title"), WAIT).toBe(title);
    expect((await text("#confirm-error .problem-detail")()).trim()).toBe(detail);
    await expect.poll(text("#problem .problem-title"), WAIT).toBe(title);
    await dialog.locator("#confirm-cancel").click();
    await dialog.waitFor({ state: "hidden" });

    // The refusal is audited, and the feed brings it to the page.
    const audit = await call("GET", "/control/audit?target=peer%2Fweb-3&action=drain");
    const refused = (audit.body["items"] as { seq: number; outcome: string; errorCode?: string }[]).find((e) => e.outcome === "refused");
    expect(refused?.errorCode).toBe(code);
    await expect.poll(text(`#audit tr[data-seq="${refused!.seq}"]`), WAIT).toContain(code);
    expect(await attr('.cell[data-node="web-3"]', "data-phase")()).toBe("active");
  });

  it("pauses and resumes a rolling upgrade from the page, each step audited with its reason", async () => {
    const started = await call("POST", "/control/upgrade/drain", { version: "2.0", pool: "db", reason: "postgres 17", ticket: "CHG-9" });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const id = started.body["id"] as string;
    const box = `.rollout[data-rollout="${id}"]`;
    await expect.poll(attr(box, "data-state"), WAIT).toBe("running");

    await page.locator(`${box} button[data-verb="pause-rollout"]`).click();
    const dialog = page.locator("dialog#confirm");
    await dialog.waitFor({ state: "visible" });
    await dialog.locator("#confirm-reason").fill("hold for the backup window");
    await dialog.locator("#confirm-ok").click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(attr(box, "data-state"), WAIT).toBe("paused");
    expect((await call("GET", `/control/upgrade?id=${id}`)).body["state"]).toBe("paused");

    await page.locator(`${box} button[data-verb="resume-rollout"]`).click();
    await dialog.waitFor({ state: "visible" });
    await dialog.locator("#confirm-reason").fill("backup done");
    await dialog.locator("#confirm-ticket").fill("CHG-9");
    await dialog.locator("#confirm-ok").click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(attr(box, "data-state"), WAIT).not.toBe("paused");

    const audit = (await call("GET", `/control/audit?target=${encodeURIComponent(`rollout/${id}`)}`)).body["items"] as { action: string; reason?: string; ticket?: string; outcome: string }[];
    expect(audit.filter((e) => e.action === "pauseRollout" || e.action === "resumeRollout").map((e) => [e.action, e.reason, e.ticket, e.outcome])).toEqual([
      ["pauseRollout", "hold for the backup window", undefined, "ok"],
      ["resumeRollout", "backup done", "CHG-9", "ok"],
    ]);
  });

  it("shows the workload moves of a drain live, as the leader plans them and the agents carry them out", async () => {
    for (const id of ["cache-1", "cache-2"]) expect((await call("PUT", `/control/peers/${id}`, { address: `${id}:6379`, pools: ["cache"], roles: ["storage"] })).status).toBe(200);
    await report("cache-1", { roles: { storage: { phase: "active", epoch: 0 } }, epoch: 0, placement: [{ id: "k1" }, { id: "k2" }] });
    expect((await call("POST", "/control/peers/cache-1:drain", { reason: "resize", deadlineMs: 600_000 })).status).toBe(202);

    type Move = { id: string; state: string };
    const moves = async (): Promise<Move[]> => (await call("GET", "/control/moves?peer=cache-1")).body["items"] as Move[];
    await expect.poll(async () => (await moves()).filter((m) => m.state === "starting").length, WAIT).toBe(2);
    const row = 'tr.drain[data-peer="cache-1"]';
    await expect.poll(text(`${row} .remaining`), WAIT).toContain("moves: 2 in flight, 0 done");

    // The agents: cache-2 serves both, then cache-1 stops its copies and is empty.
    for (const m of await moves()) expect((await call("POST", `/control/moves/${m.id}:report`, { state: "serving" })).status).toBe(200);
    for (const m of await moves()) expect((await call("POST", `/control/moves/${m.id}:report`, { state: "done" })).status).toBe(200);
    await expect.poll(text(`${row} .remaining`), WAIT).toContain("moves: 0 in flight, 2 done");
    await report("cache-1", { roles: { storage: { phase: "drained", epoch: 1 } }, epoch: 1, placement: [] });
    await expect.poll(attr(row, "data-phase"), WAIT).toBe("drained");
  });

  it("saves a full-page screenshot as a test artifact, with no console or CSP errors", async () => {
    await page.locator('.cell[data-node="web-1"]').click();
    await page.locator("#availability svg").waitFor();
    await mkdir(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, "dashboard.png");
    await page.screenshot({ path, fullPage: true });
    console.log(`dashboard screenshot: ${path}`);
    // A CSP violation (inline script or style), a script error or a 404 (the favicon's, once) shows up here;
    // the 401 of the wrong token and the 409 of the refused drain above are expected.
    expect(consoleErrors.filter((e) => !/status of (401|409) /.test(e))).toEqual([]);
    // Page-side code as text: this package's tests are typed without the DOM library.
    const icon = await page.evaluate<number>(`fetch(document.querySelector('link[rel="icon"]').href).then((r) => r.status)`);
    expect(icon).toBe(200);
  });

  it("filters the audit feed: operators' actions, refusals, one target", async () => {
    const rows = async (): Promise<string[]> => page.locator("#audit tbody tr").evaluateAll((els) => els.map((e) => e.textContent ?? ""));
    await page.locator('#audit-filter input[value="refusals"]').check();
    await expect.poll(async () => (await rows()).length > 0 && (await rows()).every((r) => r.includes("refused")), WAIT).toBe(true);
    await page.locator('#audit-filter input[value="operators"]').check();
    await expect.poll(async () => (await rows()).some((r) => r.includes("reportStatus")), WAIT).toBe(false);
    await page.locator("#audit-target").fill("web-2");
    await expect.poll(async () => (await rows()).length > 0 && (await rows()).every((r) => r.includes("peer/web-2")), WAIT).toBe(true);
    await page.locator('#audit-filter input[value="all"]').check();
    await page.locator("#audit-target").fill("");
  });

  it("keeps the availability chart in a new tab and across a reload: the history is the server's", async () => {
    const history = await call("GET", "/control/history/availability");
    expect(history.status).toBe(200);
    const points = history.body["points"] as { t: number; pools: Record<string, { available: number; total: number }> }[];
    // web-1's drain took the web pool from 3 to 2 available.
    expect(points.some((p) => p.pools["web"]?.available === 2 && p.pools["web"]?.total === 3)).toBe(true);
    const fresh = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const tab = await fresh.newPage();
    await tab.goto(`${server.url}/ui`);
    await tab.locator("#token").fill(TOKEN);
    await tab.locator("#sign-in-form button[type=submit]").click();
    await tab.locator('#status[data-connected="true"]').waitFor(WAIT);
    // A tab that saw none of it starts its chart where the server's history starts.
    const from = async (): Promise<string | null> => tab.locator("#availability").getAttribute("data-from");
    await expect.poll(from, WAIT).toBe(String(points[0]!.t));
    // The drain's step is in it (the page keeps changes of the ratio, so a member joining at 0 % may fold into the point before).
    expect(Number(await tab.locator("#availability").getAttribute("data-points"))).toBeGreaterThanOrEqual(2);
    await tab.reload();
    await tab.locator('#status[data-connected="true"]').waitFor(WAIT);
    await expect.poll(from, WAIT).toBe(String(points[0]!.t));
    await fresh.close();
  });

  it("hatches a peer whose agent never reported as unknown, never green, and does not count it as available", async () => {
    expect((await call("PUT", "/control/peers/batch-1", { address: "batch-1:9000", pools: ["batch"], roles: ["worker"] })).status).toBe(200);
    expect((await call("PUT", "/control/peers/batch-2", { address: "batch-2:9000", pools: ["batch"], roles: ["worker"] })).status).toBe(200);
    await report("batch-2", { roles: {}, epoch: 0 });
    const cell = '.cell[data-node="batch-1"]';
    await expect.poll(attr(cell, "data-liveness"), WAIT).toBe("unknown");
    expect(await attr(cell, "class")()).toBe("cell liveness-unknown");
    expect(await attr(cell, "title")()).toContain("batch-1 (batch-1:9000): unknown · never heard from");
    expect(await attr('.cell[data-node="batch-2"]', "class")()).toBe("cell phase-active");
    await expect.poll(text('.pools .pool[data-pool="batch"]'), WAIT).toContain("1 / 2 available");
    await page.locator(cell).click();
    await expect.poll(text('#peer dd[data-field="liveness"]'), WAIT).toBe("unknown · never heard from (agent not reporting; not counted as available)");
  });

  it("fits a 360 px phone with no horizontal overflow", async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const mobile = await phone.newPage();
    await mobile.goto(`${server.url}/ui`);
    await mobile.locator("#token").fill(TOKEN);
    await mobile.locator("#sign-in-form button[type=submit]").click();
    await mobile.locator('#status[data-connected="true"]').waitFor(WAIT);
    await mobile.locator('.cell[data-node="web-1"]').click();
    await mobile.locator("#availability svg").waitFor(WAIT);
    await mobile.locator('.pools .pool[data-pool="web"]').waitFor(WAIT);
    // Wide tables scroll inside their own box (.scroll); nothing else may stick out of the page.
    const overflow = await mobile.evaluate<{ scrollWidth: number; width: number; out: string[] }>(`(() => {
      const width = document.documentElement.clientWidth;
      const out = [...document.querySelectorAll("body *")]
        .filter((el) => !el.closest(".scroll") && !el.closest("svg") && !el.closest("dialog") && el.offsetParent !== null)
        .filter((el) => el.getBoundingClientRect().right > width + 0.5)
        .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + [...el.classList].join(".") + " right=" + Math.round(el.getBoundingClientRect().right));
      return { scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 10) };
    })()`);
    expect(overflow.out).toEqual([]);
    expect(overflow.scrollWidth).toBeLessThanOrEqual(360);
    await mkdir(ARTIFACTS, { recursive: true });
    await mobile.screenshot({ path: join(ARTIFACTS, "dashboard-mobile.png"), fullPage: true });
    await phone.close();
  });

  it("shows an unmistakable banner when the control plane goes away, and offers no action", async () => {
    await page.locator('.cell[data-node="web-2"]').click();
    await page.locator('#peer button[data-verb="uncordon"]').waitFor(WAIT);
    expect(await page.locator("#disconnected").isVisible()).toBe(false);
    server.proc.kill("SIGTERM");
    await server.exited;
    await page.locator("#disconnected").waitFor({ state: "visible", timeout: 60_000 });
    expect(await text("#disconnected")()).toContain("Disconnected from the control plane");
    await expect.poll(async () => page.locator("#peer button[data-verb]").count(), WAIT).toBe(0);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-disconnected.png"), fullPage: true });
  });
});
