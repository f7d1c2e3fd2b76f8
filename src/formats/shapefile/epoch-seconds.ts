/**
 * Yield monitors log time as whole seconds, but not all from the same epoch: the ISU STRIPS Ag
 * Leader files count from 1970-01-01 (Unix; checked against their local HOUR column), the
 * University of Minnesota Ag Leader CSV in agridat counts from the GPS epoch 1980-01-06 (its
 * 1004549898 is 2011-11-05, the documented harvest day, not 2001-10-31). The two readings of one
 * value are always 10 years apart, so a rule decides, in this order:
 *
 * 1. A calendar date the file carries elsewhere (a D column, `12/09/18` in a load or dataset
 *    name): the reading within 2 days of it wins.
 * 2. The date the table was written (dBASE header): a reading after it is impossible.
 * 3. A reading in the future is impossible.
 * 4. Otherwise Unix, unless the Unix reading falls before 2005-01-01 while the GPS one does not:
 *    GPS-second exports (Ag Leader's PF-series text) predate nothing else in this range, and
 *    Unix-time yield data from before 2005 is rarer than GPS-time data read as Unix.
 */
export type Epoch = 'unix' | 'gps';

export interface EpochChoice {
  readonly epoch: Epoch;
  readonly reason: string;
}

export interface EpochHints {
  /** Calendar dates the file carries, ms since the Unix epoch. */
  readonly dates: readonly number[];
  /** When the file says it was written, ms; null when it does not. */
  readonly writtenAt: number | null;
  readonly now: number;
}

const GPS_EPOCH_S = 315_964_800; // 1980-01-06T00:00:00Z
const DAY_MS = 86_400_000;
const UNIX_PLAUSIBLE_FROM = Date.UTC(2005, 0, 1);

/** UTC dates from which GPS time ran ahead of UTC by one more second (IERS Bulletin C). */
const LEAP_SECONDS = [
  [1981, 7], [1982, 7], [1983, 7], [1985, 7], [1988, 1], [1990, 1], [1991, 1], [1992, 7], [1993, 7], [1994, 7],
  [1996, 1], [1997, 7], [1999, 1], [2006, 1], [2009, 1], [2012, 7], [2015, 7], [2017, 1],
].map(([year, month]) => Date.UTC(year!, month! - 1, 1) / 1000);

/** Milliseconds since the Unix epoch, UTC, for `seconds` counted from `epoch`. */
export function epochSecondsToMs(seconds: number, epoch: Epoch): number {
  if (epoch === 'unix') return seconds * 1000;
  const approx = seconds + GPS_EPOCH_S;
  let leap = 0;
  while (leap < LEAP_SECONDS.length && approx - leap >= LEAP_SECONDS[leap]!) leap++;
  return (approx - leap) * 1000;
}

export function chooseEpoch(seconds: number, hints: EpochHints): EpochChoice {
  const unix = epochSecondsToMs(seconds, 'unix');
  const gps = epochSecondsToMs(seconds, 'gps');
  for (const date of hints.dates) {
    const unixNear = Math.abs(unix - date) <= 2 * DAY_MS;
    const gpsNear = Math.abs(gps - date) <= 2 * DAY_MS;
    if (unixNear !== gpsNear) return { epoch: unixNear ? 'unix' : 'gps', reason: `matches the date ${new Date(date).toISOString().slice(0, 10)} the file carries` };
  }
  if (hints.writtenAt !== null && gps > hints.writtenAt + DAY_MS && unix <= hints.writtenAt + DAY_MS) {
    return { epoch: 'unix', reason: `as GPS time it would be after the file was written (${new Date(hints.writtenAt).toISOString().slice(0, 10)})` };
  }
  if (gps > hints.now) return { epoch: 'unix', reason: 'as GPS time it would be in the future' };
  if (unix < UNIX_PLAUSIBLE_FROM) return { epoch: 'gps', reason: `as Unix time it would be ${new Date(unix).toISOString().slice(0, 10)}, before 2005` };
  return { epoch: 'unix', reason: 'plausible as Unix time' };
}

/**
 * A calendar date inside free text, as Ag Leader writes load and dataset names
 * ("L0:12/09/18-19:52:15", "13/09/30-16:45:42 (serial)"): yy/mm/dd. Null when there is none.
 */
export function dateInName(text: string): number | null {
  const match = /(\d{2})\/(\d{2})\/(\d{2})[-\s]?(\d{2}):(\d{2}):(\d{2})/.exec(text);
  if (match === null) return null;
  const [, yy, mm, dd, h, m, s] = match.map(Number) as [number, number, number, number, number, number, number];
  if (mm < 1 || mm > 12 || dd < 1 || dd > 31 || h > 23 || m > 59 || s > 59) return null;
  // Ag Leader writes these names in UTC: STRIPS 2012's load "12/09/18-19:52:15" opens 6 minutes
  // before its first record at 1347998285 = 19:58:05Z (local time was 14:52 CDT).
  return Date.UTC(2000 + yy, mm - 1, dd, h, m, s);
}
