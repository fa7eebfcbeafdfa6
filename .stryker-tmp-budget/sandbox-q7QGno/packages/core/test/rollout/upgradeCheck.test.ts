// @ts-nocheck
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assessUpgrade, type UpgradeCheck, type UpgradeObservation } from "../../src/index.ts";
import { fcParams } from "../../src/testing/index.ts";

const check: UpgradeCheck = { target: "2.0.0", verify: true, minHealthyMs: 10_000, resumedAt: 1_000, deadline: 61_000 };
const good: UpgradeObservation = { version: "2.0.0", live: true, phase: "active", reportedAt: 1_500 };

describe("assessUpgrade", () => {
  it("counts a node only after it stayed healthy on the target for minHealthyMs", () => {
    const first = assessUpgrade(check, good, undefined, 2_000);
    expect(first).toMatchObject({ status: "waiting", reason: "settling", healthySince: 2_000 });
    expect(assessUpgrade(check, good, 2_000, 11_999)).toMatchObject({ status: "waiting", reason: "settling" });
    expect(assessUpgrade(check, good, 2_000, 12_000)).toEqual({ status: "upgraded", healthySince: 2_000 });
  });

  it("fails a node that never reports the target version after the deadline, naming the version it reports", () => {
    const old = { ...good, version: "1.0.0" };
    expect(assessUpgrade(check, old, undefined, 61_000)).toMatchObject({ status: "waiting", reason: "version-not-reported" });
    const v = assessUpgrade(check, old, undefined, 61_001);
    expect(v).toMatchObject({ status: "failed", reason: "version-not-reported" });
    if (v.status === "failed") expect(v.detail).toMatch(/reports version 1\.0\.0, not 2\.0\.0/);
    expect(assessUpgrade(check, { ...good, version: undefined }, undefined, 70_000)).toMatchObject({ status: "failed", detail: expect.stringMatching(/\(none\)/) });
  });

  it("without verify, ignores the version but still requires health", () => {
    const loose = { ...check, verify: false, minHealthyMs: 0 };
    expect(assessUpgrade(loose, { ...good, version: "1.0.0" }, undefined, 2_000)).toMatchObject({ status: "upgraded" });
    expect(assessUpgrade(loose, { ...good, version: "1.0.0", live: false }, undefined, 70_000)).toMatchObject({ status: "failed", reason: "not-live" });
  });

  it("names each way a node is not healthy: silent, not active, no report since resume, not ready", () => {
    const at = 5_000;
    expect(assessUpgrade(check, { ...good, live: false }, undefined, at)).toMatchObject({ reason: "not-live" });
    expect(assessUpgrade(check, { ...good, phase: "draining" }, undefined, at)).toMatchObject({ reason: "not-active" });
    expect(assessUpgrade(check, { ...good, reportedAt: 999 }, undefined, at)).toMatchObject({ reason: "no-report-since-resume" });
    expect(assessUpgrade(check, { ...good, reportedAt: undefined }, undefined, at)).toMatchObject({ reason: "no-report-since-resume" });
    expect(assessUpgrade(check, { ...good, ready: false }, undefined, at)).toMatchObject({ reason: "not-ready" });
  });

  it("over random observation histories: upgraded exactly when a healthy streak reached minHealthyMs, failed exactly when unhealthy past the deadline (property)", () => {
    const observation = fc.record({
      dt: fc.integer({ min: 0, max: 4_000 }),
      version: fc.constantFrom("1.0.0", "2.0.0", undefined),
      live: fc.boolean(),
      phase: fc.constantFrom("active", "active", "cordoned", "draining", "drained"),
      reportedLag: fc.option(fc.integer({ min: -3_000, max: 3_000 }), { nil: undefined }),
      ready: fc.constantFrom(true, false, undefined),
    });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 8_000 }),
        fc.integer({ min: 0, max: 30_000 }),
        fc.array(observation, { minLength: 1, maxLength: 40 }),
        (verify, minHealthyMs, deadlineAfter, history) => {
          const resumedAt = 10_000;
          const c: UpgradeCheck = { target: "2.0.0", verify, minHealthyMs, resumedAt, deadline: resumedAt + deadlineAfter };
          let now = resumedAt;
          let since: number | undefined;
          // The oracle: the start of the current unbroken run of healthy observations, from first principles.
          let streakStart: number | undefined;
          for (const o of history) {
            now += o.dt;
            const seen: UpgradeObservation = {
              version: o.version,
              live: o.live,
              phase: o.phase,
              reportedAt: o.reportedLag === undefined ? undefined : now - Math.abs(o.reportedLag) + (o.reportedLag < 0 ? -resumedAt : 0),
              ...(o.ready === undefined ? {} : { ready: o.ready }),
            };
            const healthy =
              (!verify || o.version === "2.0.0") && seen.reportedAt !== undefined && seen.reportedAt >= resumedAt && o.live && o.phase === "active" && o.ready !== false;
            streakStart = healthy ? (streakStart ?? now) : undefined;
            const v = assessUpgrade(c, seen, since, now);
            if (healthy && now - streakStart! >= minHealthyMs) {
              expect(v).toEqual({ status: "upgraded", healthySince: streakStart });
              return;
            }
            if (!healthy && now > c.deadline) {
              expect(v.status).toBe("failed");
              if (v.status === "failed" && verify && o.version !== "2.0.0") expect(v.reason).toBe("version-not-reported");
              return;
            }
            expect(v.status).toBe("waiting");
            if (v.status === "waiting") {
              expect(v.healthySince).toBe(streakStart);
              since = v.healthySince;
            }
          }
        },
      ),
      fcParams(),
    );
  });
});
