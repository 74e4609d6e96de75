// The WebSocket connection: connects with the token as a subprotocol, reconnects with
// backoff, and closes a connection that has gone silent (no frame for 2.5 heartbeats).

import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff";
import { parseServerFrame, SUBPROTOCOL, TOKEN_PROTOCOL_PREFIX, type ServerFrame } from "./protocol";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface ClientCallbacks {
  onState(state: ConnectionState, detail: { retryInMs?: number; protocol?: number }): void;
  onFrame(frame: ServerFrame): void;
  onProtocolError(message: string): void;
}

/** Missing heartbeats for this many intervals means the connection is dead. */
export const SILENCE_FACTOR = 2.5;

export interface SocketLike {
  onopen: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  close(code?: number, reason?: string): void;
  send(data: string): void;
}

export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

export class WsClient {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private silenceTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatMs = 15_000;
  private stopped = false;
  private nextId = 1;

  private readonly url: string;
  private readonly token: string;
  private readonly callbacks: ClientCallbacks;
  private readonly factory: SocketFactory;
  private readonly backoff: BackoffOptions;

  constructor(
    url: string,
    token: string,
    callbacks: ClientCallbacks,
    factory: SocketFactory = (u, p) => new WebSocket(u, p) as unknown as SocketLike,
    backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    this.url = url;
    this.token = token;
    this.callbacks = callbacks;
    this.factory = factory;
    this.backoff = backoff;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, "client closing");
    this.socket = null;
    this.callbacks.onState("closed", {});
  }

  /** Sends a request; returns its id. */
  request(type: string, params: Record<string, unknown> = {}): string {
    const id = `c${this.nextId++}`;
    this.socket?.send(JSON.stringify({ id, type, ...params }));
    return id;
  }

  private connect(): void {
    this.callbacks.onState("connecting", {});
    const socket = this.factory(this.url, [SUBPROTOCOL, TOKEN_PROTOCOL_PREFIX + this.token]);
    this.socket = socket;
    socket.onmessage = (ev) => this.receive(String(ev.data));
    socket.onclose = () => {
      if (this.socket === socket) this.scheduleReconnect();
    };
    socket.onerror = () => {
      // onclose follows and schedules the reconnect.
    };
  }

  private receive(text: string): void {
    this.armSilenceTimer();
    let frame: ServerFrame;
    try {
      frame = parseServerFrame(text);
    } catch (e) {
      this.callbacks.onProtocolError(e instanceof Error ? e.message : String(e));
      return;
    }
    if (frame.type === "hello") {
      this.attempt = 0;
      this.heartbeatMs = frame.heartbeat_ms;
      this.armSilenceTimer();
      this.callbacks.onState("open", { protocol: frame.protocol });
    }
    this.callbacks.onFrame(frame);
  }

  private armSilenceTimer(): void {
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      // Silent too long: drop this socket and reconnect.
      const socket = this.socket;
      this.socket = null;
      socket?.close(4000, "no heartbeat");
      this.scheduleReconnect();
    }, this.heartbeatMs * SILENCE_FACTOR);
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    this.socket = null;
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.callbacks.onState("reconnecting", { retryInMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.silenceTimer) clearTimeout(this.silenceTimer);
    this.retryTimer = null;
    this.silenceTimer = null;
  }
}

/** ws:// or wss:// URL of /ws on the page's own origin. */
export function wsUrlFor(location: { protocol: string; host: string }): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}
