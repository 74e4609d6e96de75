import { defineConfig } from "vitest/config";

// The Rust server serves dist/ on the same origin as /api and /ws; in development the
// Vite server proxies them to a running `mira serve`.
export default defineConfig({
  server: {
    proxy: {
      "/api": "http://127.0.0.1:3001",
      "/ws": { target: "ws://127.0.0.1:3001", ws: true },
    },
  },
  worker: { format: "es" },
  build: {
    outDir: "dist",
    // Monaco's editor core is one ~3 MB chunk; it is served from the same machine.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: {
      // The timing report only ever names the Monaco worker build, which is slow by nature.
      checks: { bundlerTimings: false },
      onwarn(warning, warn) {
        // react-resizable-panels starts with "use client" for React Server Components;
        // this bundle only runs in the browser, so dropping the directive changes nothing.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
