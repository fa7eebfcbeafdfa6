import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditHtml, drainsHtml, gridHtml, peerPanelHtml, rolloutHtml } from "../src/render.ts";
import { dashboardView, initialState, reduce } from "../src/view.ts";
import { auditEntry, peer, status } from "./fixtures.ts";

const seed = Number(process.env["FC_SEED"] ?? Date.now() % 2 ** 31);
console.log(`fast-check seed ${seed} (replay with FC_SEED=${seed})`);

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
      { seed, numRuns: 200 },
    );
  });

  it("offers the actions only to operators", () => {
    expect(peerPanelHtml(peer("web-1"), true)).toContain('data-verb="drain"');
    expect(peerPanelHtml(peer("web-1"), false)).not.toContain("data-verb");
    const r = { id: "r1", version: "2", state: "running", reason: "x", progress: { total: 1, done: 0, failed: 0, inProgress: 1, pending: 0 }, nodes: [], canPause: true, canResume: false };
    expect(rolloutHtml(r, true)).toContain('data-verb="pause-rollout"');
    expect(rolloutHtml(r, false)).not.toContain("data-verb");
  });
});
