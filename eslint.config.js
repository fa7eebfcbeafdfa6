// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const ambient = "Core is pure: take time and randomness from the injected Clock / Random ports.";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/.turbo/**", "**/coverage/**", "**/*.d.ts", "**/.stryker-tmp/**", "sim/reports/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2024, sourceType: "module" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // No ambient time, randomness or process state may enter core.
    files: ["packages/core/src/**/*.ts"],
    ignores: ["packages/core/src/ports/system.ts"],
    rules: {
      "no-restricted-globals": ["error",
        { name: "Date", message: ambient },
        { name: "setTimeout", message: ambient },
        { name: "setInterval", message: ambient },
        { name: "setImmediate", message: ambient },
        { name: "clearTimeout", message: ambient },
        { name: "clearInterval", message: ambient },
        { name: "performance", message: ambient },
        { name: "process", message: ambient },
      ],
      "no-restricted-properties": ["error",
        { object: "Math", property: "random", message: ambient },
        { object: "globalThis", property: "Date", message: ambient },
        { object: "globalThis", property: "setTimeout", message: ambient },
        { object: "globalThis", property: "performance", message: ambient },
        { object: "globalThis", property: "process", message: ambient },
      ],
      "no-restricted-imports": ["error", { patterns: [
        { group: ["node:*", "fs", "path", "timers", "timers/*", "perf_hooks", "process", "os", "crypto"], message: "Core does no I/O; receive it through a port." },
        { group: ["@drainkit/*"], message: "Core imports nothing of ours." },
      ] }],
    },
  },
);
