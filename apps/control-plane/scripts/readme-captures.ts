// Regenerates the pictures in the READMEs from a real `drainkit serve`:
// dashboard screenshots (desktop 1440×900 and mobile 390×844; idle, draining,
// rollout, failure) into apps/dashboard/screenshots/, and 80-column captures
// of drainctl sessions into apps/cli/README.md between the
// <!-- captures:start --> and <!-- captures:end --> markers.
//
//   node apps/control-plane/scripts/readme-captures.ts      (Node 24: the root's node_modules/.bin/node)
//
// Needs Debian's chromium (apt-get install -y chromium), like the dashboard test.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startControlPlaneForTest } from "../src/testing/startControlPlaneForTest.ts";
import { ensureDashboardBuilt, launchChromium } from "../test/uiBrowser.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DRAINCTL = join(ROOT, "apps/cli/bin/drainctl.js");
const SHOTS = join(ROOT, "apps/dashboard/screenshots");
const TOKEN = "dk_readme_captures_token_0123456789";
const COLUMNS = 80;

async function call(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return res.json();
}

/** Each peer's last status report, re-sent by {@link heartbeat}. */
const reports = new Map<string, unknown>();

const report = (url: string, id: string, role: string, phase: string, epoch: number, inFlight = 0, workloads = { owners: 0, children: 0 }, reason?: string): Promise<unknown> => {
  const body = { roles: { [role]: { phase, epoch } }, inFlight: { http: inFlight }, workloads, epoch, ...(reason ? { reason } : {}) };
  reports.set(id, body);
  return call(url, "PUT", `/control/peers/${id}/status`, body);
};

/** Every agent reports again, as live agents would: screenshots take long enough for a heartbeat to go stale. */
async function heartbeat(url: string): Promise<void> {
  for (const [id, body] of reports) await call(url, "PUT", `/control/peers/${id}/status`, body);
}

/** Runs drainctl at 80 columns, as an operator would type it; returns the session as text. */
function drainctl(url: string, dir: string, args: readonly string[]): string {
  const r = spawnSync(process.execPath, [DRAINCTL, ...args], {
    env: { ...process.env, COLUMNS: String(COLUMNS), DRAINCTL_SERVER: url, DRAINCTL_TOKEN: TOKEN, XDG_CONFIG_HOME: join(dir, "xdg") },
    encoding: "utf8",
  });
  const shown = args.map((a) => (/[\s'"{}*]/.test(a) ? `'${a}'` : a)).join(" ");
  return `$ drainctl ${shown}\n${r.stdout}${r.stderr}`;
}

function replaceBetween(file: string, block: string): void {
  const text = readFileSync(file, "utf8");
  const start = "<!-- captures:start -->";
  const end = "<!-- captures:end -->";
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${file} has no ${start} … ${end} markers`);
  writeFileSync(file, `${text.slice(0, i + start.length)}\n${block}\n${text.slice(j)}`);
}

const dir = mkdtempSync(join(tmpdir(), "drainkit-captures-"));
const server = await startControlPlaneForTest({
  store: `sqlite:${join(dir, "db.sqlite")}`,
  dir,
  adminToken: TOKEN,
  args: ["--pool", "web:minAvailable=2", "--pool", "db:maxUnavailable=1"],
});
try {
  const { url } = server;
  for (const id of ["web-1", "web-2", "web-3", "web-4"]) await call(url, "PUT", `/control/peers/${id}`, { address: `10.0.0.${id.slice(-1)}:8080`, pools: ["web"], roles: ["edge"], labels: { zone: `eu-west-1${"abab"[Number(id.slice(-1)) - 1]}` } });
  for (const id of ["db-1", "db-2", "db-3"]) await call(url, "PUT", `/control/peers/${id}`, { address: `10.0.1.${id.slice(-1)}:5432`, pools: ["db"], roles: ["storage"] });
  for (const id of ["web-1", "web-2", "web-3", "web-4"]) await report(url, id, "edge", "active", 0, 3);
  for (const id of ["db-1", "db-2", "db-3"]) await report(url, id, "storage", "active", 0, 1, { owners: 2, children: 4 });

  ensureDashboardBuilt();
  const browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
  // One tab per size for the whole run, so the availability chart (kept in the tab) shows the history.
  const tabs = await Promise.all(
    ([["desktop", { width: 1440, height: 900 }], ["mobile", { width: 390, height: 844 }]] as const).map(async ([kind, viewport]) => {
      const context = await browser.newContext({ viewport, ...(kind === "mobile" ? { isMobile: true, deviceScaleFactor: 2 } : {}) });
      const page = await context.newPage();
      await page.goto(`${url}/ui`);
      await page.locator("#token").fill(TOKEN);
      await page.locator("#sign-in-form button[type=submit]").click();
      await page.locator('#status[data-connected="true"]').waitFor({ timeout: 60_000 });
      await page.locator('.cell[data-node="web-1"]').click();
      return { kind, page };
    }),
  );
  const shoot = async (state: string): Promise<void> => {
    for (const { kind, page } of tabs) {
      // Let the page take in the change from the feed before the picture.
      await page.waitForTimeout(1500);
      await page.locator("#availability svg").waitFor();
      await page.screenshot({ path: join(SHOTS, `${state}-${kind}.png`), fullPage: kind === "desktop" });
    }
  };

  await shoot("idle");
  await heartbeat(url);
  const sessions: string[] = [drainctl(url, dir, ["peers", "list"]), drainctl(url, dir, ["peers", "drain", "web-1", "web-2", "web-3", "--reason", "kernel 6.12", "--dry-run"])];
  await call(url, "POST", "/control/peers/web-1:drain", { reason: "kernel 6.12", ticket: "CHG-42", deadlineMs: 600_000 });
  await report(url, "web-1", "edge", "draining", 1, 2, { owners: 1, children: 3 });
  await heartbeat(url);
  sessions.push(drainctl(url, dir, ["peers", "status", "web-1"]), drainctl(url, dir, ["peers", "describe", "web-1"]));
  await shoot("draining");
  await call(url, "POST", "/control/upgrade/drain", { version: "2.0.0", pool: "db", reason: "postgres 17", ticket: "CHG-43" });
  await shoot("rollout");
  sessions.push(drainctl(url, dir, ["rollout", "status"]));
  await report(url, "web-1", "edge", "failed", 1, 2, { owners: 1, children: 3 }, "a workload refused to stop");
  await shoot("failure");
  await heartbeat(url);
  sessions.push(drainctl(url, dir, ["peers", "list", "-o", "wide"]).split("\n").slice(0, 4).join("\n") + "\n", drainctl(url, dir, ["plan", "--simulate", "--drain", "web-2,web-3"]), drainctl(url, dir, ["audit", "list", "--limit", "6"]));
  await browser.close();

  replaceBetween(join(ROOT, "apps/cli/README.md"), `\`\`\`console\n${sessions.join("\n").replace(new RegExp(url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g"), "http://127.0.0.1:7400").trimEnd()}\n\`\`\``);
  const shots = ["idle", "draining", "rollout", "failure"].map((s) => `| ${s} | ![${s}, desktop](screenshots/${s}-desktop.png) | ![${s}, mobile](screenshots/${s}-mobile.png) |`).join("\n");
  replaceBetween(join(ROOT, "apps/dashboard/README.md"), `| state | desktop (1440×900) | mobile (390×844) |\n| --- | --- | --- |\n${shots}`);
  process.stdout.write(`wrote ${SHOTS}/*.png and the captures in apps/cli/README.md\n`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
