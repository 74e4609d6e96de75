import { useCallback, useEffect, useRef, useState } from "react";

import type { Api } from "../lib/api";
import type { AgentMode } from "../lib/protocol";
import { isActive, useAgentStore } from "../stores/useAgentStore";
import { useChatStore, type TierChoice } from "../stores/useChatStore";
import { useProjectStore } from "../stores/useProjectStore";
import { AgentRunView } from "./AgentRunView";
import { ChatHistory } from "./ChatHistory";
import { ChatMessageView } from "./ChatMessageView";
import { CheckpointList } from "./CheckpointList";
import { SLASH_LIST_ID, SlashCompletion, slashOptionId } from "./SlashCompletion";
import { useSlashCompletion } from "./useSlashCompletion";

const TIERS: TierChoice[] = ["auto", "fast", "voice", "thinker"];

/** A row of buttons of which one is on. */
function Switch<T extends string>({ value, options, label, onChange }: { value: T; options: [T, string][]; label: string; onChange(v: T): void }) {
  return (
    <span className="switch" role="group" aria-label={label}>
      {options.map(([v, text]) => (
        <button key={v} type="button" className={value === v ? "tab on" : "tab"} aria-pressed={value === v} data-testid={`mode-${v}`} onClick={() => onChange(v)}>
          {text}
        </button>
      ))}
    </span>
  );
}

/**
 * The chat: answers stream in as Markdown, grounded in the open project with their
 * context; in agent mode the composer starts an operation whose steps, changes and
 * questions stream in the same place.
 */
export function ChatPanel({ api, onError }: { api: Api; onError(e: unknown): void }) {
  const messages = useChatStore((s) => s.messages);
  const chatStreaming = useChatStore((s) => s.streamingId !== null);
  const connected = useChatStore((s) => s.send !== null);
  const tier = useChatStore((s) => s.tier);
  const model = useChatStore((s) => s.model);
  const grounded = useChatStore((s) => s.grounded);
  const panel = useChatStore((s) => s.panel);
  const focusId = useChatStore((s) => s.focusId);
  const runs = useAgentStore((s) => s.runs);
  const agentMode = useAgentStore((s) => s.mode);
  const projectId = useProjectStore((s) => s.selectedId);
  const [draft, setDraft] = useState("");
  const end = useRef<HTMLDivElement>(null);
  const log = useRef<HTMLDivElement>(null);
  const agent = panel === "agent";
  const agentRunning = runs.some(isActive);
  const busy = agent ? agentRunning : chatStreaming;
  // Slash commands are the chat's; an agent task is sent as written.
  const completion = useSlashCompletion(api, projectId, draft, setDraft, !agent, onError);

  useEffect(() => {
    // A conversation opened at a message (a memory source) shows that message, not the end.
    const focused = focusId === null ? null : log.current?.querySelector("[data-focused]");
    if (focused) focused.scrollIntoView?.({ block: "center" });
    else end.current?.scrollIntoView?.({ block: "end" });
  }, [messages, runs, panel, focusId]);

  const openAt = useCallback(
    (path: string, line: number) => {
      useProjectStore.getState().reveal(api, { path, line, column: 1 }).catch(onError);
    },
    [api, onError],
  );

  const submit = () => {
    if (!draft.trim() || busy) return;
    if (agent) {
      if (projectId === null) return;
      useAgentStore.getState().start(projectId, draft, tier);
    } else {
      const { selectedId, openFile, selection } = useProjectStore.getState();
      useChatStore.getState().ask(draft, { projectId: selectedId, file: openFile?.path ?? null, selection });
    }
    setDraft("");
  };

  const placeholder = !connected
    ? "Connecting..."
    : agent
      ? projectId === null
        ? "Open a project to run the agent"
        : "Give the agent a task..."
      : "Ask Mira... (/ for commands)";

  return (
    <div className="panel-body chat" aria-label="Chat">
      <div className="chat-modes">
        <Switch
          label="Mode"
          value={panel}
          options={[
            ["chat", "Chat"],
            ["agent", "Agent"],
          ]}
          onChange={(p) => useChatStore.getState().setPanel(p)}
        />
        {agent ? (
          <Switch<AgentMode>
            label="Agent mode"
            value={agentMode}
            options={[
              ["ask", "Ask"],
              ["auto", "Auto"],
            ]}
            onChange={(m) => useAgentStore.getState().setMode(m)}
          />
        ) : (
          <>
            <label className="small" title="Put what Mira knows about the open project in the prompt, with citations">
              <input type="checkbox" data-testid="chat-ground" checked={grounded} onChange={(e) => useChatStore.getState().setGrounded(e.target.checked)} /> ground
              in project
            </label>
            <ChatHistory api={api} onError={onError} />
          </>
        )}
      </div>
      <div ref={log} className="chat-log scroll" data-testid={agent ? "agent-log" : "chat-log"}>
        {agent ? (
          <>
            {projectId !== null && <CheckpointList projectId={projectId} connected={connected} />}
            {runs.length === 0 && (
              <p className="muted pad">
                Give the agent a task. In Ask mode each change waits for Apply or Reject; in Auto mode changes are applied as they come. Every change can be
                rewound from its checkpoint.
              </p>
            )}
            {runs.map((r) => (
              <AgentRunView key={r.requestId} run={r} />
            ))}
          </>
        ) : (
          <>
            {messages.length === 0 && <p className="muted pad">Ask about your code. Answers stream here; Enter sends, Shift+Enter adds a line.</p>}
            {messages.map((m) => (
              <ChatMessageView key={m.key} message={m} onOpen={openAt} focused={focusId !== null && m.id === focusId} />
            ))}
          </>
        )}
        <div ref={end} />
      </div>
      <form
        className="chat-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {completion.open && <SlashCompletion items={completion.items} index={completion.index} onPick={completion.pick} />}
        <textarea
          data-testid="chat-input"
          aria-label={agent ? "Task" : "Message"}
          aria-autocomplete={agent ? undefined : "list"}
          aria-controls={completion.open ? SLASH_LIST_ID : undefined}
          aria-activedescendant={completion.open ? slashOptionId(completion.index) : undefined}
          rows={2}
          value={draft}
          placeholder={placeholder}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (completion.onKeyDown(e)) return;
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <div className="chat-actions">
          <select aria-label="Tier" data-testid="chat-tier" value={tier} onChange={(e) => useChatStore.getState().setTier(e.target.value as TierChoice)}>
            {TIERS.map((t) => (
              <option key={t} value={t}>
                {t === "auto" ? "auto tier" : t}
              </option>
            ))}
          </select>
          {!agent && model !== null && (
            <span className="tag" data-testid="chat-model" title="Picked with /model for this chat; /model default, or a tier here, goes back to routing">
              model {model}
            </span>
          )}
          {busy ? (
            <button
              type="button"
              className="toggle"
              data-testid="chat-stop"
              onClick={() => (agent ? useAgentStore.getState().stop() : useChatStore.getState().stop())}
            >
              Stop
            </button>
          ) : (
            <button type="submit" className="toggle" data-testid="chat-send" disabled={!connected || !draft.trim() || (agent && projectId === null)}>
              {agent ? "Run" : "Send"}
            </button>
          )}
          <button
            type="button"
            className="link small"
            data-testid="chat-new"
            onClick={() => (agent ? useAgentStore.getState().clear() : useChatStore.getState().newChat())}
          >
            {agent ? "Clear" : "New chat"}
          </button>
        </div>
      </form>
    </div>
  );
}
