/**
 * Comma-separated fields of one line, as byte ranges (no strings made). Fields may be quoted with
 * `"` (Ag Leader quotes its names: `"F28:ISU"`); a doubled quote inside stays as two bytes, which
 * only affects names, never numbers.
 */
export const MAX_FIELDS = 64;

/** Fills `starts`/`ends` with the fields of `bytes[start, end)`; returns how many there are. */
export function splitLine(bytes: Uint8Array, start: number, end: number, starts: Int32Array, ends: Int32Array): number {
  let count = 0;
  let i = start;
  while (count < MAX_FIELDS) {
    if (i < end && bytes[i] === 34) {
      let close = i + 1;
      while (close < end && !(bytes[close] === 34 && bytes[close + 1] !== 34)) close += bytes[close] === 34 ? 2 : 1;
      starts[count] = i + 1;
      ends[count] = Math.min(close, end);
      count++;
      i = close + 1;
      while (i < end && bytes[i] !== 44) i++;
    } else {
      let comma = i;
      while (comma < end && bytes[comma] !== 44) comma++;
      starts[count] = i;
      ends[count] = comma;
      count++;
      i = comma;
    }
    if (i >= end) break;
    i++; // past the comma
    if (i === end) {
      starts[count] = ends[count] = end;
      count++;
      break;
    }
  }
  return count;
}
