/**
 * Which period of a schedule a moment falls in. Periods sit on a grid anchored at the Unix epoch
 * (shifted by `offsetMs`), so every process computes the same period number without talking to
 * the others; the database then lets exactly one of them claim each number.
 */
export interface SchedulePeriod {
  /** Period number: increases by one each period, the same in every process. */
  index: number;
  startsAt: number;
  /** Start of the next period, when the scheduler should look again. */
  nextAt: number;
}

export function schedulePeriod(now: number, everyMs: number, offsetMs = 0): SchedulePeriod {
  const index = Math.floor((now - offsetMs) / everyMs);
  const startsAt = index * everyMs + offsetMs;
  return { index, startsAt, nextAt: startsAt + everyMs };
}
