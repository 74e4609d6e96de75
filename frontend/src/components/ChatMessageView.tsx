import { useMemo } from "react";

import { citedItem, itemTarget } from "../lib/chatContext";
import { answerMeta, type ChatMessage } from "../stores/useChatStore";
import { ContextList } from "./ContextList";
import { Markdown, type Citations } from "./Markdown";

/**
 * One question or answer; a grounded answer's [n] markers and context list open files.
 * `focused` marks the message a memory source opened the chat at.
 */
export function ChatMessageView({ message: m, onOpen, focused = false }: { message: ChatMessage; onOpen(path: string, line: number): void; focused?: boolean }) {
  const context = m.context;
  const citations = useMemo<Citations | undefined>(() => {
    if (!context) return undefined;
    return {
      item: (n) => citedItem(context, n),
      open: (n) => {
        const item = citedItem(context, n);
        const target = item && itemTarget(item);
        if (target) onOpen(target.path, target.line);
      },
    };
  }, [context, onOpen]);
  if (m.builtin) return <BuiltinOutput message={m} />;
  return (
    <div
      className={`chat-msg chat-${m.role}${focused ? " chat-focused" : ""}`}
      data-testid={m.role === "user" ? "chat-question" : "chat-answer"}
      data-status={m.status}
      data-message-id={m.id}
      data-focused={focused || undefined}
    >
      {m.role === "user" ? (
        <div className="chat-question-text">
          {m.command && (
            <span className="tag chat-command" data-testid="chat-command" title="A slash command: Mira sent what it expands to">
              /{m.command}
            </span>
          )}
          {m.text}
        </div>
      ) : (
        <Markdown text={m.text} citations={citations} />
      )}
      {m.status === "failed" && (
        <div className="chat-error" data-testid="chat-error" data-kind={m.errorKind}>
          {m.error}
        </div>
      )}
      {context && <ContextList context={context} onOpen={onOpen} />}
      {m.role === "assistant" && (
        <div className="chat-meta muted small" data-testid="chat-meta" title={m.route?.reason}>
          {answerMeta(m)}
        </div>
      )}
    </div>
  );
}

/** A built-in command's output: Mira's own answer, made without a model, marked as such. */
function BuiltinOutput({ message: m }: { message: ChatMessage }) {
  return (
    <div className="chat-msg chat-builtin" data-testid="chat-builtin" data-command={m.command}>
      <div className="chat-builtin-head small">Mira · /{m.command} · command output, no model call</div>
      <Markdown text={m.text} />
    </div>
  );
}
