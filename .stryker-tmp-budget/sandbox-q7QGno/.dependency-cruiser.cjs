// @ts-nocheck
// 
/**
 * The layering of docs/ARCHITECTURE.md, checked on every `pnpm lint`
 * (`pnpm lint:deps` alone). Arrows point down only:
 *
 *   apps (control-plane, cli, dashboard, example-service)
 *     -> sim, adapters (http, grpc, agent, routing, store-*, client)
 *       -> registry -> core
 *   charts and bench are leaves (they import nothing of ours).
 *
 * Paths, not package names, are matched: inside the workspace every
 * `@drainkit/x` import resolves to `packages/x/src/...` (or `apps/x/...`, `sim/...`).
 */

/** Where tests, benchmarks and scripts live: they may reach further than runtime code, through public entry points only. */
const NOT_RUNTIME = "(^|/)(test|tests|bench|scripts|e2e)/|\\.test\\.ts$";
const ADAPTERS = "(http|grpc|agent|routing|store-[^/]+|client)";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles anywhere, type-only imports included: split the shared part into its own file.",
      from: {},
      to: { circular: true },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      comment: "An import that does not resolve (often a package not declared in package.json) would slip past every rule below.",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "core-imports-nothing-of-ours",
      severity: "error",
      comment: "Core is pure and sits at the bottom: it imports no other package of the workspace.",
      from: { path: "^packages/core/src/" },
      to: { path: "^(packages/(?!core/)|apps/|sim/)" },
    },
    {
      name: "leaves-import-nothing-of-ours",
      severity: "error",
      comment: "charts (SVG charts) and bench (figure printing) are leaves any layer may use; they import nothing of ours.",
      from: { path: "^packages/(charts|bench)/src/" },
      to: { path: "^(packages/(?!$1/)|apps/|sim/)" },
    },
    {
      name: "registry-imports-only-core",
      severity: "error",
      comment: "The registry sits on core only: no adapter, app or simulator below it.",
      from: { path: "^packages/registry/src/" },
      to: { path: "^(packages/(?!(core|registry)/)|apps/|sim/)" },
    },
    {
      name: "adapters-import-registry-and-core",
      severity: "error",
      comment:
        "An adapter (http, grpc, agent, routing, store-*) imports core, registry and the leaves; it talks to the control plane through the client, never through another adapter.",
      from: { path: `^packages/(?!client/)${ADAPTERS}/src/` },
      to: { path: "^(packages/|apps/|sim/)", pathNot: "^packages/(core|registry|charts|bench|client|$1)/" },
    },
    {
      name: "client-imports-registry-core-and-grpc",
      severity: "error",
      comment: "The typed API client imports core and registry (the wire types) and grpc (its second transport), nothing above.",
      from: { path: "^packages/client/src/" },
      to: { path: "^(packages/|apps/|sim/)", pathNot: "^packages/(core|registry|charts|bench|client|grpc)/" },
    },
    {
      name: "sim-drives-core",
      severity: "error",
      comment: "The simulator drives the real core on virtual time (and draws with charts); it never imports the registry, adapters or apps.",
      from: { path: "^sim/src/" },
      to: { path: "^(packages/(?!(core|charts|bench)/)|apps/)" },
    },
    {
      name: "packages-never-import-apps",
      severity: "error",
      comment: "Arrows point down: a package (or the simulator) imports no app at run time; a test that needs one spawns it.",
      from: { path: "^(packages/[^/]+/src/|sim/src/)", pathNot: NOT_RUNTIME },
      to: { path: "^apps/" },
    },
    {
      name: "no-app-imports-another-app",
      severity: "error",
      comment: "Apps are separate processes: one never imports another at run time (a test may spawn one, or use its /testing subpath).",
      from: { path: "^apps/([^/]+)/", pathNot: NOT_RUNTIME },
      to: { path: "^apps/", pathNot: "^apps/$1/" },
    },
    {
      name: "public-entry-points-only",
      severity: "error",
      comment:
        "Another package is reached through its public entry point (`@drainkit/x`) or its `/testing` subpath, never a deep or relative path into its files: that is what users get from npm.",
      from: { path: "^(packages|apps)/([^/]+)/" },
      to: {
        path: "^(packages/|apps/|sim/)",
        pathNot: ["^$1/$2/", "^(packages|apps)/[^/]+/src/(index|testing/index|grpc/index)\\.ts$", "^sim/src/index\\.ts$"],
      },
    },
    {
      name: "sim-public-entry-points-only",
      severity: "error",
      comment: "The simulator too reaches packages only through their public entry points.",
      from: { path: "^sim/" },
      to: { path: "^(packages|apps)/", pathNot: "^(packages|apps)/[^/]+/src/(index|testing/index|grpc/index)\\.ts$" },
    },
    {
      name: "testing-subpaths-only-in-tests",
      severity: "error",
      comment: "`/testing` subpaths (doubles, conformance suites, fixtures) are for tests, benchmarks and other testing code, not for what runs in production.",
      from: { path: "^(packages|apps)/([^/]+)/src/(?!testing/)", pathNot: NOT_RUNTIME },
      to: { path: "^(packages|apps)/[^/]+/src/testing/", pathNot: "^$1/$2/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|\\.turbo|coverage)/" },
    // Type-only imports count: a type cycle is still a cycle for the reader.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts", ".json"],
      mainFields: ["module", "main", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
