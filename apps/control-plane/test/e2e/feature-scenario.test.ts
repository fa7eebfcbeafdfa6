import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { createControlClient } from "@drainkit/grpc";
import { ensureDashboardBuilt, launchChromium } from "../uiBrowser.ts";
import { api, registerLive, serversPerTest } from "./serve.ts";

/**
 * The seed's feature scenario (DISC-008), end to end over the three ways in:
 * the CLI, REST and gRPC, with an SSE subscriber watching and the dashboard
 * open in Chromium. Each mutation must show on the feed, in the audit log and
 * on the page. Then the rollback drill: a drain cancelled mid-flight (resume)
 * ends and unwinds its move in flight (the move is cancelled, the workload
 * stays on its source), the audit log shows the cancel and the move's
 * cancellation, and the subscriber and the page see them. The hosts' agents
 * are played by the test.
 */
const servers = serversPerTest("drainkit-scenario-");
const TOKEN = "dk_e2e_admin_token_0123456789";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const DRAINCTL = resolve(dirname(fileURLToPath(import.meta.url)), "../../../cli/bin/drainctl.js");

interface FeedEvent {
  readonly event: string;
  readonly data: { kind: string; id: string; value?: Record<string, unknown> };
}

/** An SSE subscriber of `/control/events`: every event, parsed, in order. */
function subscribe(url: string, from: number): { events: FeedEvent[]; close(): void } {
  const events: FeedEvent[] = [];
  const stop = new AbortController();
  void (async () => {
    const res = await fetch(`${url}/control/events`, { headers: { authorization: `Bearer ${TOKEN}`, "last-event-id": String(from) }, signal: stop.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) as FeedEvent["data"] });
      }
    }
  })().catch(() => undefined);
  return { events, close: () => stop.abort() };
}

/** Resolves once `check` returns true; polls the real processes (no fixed waits asserted). */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function drainctl(url: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [DRAINCTL, ...args], { env: { ...process.env, DRAINCTL_SERVER: url, DRAINCTL_TOKEN: TOKEN, DRAINCTL_CONFIG: undefined, DRAINCTL_CONTEXT: undefined, DRAINKIT_GRPC: undefined }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((ok) => child.once("close", (code) => ok({ code, stdout, stderr })));
}

/**
 * The hosts' agents: a heartbeat after every change of their peer, a drain
 * reported done at once, except on the peers in `holding`, whose drains keep
 * one request in flight (they never finish on their own).
 */
function playAgents(url: string, ids: readonly string[], holding: ReadonlySet<string>): AbortController {
  const stop = new AbortController();
  void (async () => {
    while (!stop.signal.aborted) {
      for (const id of ids) {
        try {
          const p = (await api(url, TOKEN, "GET", `/control/peers/${id}`)).body as { phase: string; epoch: number; updatedAt: number; spec: { drain?: { epoch: number } }; status?: { heartbeatAt: number; epoch: number; inFlight: Record<string, number> } };
          const draining = p.phase === "draining" && p.spec.drain !== undefined;
          if (draining && holding.has(id)) {
            if (p.status?.epoch !== p.epoch || p.status.inFlight["http"] !== 1) {
              await api(url, TOKEN, "PUT", `/control/peers/${id}/status`, { roles: { edge: { phase: "draining", epoch: p.epoch } }, epoch: p.epoch, inFlight: { http: 1 }, workloads: { owners: 0, children: 0 } });
            }
          } else if (draining) {
            await api(url, TOKEN, "PUT", `/control/peers/${id}/status`, { roles: { edge: { phase: "drained", epoch: p.epoch } }, epoch: p.epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
          } else if (p.status === undefined || p.status.heartbeatAt < p.updatedAt) {
            const phase = p.phase === "drained" ? "drained" : "active";
            await api(url, TOKEN, "PUT", `/control/peers/${id}/status`, { roles: { edge: { phase, epoch: p.epoch } }, epoch: p.epoch, inFlight: { http: 0 }, workloads: { owners: 0, children: 0 } });
          }
        } catch {
          // The next round retries.
        }
      }
      await sleep(100).catch(() => undefined);
    }
  })();
  return stop;
}

/** Opens the dashboard at `/ui` of `url` in Debian's chromium, signed in, its audit feed showing operators' actions. */
async function openDashboard(browser: Browser, url: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(`${url}/ui`);
  await page.locator("#token").fill(TOKEN);
  await page.locator("#sign-in-form button[type=submit]").click();
  await page.locator('#status[data-connected="true"]').waitFor();
  await page.locator('#audit-filter input[value="operators"]').check();
  return page;
}

/** Selects `id` in the grid and waits (Playwright's auto-waiting locator) until the node panel's `field` reads `value`. */
async function panelShows(page: Page, id: string, field: string, value: string | RegExp): Promise<void> {
  await page.locator(`.cell[data-node="${id}"]`).click();
  await page.locator("#peer h3", { hasText: new RegExp(`^${id}$`) }).waitFor();
  await page.locator(`#peer dd[data-field="${field}"]`).filter({ hasText: typeof value === "string" ? new RegExp(`^${value}$`) : value }).waitFor();
}

/** Waits until the page's audit feed shows the entry the API lists for `target` and `action` (ok). */
async function auditOnPage(page: Page, url: string, target: string, action: string): Promise<void> {
  const items = (await api(url, TOKEN, "GET", `/control/audit?target=${encodeURIComponent(target)}&action=${action}&limit=1000`)).body["items"] as { seq: number; outcome: string; dryRun?: true }[];
  const entry = items.filter((e) => e.outcome === "ok" && e.dryRun !== true).at(-1);
  expect(entry, `${action} of ${target} in the audit log`).toBeDefined();
  await page.locator(`#audit tr[data-seq="${entry!.seq}"]`).filter({ hasText: target }).waitFor();
}

type Entry = { action: string; outcome: string; target: string; reason?: string; dryRun?: true };
/** The target's audit trail as `action:outcome`; dry runs (drainctl checks the budget with one before it acts) are marked `:dry-run`. */
const auditOf = async (url: string, target: string): Promise<string[]> =>
  ((await api(url, TOKEN, "GET", `/control/audit?target=${encodeURIComponent(target)}&limit=1000`)).body["items"] as Entry[]).map((e) => `${e.action}:${e.outcome}${e.dryRun === true ? ":dry-run" : ""}`);

describe("the seed's feature scenario over the CLI, REST and gRPC, with an SSE subscriber and the dashboard in Chromium", () => {
  it("cordons, drains, promotes the backup cluster and edits peer metadata, each on the feed, in the audit and on the page; then a drain cancelled mid-flight unwinds", { timeout: 360_000 }, async () => {
    ensureDashboardBuilt();
    const browser = await launchChromium();
    const served = await servers.start(["--grpc", "127.0.0.1:0", "--cluster", "east:active", "--cluster", "west:backup"], { DRAINKIT_ADMIN_TOKEN: TOKEN });
    const url = served.url;
    const address = served.stdout.find((l) => l.includes("gRPC (drainkit.control.v1):"))!.split("):")[1]!.trim();
    const peers = ["web-1", "web-2", "web-3"];
    for (const id of peers) await registerLive(url, TOKEN, id, { address: `${id}:80`, pools: ["web"], roles: ["edge"] });
    const agents = playAgents(url, peers, new Set(["web-3"]));
    const from = ((await api(url, TOKEN, "GET", "/control/peers?limit=1")).body["revision"] as number) ?? 0;
    const feed = subscribe(url, from);
    const grpc = createControlClient(address, { token: TOKEN });
    const peerOnFeed = (id: string, phase: string): boolean => feed.events.some((e) => e.event === "peer" && e.data.id === id && e.data.value?.["phase"] === phase);
    try {
      const page = await openDashboard(browser, url);
      await page.locator('#clusters .cluster[data-cluster="west"][data-role="backup"]').waitFor();

      // 1. Cordon with the CLI.
      const cordon = await drainctl(url, ["peers", "cordon", "web-1", "--reason", "disk check", "--ticket", "CHG-1"]);
      expect(cordon.code, cordon.stderr).toBe(0);
      await until("the cordon on the feed", () => peerOnFeed("web-1", "cordoned"));
      await panelShows(page, "web-1", "phase", "cordoned");
      await panelShows(page, "web-1", "cordons", /\(disk check, CHG-1\)$/);
      await auditOnPage(page, url, "peer/web-1", "cordon");

      // 2. Drain its work off over gRPC; the agent finishes it.
      const drain = await grpc.drain("web-1", { reason: "kernel upgrade" }, { idempotencyKey: "scenario-drain-1" });
      expect(drain.value.status).toBe("draining");
      await until("web-1 drained on the feed", () => peerOnFeed("web-1", "drained"));
      expect((await grpc.drainStatus("web-1")).status).toBe("drained");
      await panelShows(page, "web-1", "phase", "drained");
      await page.locator('.cell[data-node="web-1"][data-phase="drained"]').waitFor();
      await page.locator('tr.drain[data-peer="web-1"][data-phase="drained"]').waitFor({ state: "attached" });
      await auditOnPage(page, url, "peer/web-1", "drain");

      // 3. Promote the backup cluster over REST.
      const promote = await api(url, TOKEN, "POST", "/control/clusters/west:promote", { reason: "region failover drill" });
      expect(promote.status).toBe(200);
      await until("the promote on the feed", () => feed.events.some((e) => e.event === "cluster" && e.data.id === "west" && e.data.value?.["role"] === "active"));
      await page.locator('#clusters .cluster[data-cluster="west"][data-role="active"]').waitFor();
      await auditOnPage(page, url, "cluster/west", "promote");

      // 4. Edit peer metadata over REST (If-Match) and read it back over gRPC.
      const before = await api(url, TOKEN, "GET", "/control/peers/web-2");
      const patched = await api(url, TOKEN, "PATCH", "/control/peers/web-2", { metadata: { owner: "team-edge", rack: "r7" }, reason: "inventory" }, { "if-match": before.headers.get("etag")! });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect((await grpc.getPeer("web-2")).peer.metadata).toMatchObject({ owner: "team-edge", rack: "r7" });
      await until("the metadata on the feed", () => feed.events.some((e) => e.event === "peer" && e.data.id === "web-2" && (e.data.value?.["metadata"] as Record<string, unknown> | undefined)?.["owner"] === "team-edge"));
      await panelShows(page, "web-2", "metadata", /(^|, )owner=team-edge, rack=r7(, |$)/);
      await auditOnPage(page, url, "peer/web-2", "patchPeer");
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "feature-scenario.png"), fullPage: true });

      // Each mutation is in the audit log, and its entry was on the feed too.
      expect(await auditOf(url, "peer/web-1")).toEqual(expect.arrayContaining(["cordon:ok", "drain:ok"]));
      expect(await auditOf(url, "cluster/west")).toEqual(["promote:ok"]);
      expect(await auditOf(url, "peer/web-2")).toEqual(expect.arrayContaining(["patchPeer:ok"]));
      await until("the audit entries on the feed", () =>
        ["cordon", "drain", "promote", "patchPeer"].every((action) => feed.events.some((e) => e.event === "audit" && e.data.value?.["action"] === action)),
      );

      // 5. The rollback drill: web-3 holds a workload and a request in flight. Its drain moves the workload
      // towards web-2 (the only active peer), whose agent never reports it serving: the move stays in flight.
      // The operator cancels the drain (resume): the move is cancelled, the workload stays on web-3.
      const web3Before = (await api(url, TOKEN, "GET", "/control/peers/web-3")).body as { epoch: number };
      const placed = await api(url, TOKEN, "PUT", "/control/peers/web-3/status", { roles: { edge: { phase: "active", epoch: web3Before.epoch } }, epoch: web3Before.epoch, inFlight: { http: 0 }, placement: [{ id: "cache-7" }] });
      expect(placed.status, JSON.stringify(placed.body)).toBe(200);
      const drill = await drainctl(url, ["peers", "drain", "web-3", "--reason", "drill", "--no-wait", "-y"]);
      expect(drill.code, drill.stderr).toBe(0);
      type Move = { id: string; workload: string; from: string; to: string; state: string; reason?: string };
      const movesOff = async (): Promise<Move[]> => (await api(url, TOKEN, "GET", "/control/moves?peer=web-3")).body["items"] as Move[];
      let inFlight: Move | undefined;
      await until("web-3 draining with a request in flight and its workload's move in flight", async () => {
        const status = (await api(url, TOKEN, "GET", "/control/peers/web-3/drain")).body;
        inFlight = (await movesOff()).find((m) => m.workload === "cache-7" && m.state === "starting");
        return status["status"] === "draining" && (status["remaining"] as { inFlight: number }).inFlight === 1 && inFlight !== undefined;
      });
      expect(inFlight).toMatchObject({ from: "web-3", to: "web-2" });
      const moveId = inFlight!.id;
      await until("the move on the feed", () => feed.events.some((e) => e.event === "move" && e.data.id === moveId && e.data.value?.["state"] === "starting"));
      // A CLI subscriber follows web-3's moves from the start: it sees the move start, then its cancellation.
      const cliFeed = drainctl(url, ["moves", "watch", "--peer", "web-3", "--since", String(from), "--count", "2"]);
      const cancel = await drainctl(url, ["peers", "resume", "web-3", "--reason", "cancel the drill", "--ticket", "CHG-9"]);
      expect(cancel.code, cancel.stderr).toBe(0);
      const web3 = (await grpc.getPeer("web-3")).peer;
      expect(web3.phase).toBe("active");
      expect(web3.spec.drain).toBeUndefined();
      expect((await grpc.drainStatus("web-3")).status).toBe("none");
      // The controller unwinds: the move in flight ends cancelled, with the reason, and the workload stays on web-3.
      await until("the move cancelled", async () => (await movesOff()).some((m) => m.id === moveId && m.state === "cancelled"));
      const cancelled = (await movesOff()).filter((m) => m.workload === "cache-7");
      expect(cancelled.map((m) => [m.id, m.state])).toEqual([[moveId, "cancelled"]]);
      expect(cancelled[0]!.reason).toMatch(/drain of web-3 \(epoch \d+\) was cancelled before web-2 served cache-7/);
      expect(((await api(url, TOKEN, "GET", "/control/peers/web-3/placement")).body["items"] as { id: string }[]).map((w) => w.id)).toEqual(["cache-7"]);
      const watched = await cliFeed;
      expect(watched.code, watched.stderr).toBe(0);
      const lines = watched.stdout.trim().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain(`cache-7 web-3 → web-2 starting  [move ${moveId}]`);
      expect(lines[1]).toMatch(new RegExp(`cache-7 web-3 → web-2 cancelled \\(the drain of web-3 .* was cancelled before web-2 served cache-7\\)  \\[move ${moveId}\\]`));
      // drainctl lists it too.
      const listed = await drainctl(url, ["moves", "list", "--peer", "web-3", "--state", "cancelled", "--json"]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain(moveId);
      // The audit log shows the drain, its cancel, and then the move's cancellation by the controller, in that order.
      const trail = (await auditOf(url, "peer/web-3")).filter((a) => a === "drain:ok" || a === "resume:ok");
      expect(trail).toEqual(["drain:ok", "resume:ok"]);
      expect(await auditOf(url, `move/${moveId}`)).toEqual(["planMove:ok", "cancelMove:ok"]);
      type Seq = { seq: number; action: string; actor: string; reason?: string };
      const seqOf = async (target: string, action: string): Promise<Seq> =>
        ((await api(url, TOKEN, "GET", `/control/audit?target=${encodeURIComponent(target)}&action=${action}&limit=10`)).body["items"] as Seq[])[0]!;
      const resumed = await seqOf("peer/web-3", "resume");
      const unwound = await seqOf(`move/${moveId}`, "cancelMove");
      expect(resumed.reason).toBe("cancel the drill");
      expect(unwound.seq).toBeGreaterThan(resumed.seq);
      expect(unwound.actor).toBe("control-plane");
      // The subscriber saw web-3 go back to active after draining, the move cancelled, and both audit entries.
      await until("the cancel on the feed", () => {
        const draining = feed.events.findIndex((e) => e.event === "peer" && e.data.id === "web-3" && e.data.value?.["phase"] === "draining");
        return draining >= 0 && feed.events.slice(draining).some((e) => e.event === "peer" && e.data.id === "web-3" && e.data.value?.["phase"] === "active");
      });
      await until("the move's cancellation on the feed", () => feed.events.some((e) => e.event === "move" && e.data.id === moveId && e.data.value?.["state"] === "cancelled"));
      await until("the resume's and the cancellation's audit entries on the feed", () =>
        feed.events.some((e) => e.event === "audit" && e.data.value?.["action"] === "resume" && e.data.value["target"] === "peer/web-3") &&
        feed.events.some((e) => e.event === "audit" && e.data.value?.["action"] === "cancelMove" && e.data.value["target"] === `move/${moveId}`),
      );
      // On the page: web-3 back to active, its drain gone from the drains card, the cancel in the audit feed.
      await Promise.all([panelShows(page, "web-3", "phase", "active"), page.locator('#drains tr.drain[data-peer="web-3"]').waitFor({ state: "detached" }), auditOnPage(page, url, "peer/web-3", "resume")]);
    } finally {
      await browser.close();
      agents.abort();
      feed.close();
      grpc.close();
    }
  });
});
