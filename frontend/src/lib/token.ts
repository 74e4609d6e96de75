// The access token arrives in the URL fragment (#token=...), which browsers never send
// to servers. It is kept in sessionStorage so a reload keeps working, and removed from
// the address bar so it does not end up in bookmarks or screenshots.

const STORAGE_KEY = "mira.token";

/** The token in a URL fragment such as `#token=abc` or `#a=1&token=abc`, if any. */
export function tokenFromFragment(hash: string): string | null {
  const fragment = hash.startsWith("#") ? hash.slice(1) : hash;
  const value = new URLSearchParams(fragment).get("token");
  return value && value.trim() !== "" ? value.trim() : null;
}

/** The fragment with the token removed ("" when nothing else remains). */
export function fragmentWithoutToken(hash: string): string {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  params.delete("token");
  const rest = params.toString();
  return rest === "" ? "" : `#${rest}`;
}

export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Takes the token from the fragment (and stores it), else from storage. */
export function resolveToken(hash: string, storage: TokenStorage): string | null {
  const fromUrl = tokenFromFragment(hash);
  if (fromUrl) {
    storage.setItem(STORAGE_KEY, fromUrl);
    return fromUrl;
  }
  return storage.getItem(STORAGE_KEY);
}

export function forgetToken(storage: TokenStorage): void {
  storage.removeItem(STORAGE_KEY);
}
