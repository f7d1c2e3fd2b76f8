/**
 * ISO 8601 timestamps from ASCII bytes ("2019-10-05T15:23:11.250Z", "2019-10-05 15:23:11-05:00"),
 * one per record in John Deere and Climate exports, parsed without making a string. A time
 * without a zone is taken as UTC (the exports write UTC; a local time would need the field's
 * time zone, which the file does not carry). Other spellings fall back to `Date.parse`.
 */
function digits(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  return value;
}

/** Milliseconds since the Unix epoch for the timestamp in `bytes[start, end)`; NaN when there is none. */
export function parseIsoTime(bytes: Uint8Array, start: number, end: number): number {
  let s = start;
  while (s < end && bytes[s] === 32) s++;
  let e = end;
  while (e > s && (bytes[e - 1] === 32 || bytes[e - 1] === 0)) e--;
  if (e - s < 19 || bytes[s + 4] !== 45 || bytes[s + 7] !== 45 || bytes[s + 13] !== 58 || bytes[s + 16] !== 58) return parseSlow(bytes, s, e);
  const sep = bytes[s + 10];
  if (sep !== 84 && sep !== 32 && sep !== 116) return parseSlow(bytes, s, e);
  let ms = Date.UTC(digits(bytes, s, 4), digits(bytes, s + 5, 2) - 1, digits(bytes, s + 8, 2), digits(bytes, s + 11, 2), digits(bytes, s + 14, 2), digits(bytes, s + 17, 2));
  let i = s + 19;
  if (i < e && bytes[i] === 46) {
    let scale = 100;
    for (i++; i < e && bytes[i]! >= 48 && bytes[i]! <= 57; i++) {
      ms += (bytes[i]! - 48) * scale;
      scale /= 10;
    }
  }
  if (i === e || bytes[i] === 90 || bytes[i] === 122) return i === e || i + 1 === e ? ms : parseSlow(bytes, s, e);
  const sign = bytes[i] === 43 ? 1 : bytes[i] === 45 ? -1 : 0;
  if (sign === 0) return parseSlow(bytes, s, e);
  const hours = digits(bytes, i + 1, 2);
  const minutes = e - (i + 3) >= 2 ? digits(bytes, bytes[i + 3] === 58 ? i + 4 : i + 3, 2) : 0;
  return ms - sign * (hours * 60 + minutes) * 60_000;
}

function parseSlow(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start) return NaN;
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/i.test(text);
  return Date.parse(hasZone || !/\d:\d\d/.test(text) ? text : `${text}Z`);
}
