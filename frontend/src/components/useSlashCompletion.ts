import { useEffect, useMemo, useState, type KeyboardEvent } from "react";

import type { Api, SlashCommand } from "../lib/api";
import { completeCommands, completionKey, completionQuery, pickedDraft } from "../lib/slashCommands";
import { useCommandStore } from "../stores/useCommandStore";

export interface SlashCompletion {
  items: SlashCommand[];
  open: boolean;
  /** The highlighted item. */
  index: number;
  pick(index: number): void;
  /** Handles a key of the input while the list is open; true when it was the list's. */
  onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>): boolean;
}

/**
 * Completion of `/name` in the chat input. The project's commands are read when the
 * project changes, and again at the first "/" after something marked them stale (a
 * `/reload-commands`, or a read that failed).
 */
export function useSlashCompletion(
  api: Api,
  projectId: number | null,
  draft: string,
  setDraft: (text: string) => void,
  enabled: boolean,
  onError: (e: unknown) => void,
): SlashCompletion {
  const list = useCommandStore((s) => s.data);
  const stale = useCommandStore((s) => s.stale);
  const [highlight, setHighlight] = useState({ query: "", index: 0 });
  const [dismissed, setDismissed] = useState<string | null>(null);
  const slash = enabled && draft.startsWith("/");

  useEffect(() => {
    useCommandStore.getState().load(api, projectId).catch(onError);
  }, [api, projectId, onError]);

  useEffect(() => {
    if (slash && stale) useCommandStore.getState().load(api, projectId).catch(onError);
  }, [slash, stale, api, projectId, onError]);

  const query = enabled ? completionQuery(draft) : null;
  const items = useMemo(() => (query === null || !list ? [] : completeCommands(list.commands, query)), [list, query]);
  const open = items.length > 0 && draft !== dismissed;
  // A new query starts at the first item.
  const index = highlight.query === query ? Math.min(highlight.index, items.length - 1) : 0;

  const pick = (i: number) => {
    const command = items[i];
    if (command) setDraft(pickedDraft(command));
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!open) return false;
    const move = completionKey(e.key, e.shiftKey, index, items.length);
    if (!move) return false;
    e.preventDefault();
    if (move.type === "move") setHighlight({ query: query ?? "", index: move.index });
    else if (move.type === "pick") pick(move.index);
    else setDismissed(draft);
    return true;
  };

  return { items, open, index, pick, onKeyDown };
}
