import { create } from "zustand";

import type { ConnectionState } from "../lib/wsClient";

interface ConnectionStore {
  state: ConnectionState;
  retryInMs: number | null;
  protocol: number | null;
  set(state: ConnectionState, detail: { retryInMs?: number; protocol?: number }): void;
}

export const useConnectionStore = create<ConnectionStore>((set) => ({
  state: "connecting",
  retryInMs: null,
  protocol: null,
  set(state, detail) {
    set((prev) => ({
      state,
      retryInMs: detail.retryInMs ?? null,
      protocol: state === "open" ? (detail.protocol ?? prev.protocol) : prev.protocol,
    }));
  },
}));
