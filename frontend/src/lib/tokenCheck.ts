// The browser hides the HTTP status of a refused WebSocket upgrade, so a token that was
// rotated (`mira token --rotate`) or has expired looks just like a server that is down.
// While reconnecting, an HTTP call tells the two apart: only it can see the 401.

import { ApiError, type Api } from "./api";

/** Calls `onRejected` when the server refuses the token; anything else is left to the reconnect loop. */
export async function checkToken(api: Api, onRejected: (error: ApiError) => void): Promise<void> {
  try {
    await api.projects();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) onRejected(e);
  }
}
