/**
 * How long a failed job waits before its next attempt: exponential in the attempt number, capped,
 * with "equal jitter" (half fixed, half random) so jobs that failed together, e.g. when a provider
 * went down, do not all retry in the same instant, while each still waits at least half the step.
 */
export function backoffDelayMs(
  attempt: number,
  backoff: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
