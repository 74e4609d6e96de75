import { describe, expect, it } from "vitest";

import { FrameError, parseServerFrame } from "./protocol";

describe("parseServerFrame", () => {
  it("accepts the documented frames", () => {
    const hello = parseServerFrame(
      '{"type":"hello","protocol":1,"server":"mira 0.1.0","session":"s","heartbeat_ms":15000,"max_frame_bytes":1024}',
    );
    expect(hello).toEqual({ type: "hello", protocol: 1, server: "mira 0.1.0", session: "s", heartbeat_ms: 15000, max_frame_bytes: 1024 });
    expect(parseServerFrame('{"type":"pong","id":"p1"}')).toEqual({ type: "pong", id: "p1" });
    expect(parseServerFrame('{"type":"result","id":2,"data":{"projects":[]}}')).toEqual({
      type: "result",
      id: 2,
      data: { projects: [] },
    });
    expect(
      parseServerFrame('{"type":"event","event":"progress","data":{"task":"t","label":"Indexing","done":3,"total":null}}'),
    ).toEqual({ type: "event", event: "progress", data: { task: "t", label: "Indexing", done: 3, total: null } });
    expect(parseServerFrame('{"type":"error","id":null,"code":"bad_frame","message":"m"}').type).toBe("error");
  });

  it("rejects malformed frames", () => {
    for (const bad of [
      "not json",
      "[1]",
      '{"type":"hello","protocol":1}',
      '{"type":"hello","protocol":1,"server":"s","session":"x","heartbeat_ms":0}',
      '{"type":"event","event":"activity","data":{"ts":1}}',
      '{"type":"event","event":"mystery","data":{}}',
      '{"type":"result","id":{}}',
      '{"type":"unknown"}',
    ]) {
      expect(() => parseServerFrame(bad), bad).toThrow(FrameError);
    }
  });
});
