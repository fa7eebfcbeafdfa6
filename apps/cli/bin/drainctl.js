#!/usr/bin/env node
// Runs the TypeScript sources through tsx's loader, so the same file works from
// the workspace and from an installed package (Node will not strip types under node_modules).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
