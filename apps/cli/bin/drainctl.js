#!/usr/bin/env node
// Workspace launcher: Node 24 runs the TypeScript sources as they are (they live outside
// node_modules). The published package's `drainctl` is the compiled dist/main.js instead.
await import("../src/main.ts");
