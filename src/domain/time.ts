/** The one text form of a stored time: ISO-8601 UTC with milliseconds, which sorts as text. */
export function nowIso(clock: () => number = Date.now): string {
  return new Date(clock()).toISOString();
}
