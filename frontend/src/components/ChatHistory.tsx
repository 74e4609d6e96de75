import { useState } from "react";

import type { Api, ConversationSummary } from "../lib/api";
import { useChatStore } from "../stores/useChatStore";

/** Earlier conversations: listed when the picker is opened, one chosen is shown again. */
export function ChatHistory({ api, onError }: { api: Api; onError(e: unknown): void }) {
  const [list, setList] = useState<ConversationSummary[]>([]);
  const current = useChatStore((s) => s.conversationId);
  const streaming = useChatStore((s) => s.streamingId !== null);
  const refresh = () => {
    api.conversations().then(setList, onError);
  };
  return (
    <select
      aria-label="Earlier conversations"
      data-testid="chat-history"
      className="chat-history"
      value={current ?? ""}
      disabled={streaming}
      onFocus={refresh}
      onMouseDown={refresh}
      onChange={(e) => {
        const id = Number(e.target.value);
        if (!id) return;
        useChatStore.getState().open(api, id).catch(onError);
      }}
    >
      <option value="">History</option>
      {current !== null && !list.some((c) => c.id === current) && <option value={current}>this conversation</option>}
      {list.map((c) => (
        <option key={c.id} value={c.id}>
          {c.title || `conversation ${c.id}`}
        </option>
      ))}
    </select>
  );
}
