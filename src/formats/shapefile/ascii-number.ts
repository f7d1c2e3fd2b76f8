/**
 * Numbers straight from ASCII bytes, without making a string: dBASE stores every N and F value as
 * text, and a yield file has millions of them. The digits accumulate into an integer that is
 * divided once by an exact power of ten: correctly rounded, like `Number()`, up to 15 significant digits. GDAL
 * writes 17 ("152.754899999999992"); digits 16 to 30 go into a second integer, which costs at most
 * one unit in the last place against `Number()`. Exponents and decimal commas fall back to `Number()`.
 */
const POW10 = Array.from({ length: 40 }, (_, i) => 10 ** i);
const EXACT_DIGITS = 15;

/** The number in `bytes[start, end)`, NaN when blank or not a number (dBASE writes `*` on overflow). */
export function parseAsciiNumber(bytes: Uint8Array, start: number, end: number): number {
  // Fast path, small enough for V8 to inline into the reader's loop: what yield exports hold,
  // `   17.030` and the like, at most 15 digits (exact in a double) and nothing after but padding.
  let i = start;
  while (i < end && bytes[i] === 32) i++;
  let negative = false;
  if (bytes[i] === 45) {
    negative = true;
    i++;
  }
  let n = 0;
  let digits = 0;
  let point = -1;
  let c = 0;
  for (; i < end; i++) {
    c = bytes[i]!;
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      n = n * 10 + d;
      digits++;
    } else if (c === 46 && point < 0) point = digits;
    else break;
  }
  if (digits === 0 || digits > EXACT_DIGITS) return parseGeneral(bytes, start, end);
  for (; i < end; i++) {
    c = bytes[i]!;
    if (c !== 32 && c !== 0) return parseGeneral(bytes, start, end);
  }
  const value = point < 0 || point === digits ? n : n / POW10[digits - point]!;
  return negative ? -value : value;
}

/** Every other spelling: leading `+`, more than 15 digits, inner blanks, exponents, decimal commas. */
function parseGeneral(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && bytes[i] === 32) i++;
  if (i === end) return NaN;
  let negative = false;
  const first = bytes[i];
  if (first === 45) {
    negative = true;
    i++;
  } else if (first === 43) i++;
  let hi = 0; // the first 15 significant digits
  let count = 0;
  let lo = 0; // the next 15
  let loDigits = 0;
  let dropped = 0; // integer digits beyond 30: only their count matters
  let fractionDigits = 0;
  let inFraction = false;
  let any = false;
  for (; i < end; i++) {
    const c = bytes[i]!;
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      any = true;
      if (count < EXACT_DIGITS) {
        hi = hi * 10 + d;
        if (hi !== 0) count++;
        if (inFraction) fractionDigits++;
      } else if (loDigits < EXACT_DIGITS) {
        lo = lo * 10 + d;
        loDigits++;
        if (inFraction) fractionDigits++;
      } else if (!inFraction) dropped++;
    } else if (c === 46 && !inFraction) inFraction = true;
    else break;
  }
  if (i < end) {
    const c = bytes[i];
    // Left-aligned values end in padding; anything else (an exponent, a comma) takes the slow path.
    if (c !== 32 && c !== 0) return parseSlow(bytes, start, end);
    for (let k = i + 1; k < end; k++) if (bytes[k] !== 32 && bytes[k] !== 0) return NaN;
  }
  if (!any) return NaN;
  const scale = loDigits + dropped - fractionDigits;
  const mantissa = loDigits === 0 ? hi : hi + lo / POW10[loDigits]!;
  let value: number;
  if (scale >= 0) value = scale < 40 ? mantissa * POW10[scale]! : parseSlow(bytes, start, end);
  else value = scale >= -22 ? mantissa / POW10[-scale]! : parseSlow(bytes, start, end);
  return negative ? -value : value;
}

function parseSlow(bytes: Uint8Array, start: number, end: number): number {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
  text = text.replace(/\0/g, '').trim().replace(',', '.');
  if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return NaN;
  return Number(text);
}
