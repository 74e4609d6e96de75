import { useState } from "react";

import type { AgentEntry } from "../stores/useAgentStore";

type Ask = Extract<AgentEntry, { kind: "ask" }>;

/** The agent's question, with a box to answer it until it is answered. */
export function AskUser({ ask, onAnswer }: { ask: Ask; onAnswer?(text: string): void }) {
  const [draft, setDraft] = useState("");
  return (
    <div className="agent-ask" data-testid="agent-ask">
      <div className="agent-question">{ask.question}</div>
      {ask.answer !== null ? (
        <div className="chat-question-text" data-testid="agent-answer">
          {ask.answer}
        </div>
      ) : (
        onAnswer && (
          <form
            className="chat-actions"
            onSubmit={(e) => {
              e.preventDefault();
              if (draft.trim()) onAnswer(draft);
            }}
          >
            <input aria-label="Answer" data-testid="agent-answer-input" value={draft} onChange={(e) => setDraft(e.target.value)} />
            <button type="submit" className="toggle" disabled={!draft.trim()}>
              Answer
            </button>
          </form>
        )
      )}
    </div>
  );
}
