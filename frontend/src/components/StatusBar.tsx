import { connectionLabel } from "../lib/connectionLabel";
import { useConnectionStore } from "../stores/useConnectionStore";
import { useNow } from "./useNow";

export function StatusBar({ error }: { error: string | null }) {
  const { state, retryAt, since, protocol } = useConnectionStore();
  // The ticking clock may be up to a second old when a new countdown starts; the time of
  // the state change is never later than the real now, so the larger of the two is right.
  const ticking = useNow(state === "reconnecting");
  const now = Math.max(ticking, since);
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
