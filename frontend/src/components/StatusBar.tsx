import { connectionLabel } from "../lib/connectionLabel";
import { useConnectionStore } from "../stores/useConnectionStore";
import { useNow } from "./useNow";

export function StatusBar({ error }: { error: string | null }) {
  const { state, retryAt, protocol } = useConnectionStore();
  const now = useNow(state === "reconnecting");
  const label = connectionLabel(state, protocol, retryAt === null ? null : retryAt - now);
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
