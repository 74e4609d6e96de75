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
  build: { outDir: "dist", chunkSizeWarningLimit: 4096 },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
