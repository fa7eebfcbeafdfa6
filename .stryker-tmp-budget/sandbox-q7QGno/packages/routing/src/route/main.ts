#!/usr/bin/env node
// @ts-nocheck
// `drainkit-route`: the front door for one role (see runRoute.ts, or --help).
import { runRoute } from "./runRoute.ts";

process.exit(await runRoute(process.argv.slice(2)));
