import { describe, expect, it } from "vitest";

import { connectionLabel } from "./connectionLabel";

describe("connectionLabel", () => {
  it("names each state as the status bar shows it", () => {
    expect(connectionLabel("connecting", null, null)).toBe("connecting");
    expect(connectionLabel("open", 1, null)).toBe("connected (protocol 1)");
    expect(connectionLabel("closed", 1, null)).toBe("disconnected");
  });

  it("counts whole seconds up to the next attempt", () => {
    expect(connectionLabel("reconnecting", 1, 14_200)).toBe("reconnecting in 15 s");
    expect(connectionLabel("reconnecting", 1, 500)).toBe("reconnecting in 1 s");
    expect(connectionLabel("reconnecting", 1, 0)).toBe("reconnecting");
    expect(connectionLabel("reconnecting", 1, -300)).toBe("reconnecting");
  });
});
