import { useEffect, useRef, useState } from "react";

import { answerMeta, useChatStore, type TierChoice } from "../stores/useChatStore";
import { Markdown } from "./Markdown";

const TIERS: TierChoice[] = ["auto", "fast", "voice", "thinker"];

/** The chat: answers stream in as Markdown; each says which model answered and its cost. */
export function ChatPanel() {
  const messages = useChatStore((s) => s.messages);
  const streaming = useChatStore((s) => s.streamingId !== null);
  const connected = useChatStore((s) => s.send !== null);
  const tier = useChatStore((s) => s.tier);
  const [draft, setDraft] = useState("");
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [messages]);

  const submit = () => {
    if (!draft.trim() || streaming) return;
    useChatStore.getState().ask(draft);
    setDraft("");
  };

  return (
    <div className="panel-body chat" aria-label="Chat">
      <div className="chat-log scroll" data-testid="chat-log">
        {messages.length === 0 && (
          <p className="muted pad">Ask about your code. Answers stream here; Enter sends, Shift+Enter adds a line.</p>
        )}
        {messages.map((m) => (
          <div
            key={m.key}
            className={`chat-msg chat-${m.role}`}
            data-testid={m.role === "user" ? "chat-question" : "chat-answer"}
            data-status={m.status}
          >
            {m.role === "user" ? <div className="chat-question-text">{m.text}</div> : <Markdown text={m.text} />}
            {m.status === "failed" && (
              <div className="chat-error" data-testid="chat-error" data-kind={m.errorKind}>
                {m.error}
              </div>
            )}
            {m.role === "assistant" && (
              <div className="chat-meta muted small" data-testid="chat-meta" title={m.route?.reason}>
                {answerMeta(m)}
              </div>
            )}
          </div>
        ))}
        <div ref={end} />
      </div>
      <form
        className="chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <textarea
          data-testid="chat-input"
          aria-label="Message"
          rows={2}
          value={draft}
          placeholder={connected ? "Ask Mira..." : "Connecting..."}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <div className="chat-actions">
          <select
            aria-label="Tier"
            data-testid="chat-tier"
            value={tier}
            onChange={(e) => useChatStore.getState().setTier(e.target.value as TierChoice)}
          >
            {TIERS.map((t) => (
              <option key={t} value={t}>
                {t === "auto" ? "auto tier" : t}
              </option>
            ))}
          </select>
          {streaming ? (
            <button type="button" className="toggle" data-testid="chat-stop" onClick={() => useChatStore.getState().stop()}>
              Stop
            </button>
          ) : (
            <button type="submit" className="toggle" data-testid="chat-send" disabled={!connected || !draft.trim()}>
              Send
            </button>
          )}
          <button type="button" className="link small" onClick={() => useChatStore.getState().newChat()}>
            New chat
          </button>
        </div>
      </form>
    </div>
  );
}
