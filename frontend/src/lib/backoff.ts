// Reconnect delays: exponential from a base, capped, with jitter so that many tabs
// reconnecting after a server restart do not arrive at once.

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Fraction of the delay that is randomised, 0 to 1. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 15_000, jitter: 0.2 };

/** Delay before reconnect attempt `attempt` (0 for the first). `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponential = options.baseMs * 2 ** Math.max(0, attempt);
  const capped = Math.min(options.capMs, exponential);
  const spread = capped * options.jitter;
  return Math.round(capped - spread + random() * spread);
}
