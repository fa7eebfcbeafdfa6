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
  },
});
