// Part of `build`: the dashboard package is private, so its built files travel inside
// this package's dist/ (ui.ts looks for them at dist/dashboard/ once installed).
import { cpSync, existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const from = join(dirname(require.resolve("@drainkit/dashboard/package.json")), "dist");
const to = fileURLToPath(new URL("../dist/dashboard/", import.meta.url));
if (!existsSync(join(from, "index.html"))) {
  console.error(`bundle-dashboard: no dashboard build at ${from}; run \`npx -y pnpm@10.34.9 turbo run build --filter=@drainkit/control-plane\` so turbo builds it first`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`bundle-dashboard: ${from} -> ${to}`);
