/**
 * Polls `probe` until it returns a value other than `undefined`/`false`, or fails after
 * `timeoutMs` naming what it waited for: tests wait exactly as long as the condition needs.
 */
export async function waitFor<R>(
  what: string,
  probe: () => Promise<R | undefined | false> | R | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<R> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(options.intervalMs ?? 20);
  }
}

/** For asserting that something does not happen within a window; prefer `waitFor` otherwise. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
