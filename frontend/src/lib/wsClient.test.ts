import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { ServerFrame } from "./protocol";
import { WsClient, wsUrlFor, type ConnectionState, type SocketLike } from "./wsClient";

class FakeSocket implements SocketLike {
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  sent: string[] = [];
  closed: number | null = null;
  readonly url: string;
  readonly protocols: string[];

  constructor(url: string, protocols: string[]) {
    this.url = url;
    this.protocols = protocols;
  }

  send(data: string) {
    this.sent.push(data);
  }

  close(code = 1000) {
    this.closed = code;
  }

  receive(frame: object | string) {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) } as MessageEvent);
  }

  drop() {
    this.onclose?.({} as CloseEvent);
  }
}

const hello = { type: "hello", protocol: 1, server: "mira", session: "s", heartbeat_ms: 1000, max_frame_bytes: 1024 };
const noJitter = { baseMs: 100, capMs: 1000, jitter: 0 };

describe("WsClient", () => {
  let sockets: FakeSocket[];
  let states: [ConnectionState, number | undefined][];
  let frames: ServerFrame[];
  let errors: string[];
  let client: WsClient;

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    states = [];
    frames = [];
    errors = [];
    client = new WsClient(
      "ws://h/ws",
      "tok",
      {
        onState: (s, d) => states.push([s, d.retryInMs]),
        onFrame: (f) => frames.push(f),
        onProtocolError: (m) => errors.push(m),
      },
      (url, protocols) => {
        const s = new FakeSocket(url, protocols);
        sockets.push(s);
        return s;
      },
      noJitter,
    );
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("offers the protocol and the token as subprotocols and opens on hello", () => {
    client.start();
    expect(sockets[0].protocols).toEqual(["mira.v1", "mira.token.tok"]);
    sockets[0].receive(hello);
    expect(states.at(-1)).toEqual(["open", undefined]);
    expect(frames[0].type).toBe("hello");
  });

  it("reconnects with growing delays and resets after a hello", () => {
    client.start();
    sockets[0].drop();
    expect(states.at(-1)).toEqual(["reconnecting", 100]);
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
    sockets[1].drop();
    expect(states.at(-1)).toEqual(["reconnecting", 200]);
    vi.advanceTimersByTime(200);
    sockets[2].receive(hello);
    sockets[2].drop();
    expect(states.at(-1)).toEqual(["reconnecting", 100]);
  });

  it("closes a silent connection after 2.5 heartbeats and reconnects", () => {
    client.start();
    sockets[0].receive(hello);
    vi.advanceTimersByTime(2000);
    sockets[0].receive({ type: "heartbeat", ts: "t" });
    vi.advanceTimersByTime(2400);
    expect(sockets[0].closed).toBeNull();
    vi.advanceTimersByTime(100);
    expect(sockets[0].closed).toBe(4000);
    expect(states.at(-1)?.[0]).toBe("reconnecting");
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(2);
  });

  it("reports malformed frames without closing", () => {
    client.start();
    sockets[0].receive("{nope");
    expect(errors).toHaveLength(1);
    expect(sockets[0].closed).toBeNull();
  });

  it("sends requests with fresh ids and stops cleanly", () => {
    client.start();
    const a = client.request("ping");
    const b = client.request("fs.tree", { project_id: 1, path: "" });
    expect(a).not.toBe(b);
    expect(JSON.parse(sockets[0].sent[1])).toEqual({ id: b, type: "fs.tree", project_id: 1, path: "" });
    client.stop();
    expect(sockets[0].closed).toBe(1000);
    expect(states.at(-1)?.[0]).toBe("closed");
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it("builds the WebSocket URL from the page origin", () => {
    expect(wsUrlFor({ protocol: "http:", host: "127.0.0.1:3001" })).toBe("ws://127.0.0.1:3001/ws");
    expect(wsUrlFor({ protocol: "https:", host: "mira.example" })).toBe("wss://mira.example/ws");
  });
});
