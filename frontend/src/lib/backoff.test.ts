import { describe, expect, it } from "vitest";

import { backoffDelay } from "./backoff";

const noJitter = { baseMs: 500, capMs: 15_000, jitter: 0 };

describe("backoffDelay", () => {
  it("doubles from the base and stops at the cap", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, noJitter))).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000,
    ]);
  });

  it("spreads delays within the jitter fraction below the nominal delay", () => {
    const options = { baseMs: 1000, capMs: 60_000, jitter: 0.2 };
    expect(backoffDelay(0, options, () => 0)).toBe(800);
    expect(backoffDelay(0, options, () => 0.999999)).toBe(1000);
    expect(backoffDelay(2, options, () => 0.5)).toBe(3600);
  });
});
