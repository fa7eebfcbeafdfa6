// The killing tests of `pnpm run mutation` (StrykerJS, see stryker.config.mjs):
// a bounded, fast subset of the simulator's own tests, whose checks are
// independent of core. Stryker runs it inside its sandbox copy of the repo,
// so @drainkit/core is aliased to that copy's sources: through the
// workspace link it would resolve to the unmutated tree.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const core = (path: string): string => fileURLToPath(new URL(`../packages/core/src/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: {
    alias: [
      { find: /^@drainkit\/core$/, replacement: core("index.ts") },
      { find: /^@drainkit\/core\/testing$/, replacement: core("testing/index.ts") },
    ],
  },
  test: {
    // About 1.5 s in all: each surviving mutant costs one pass over the tests that reach it.
    include: [
      "test/regressions.test.ts",
      "test/property.test.ts",
      "test/smallSweep.test.ts",
      "test/budgetInFull.test.ts",
      "test/plan/simulatePlan.test.ts",
    ],
    env: { SIM_PROPERTY_RUNS: "8" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
