/** The chat's place in the layout. Chat itself arrives with the LLM layer. */
export function ChatPanel() {
  return (
    <div className="panel-body pad muted" aria-label="Chat">
      Chat arrives with the LLM layer. Until then, browse files on the left; the activity
      panel below shows what the server is doing.
    </div>
  );
}
