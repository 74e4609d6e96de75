import { create } from "zustand";

import type { ConnectionState } from "../lib/wsClient";

interface ConnectionStore {
  state: ConnectionState;
  /** When the next reconnect attempt happens (epoch ms), while reconnecting. */
  retryAt: number | null;
  /** When the state last changed (epoch ms): a countdown never starts from an older clock. */
  since: number;
  /** Protocol version of the last hello; kept while reconnecting. */
  protocol: number | null;
  set(state: ConnectionState, detail: { retryInMs?: number; protocol?: number }, now?: number): void;
}

export const useConnectionStore = create<ConnectionStore>((set) => ({
  state: "connecting",
  retryAt: null,
  since: 0,
  protocol: null,
  set(state, detail, now = Date.now()) {
    set((prev) => ({
      state,
      // A deadline rather than a delay, so the status bar can count down to it.
      retryAt: detail.retryInMs === undefined ? null : now + detail.retryInMs,
      since: now,
      protocol: state === "open" ? (detail.protocol ?? prev.protocol) : prev.protocol,
    }));
  },
}));
