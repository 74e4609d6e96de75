// The words the status bar shows for the WebSocket connection state.

import type { ConnectionState } from "./wsClient";

/** `retryInMs` is the time left until the next attempt while reconnecting. */
export function connectionLabel(state: ConnectionState, protocol: number | null, retryInMs: number | null): string {
  switch (state) {
    case "connecting":
      return "connecting";
    case "open":
      return protocol === null ? "connected" : `connected (protocol ${protocol})`;
    case "reconnecting": {
      const seconds = Math.ceil(Math.max(0, retryInMs ?? 0) / 1000);
      return seconds > 0 ? `reconnecting in ${seconds} s` : "reconnecting";
    }
    case "closed":
      return "disconnected";
  }
}
