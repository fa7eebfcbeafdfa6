import { defineConfig } from "vite";

// Served by the control plane under /ui. Everything is bundled into hashed
// files under dist/assets: no CDN, no inline script (the page runs under a
// strict Content-Security-Policy).
export default defineConfig({
  base: "/ui/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: "es2022",
    rollupOptions: {
      onwarn(warning, warn) {
        // Core's systemClock/systemRandom import node:crypto; the page never uses them and they are tree-shaken away.
        if (warning.message.includes("node:crypto") && warning.message.includes("core/src/ports/system.ts")) return;
        warn(warning);
      },
    },
  },
});
