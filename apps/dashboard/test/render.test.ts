import fc from "fast-check";
import { fcParams } from "@drainkit/core/testing";
import { describe, expect, it } from "vitest";
import { auditHtml, availabilityHtml, drainsHtml, gridHtml, peerPanelHtml, rolloutHtml } from "../src/render.ts";
import { dashboardView, initialState, reduce } from "../src/view.ts";
import { auditEntry, peer, status } from "./fixtures.ts";


// Everything the server sends is text to the page: no string from it may become markup.
const TAGS = /<\/?(div|h3|span|button|table|thead|tbody|tr|th|td|p|b|dl|dt|dd|svg|rect|text|line|title)(\s+[a-zA-Z0-9-]+="[^"<>]*")*\s*\/?>/g;

describe("the page's HTML", () => {
  it("escapes every server-supplied string: reasons, tickets, actors, labels and ids", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (reason, ticket, actor) => {
        const p = peer("web-1", { address: reason, phase: "draining", phases: { edge: "draining" }, epoch: 1, status: status(1, 0, 0), spec: { cordons: { [actor]: { reason, ticket, at: 0 } }, drain: { epoch: 1, deadline: 0, roles: ["edge"], reason, ticket, requestedAt: 0, requestedBy: actor } } });
        const s = reduce(initialState(), { type: "snapshot", at: 0, revision: 1, peers: [p], rollouts: [], audit: [auditEntry(1, { reason, ticket, actor, target: reason })], pools: [] });
        const v = dashboardView(s);
        const html = [gridHtml(v, "web-1"), drainsHtml(v), auditHtml(v.audit), peerPanelHtml(p, true)].join("");
        expect(html.replace(TAGS, "")).not.toMatch(/[<>"]/);
      }),
      fcParams({ numRuns: 200 }),
    );
  });

  it("offers the actions only to operators", () => {
    expect(peerPanelHtml(peer("web-1"), true)).toContain('data-verb="drain"');
    expect(peerPanelHtml(peer("web-1"), false)).not.toContain("data-verb");
    const r = { id: "r1", version: "2", state: "running", reason: "x", progress: { total: 1, done: 0, failed: 0, inProgress: 1, pending: 0 }, nodes: [], canPause: true, canResume: false };
    expect(rolloutHtml(r, true)).toContain('data-verb="pause-rollout"');
    expect(rolloutHtml(r, false)).not.toContain("data-verb");
  });

  it("shows the version each rollout node reports, and an unverified rollout's warning", () => {
    const nodes = [{ id: "n0", step: "healthy", version: "2" }, { id: "n1", step: "failed", version: "1", reason: "version-not-reported: it reports version 1, not 2" }, { id: "n2", step: "pending" }];
    const base = { id: "r1", version: "2", state: "incomplete", reason: "x", progress: { total: 3, done: 1, failed: 1, inProgress: 0, pending: 1 }, nodes, canPause: false, canResume: false };
    const html = rolloutHtml({ ...base, verify: false, warnings: ["unverified rollout (verify=false): <b>"] }, false);
    expect(/<tr data-node="n0">.*?<td class="version on-target"[^>]*>2<\/td>/.test(html)).toBe(true);
    expect(/<tr data-node="n1">.*?<td class="version"[^>]*>1<\/td>.*?version-not-reported/.test(html)).toBe(true);
    expect(/<tr data-node="n2">.*?<td class="version"[^>]*>-<\/td>/.test(html)).toBe(true);
    expect(html).toContain('<p class="warning" role="alert">⚠ unverified rollout (verify=false): &lt;b&gt;</p>');
    expect(html).toContain("unverified</span>");
    expect(rolloutHtml({ ...base, verify: true }, false)).not.toContain('class="warning"');
  });

  it("gives each rollout node a bar that fills as it moves from pending to healthy", () => {
    const nodes = ["pending", "draining", "healthy", "failed"].map((step, i) => ({ id: `n${i}`, step }));
    const html = rolloutHtml({ id: "r1", version: "2", state: "running", reason: "x", progress: { total: 4, done: 1, failed: 1, inProgress: 1, pending: 1 }, nodes, canPause: true, canResume: false }, false);
    const widths = nodes.map((n) => {
      const row = new RegExp(`<tr data-node="${n.id}">.*?</tr>`).exec(html)![0];
      return Number(/data-step="[a-z]+">.*?<rect[^>]*?width="([\d.]+)"[^>]*?fill="#(?:2ca02c|d62728)"/.exec(row)?.[1] ?? 0);
    });
    expect(widths[0]).toBe(0);
    expect(widths[1]).toBeGreaterThan(0);
    expect(widths[2]).toBeGreaterThan(widths[1]!);
    expect(html).toContain('aria-label="n3: failed"');
  });
});

describe("the availability chart", () => {
  it("draws the last half hour, starting each pool's line at its value when the window opens", () => {
    const minute = 60_000;
    const history = [
      { t: 0, pools: { web: 1 } },
      { t: 10 * minute, pools: { web: 0.5 } },
      { t: 40 * minute, pools: { web: 0.75 } },
    ];
    const view = { groups: [], pools: [], drains: [], audit: [], history, phases: [], clusters: [] };
    const svg = availabilityHtml(view, 45 * minute, 600);
    const points = /<polyline[^>]* points="([^"]*)"/.exec(svg)![1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
    // A step: 15 min (0.5, from the 10 min sample) held flat → 40 min, up to 0.75 at once, held → 45 min (now).
    expect(points).toHaveLength(4);
    expect(points[0]![1]).toBe(points[1]![1]);
    expect(points[1]![0]).toBe(points[2]![0]);
    expect(points[1]![1]).toBeGreaterThan(points[2]![1]); // 50 % is drawn lower than 75 %
    expect(points[2]![1]).toBe(points[3]![1]);
    expect(points[0]![0]).toBeLessThan(points[1]![0]);
  });
});

describe("the availability chart's axis and colours", () => {
  it("ends the x-axis now, and draws each pool's budget line in the pool's colour", () => {
    const view = {
      groups: [],
      pools: [{ pool: "web", total: 4, available: 4, budget: { required: 2, text: "minAvailable 2", ok: true, headroom: 2, level: "ok" as const } }],
      drains: [],
      audit: [],
      history: [{ t: 1000, pools: { api: 1, web: 1 } }],
      phases: [],
      clusters: [],
    };
    const now = 5000;
    const svg = availabilityHtml(view, now, 600);
    const web = /<polyline[^>]*stroke="(#[0-9a-f]{6})"[^>]*><title>web</.exec(svg)![1];
    const budget = /<line class="dk-threshold"[^>]*stroke="(#[0-9a-f]{6})"/.exec(svg)![1];
    expect(budget).toBe(web);
    // The rightmost point of every line is the right edge of the plot: nothing after now.
    const xs = [...svg.matchAll(/points="([^"]*)"/g)].flatMap((m) => m[1]!.split(" ").map((p) => Number(p.split(",")[0])));
    expect(Math.max(...xs)).toBe(588);
  });
});
