import { useConnectionStore } from "../stores/useConnectionStore";

export function StatusBar({ error }: { error: string | null }) {
  const { state, retryInMs, protocol } = useConnectionStore();
  const label =
    state === "open"
      ? `connected (protocol ${protocol ?? "?"})`
      : state === "reconnecting"
        ? `reconnecting in ${Math.ceil((retryInMs ?? 0) / 1000)} s`
        : state;
  return (
    <footer className="status-bar">
      <span className={`dot dot-${state}`} />
      <span data-testid="connection-state" data-state={state}>
        {label}
      </span>
      {error && <span className="status-error">{error}</span>}
    </footer>
  );
}
