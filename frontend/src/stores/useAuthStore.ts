import { create } from "zustand";

import { forgetToken, fragmentWithoutToken, resolveToken, type TokenStorage } from "../lib/token";

export type AuthStatus = "unknown" | "ok" | "missing" | "rejected";

interface AuthState {
  token: string | null;
  status: AuthStatus;
  message: string | null;
  /** Reads the token from the fragment or storage; returns the fragment to show instead. */
  init(hash: string, storage: TokenStorage): string;
  /** The server refused the token (401). */
  reject(message: string, storage: TokenStorage): void;
}

export const useAuthStore = create<AuthState>((set) => ({
  token: null,
  status: "unknown",
  message: null,
  init(hash, storage) {
    const token = resolveToken(hash, storage);
    set({ token, status: token ? "ok" : "missing", message: null });
    return fragmentWithoutToken(hash);
  },
  reject(message, storage) {
    forgetToken(storage);
    set({ token: null, status: "rejected", message });
  },
}));
