// StrykerJS: proof that the simulator's checks can fail. `pnpm --filter
// @drainkit/sim run mutation` runs it from the repository root (core lives
// outside sim/), mutating core's budget, state, drain and scheduler sources,
// with sim/vitest.mutation.config.ts (the simulator's regressions, property
// test and a small sweep) as the killing tests. Not part of `pnpm test`.
// Results, per file, are recorded in sim/README.md ("Mutation score").
export default {
  testRunner: "vitest",
  // Stryker runs from the root, where the runner is not installed: load it from sim's own dependencies.
  plugins: [import.meta.resolve("@stryker-mutator/vitest-runner")],
  vitest: { configFile: "sim/vitest.mutation.config.ts" },
  mutate: [
    "packages/core/src/{budget,state,drain,scheduler}/**/*.ts",
    // Re-exports, and error classes that only build messages.
    "!packages/core/src/**/index.ts",
    "!packages/core/src/**/errors.ts",
    "!packages/core/src/budget/PoolDepletionError.ts",
  ],
  // The sandbox is a copy of the repository; these are not needed in it.
  ignorePatterns: ["/apps", "/docs", "/.changeset", "/sim/reports", "/sim/bench"],
  coverageAnalysis: "perTest",
  // A mutant in module-level code needs a fresh module graph per test run: too dear on 2 cores.
  ignoreStatic: true,
  concurrency: 2,
  incremental: true,
  incrementalFile: "sim/stryker-incremental.json",
  // A mutant that loops forever is cut off: Stryker's own timeout (the dry
  // run's time × 1.5 + 10 s) is enough, runs are deterministic.
  timeoutMS: 10_000,
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "sim/reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: false, reportTests: false },
  tempDirName: ".stryker-tmp",
};
