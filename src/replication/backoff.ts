/**
 * Pure reconnect back-off: capped exponential with "equal jitter" (half fixed, half random),
 * so a failing peer is retried no faster than minMs and never slower than maxMs, and many
 * diallers do not retry in lock-step.
 */

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

/** Delay before reconnect attempt number `attempt` (0 = first retry); random in [0, 1). */
export function backoffDelay(attempt: number, { minMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const half = exp / 2;
  return Math.max(minMs / 2, Math.min(maxMs, Math.round(half + random() * half)));
}
