// Slash command completion in the chat input: which commands a draft completes to, and
// what a key does while the list is open. Pure, so the panel only draws and wires.

import type { SlashCommand } from "./api";

/**
 * What follows the slash while the draft is a command name being typed (`/gi` gives
 * `gi`); null once there is a space (the arguments begin) or no leading slash.
 */
export function completionQuery(draft: string): string | null {
  const match = /^\/(\S*)$/.exec(draft);
  return match ? match[1] : null;
}

/**
 * The commands a query completes to: names that start with it, then names that contain
 * it, each group in the server's order (built-ins first). Shadowed commands cannot be
 * run by their name, so they are left out.
 */
export function completeCommands(commands: SlashCommand[], query: string): SlashCommand[] {
  const q = query.toLowerCase();
  const runnable = commands.filter((c) => c.shadowed_by === null);
  const starts = runnable.filter((c) => c.name.toLowerCase().startsWith(q));
  const contains = runnable.filter((c) => !c.name.toLowerCase().startsWith(q) && c.name.toLowerCase().includes(q));
  return [...starts, ...contains];
}

/** The draft after picking a command: its name and a space, ready for arguments. */
export function pickedDraft(command: SlashCommand): string {
  return `/${command.name} `;
}

export type CompletionMove = { type: "move"; index: number } | { type: "pick"; index: number } | { type: "close" };

/**
 * What a key does in an open list of `count` items with `index` highlighted; null: the
 * key is the input's (Shift+Enter still adds a line, Shift+Tab still leaves).
 */
export function completionKey(key: string, shiftKey: boolean, index: number, count: number): CompletionMove | null {
  if (count <= 0) return null;
  const current = Math.min(Math.max(index, 0), count - 1);
  switch (key) {
    case "ArrowDown":
      return { type: "move", index: (current + 1) % count };
    case "ArrowUp":
      return { type: "move", index: (current - 1 + count) % count };
    case "Tab":
    case "Enter":
      return shiftKey ? null : { type: "pick", index: current };
    case "Escape":
      return { type: "close" };
    default:
      return null;
  }
}
