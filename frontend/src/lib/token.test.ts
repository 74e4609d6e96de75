import { describe, expect, it } from "vitest";

import { forgetToken, fragmentWithoutToken, resolveToken, tokenFromFragment, type TokenStorage } from "./token";

function memoryStorage(): TokenStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe("token", () => {
  it("reads the token from the fragment in any position", () => {
    expect(tokenFromFragment("#token=abc.def")).toBe("abc.def");
    expect(tokenFromFragment("#x=1&token=t0k")).toBe("t0k");
    expect(tokenFromFragment("#token=")).toBeNull();
    expect(tokenFromFragment("")).toBeNull();
  });

  it("removes only the token from the fragment", () => {
    expect(fragmentWithoutToken("#token=abc")).toBe("");
    expect(fragmentWithoutToken("#x=1&token=abc")).toBe("#x=1");
  });

  it("prefers the URL, stores it, and falls back to storage after a reload", () => {
    const storage = memoryStorage();
    expect(resolveToken("#token=first", storage)).toBe("first");
    expect(resolveToken("", storage)).toBe("first");
    expect(resolveToken("#token=second", storage)).toBe("second");
    forgetToken(storage);
    expect(resolveToken("", storage)).toBeNull();
  });
});
