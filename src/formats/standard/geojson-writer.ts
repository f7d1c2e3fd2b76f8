/**
 * Writes standardGeojson (research/leaf-api.md 7.5) to a sink in ~1 MiB UTF-8 chunks, straight from
 * the columnar batches: numbers and timestamps are formatted into the byte buffer by hand and the
 * parts every feature shares are encoded once, because a JSON.stringify per feature is what makes
 * GeoJSON writers slow. Coordinates get 8 decimals (about 1 mm), other values 6, trailing zeros
 * dropped; a missing value (NaN) leaves its property out of that feature.
 */
import type { StandardBatch, StandardField, StandardText } from './standardize.js';

/** Where output bytes go; a returned promise is awaited before the next chunk is built. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

/** Bytes per chunk handed to the sink: fewer, larger allocations (each fresh and zeroed) cost less per byte. */
const CHUNK_BYTES = 1024 * 1024;
const encoder = new TextEncoder();
// Copied into plain Uint8Arrays: what TextEncoder returns has another hidden class, which makes the copies polymorphic.
const bytes = (text: string) => Uint8Array.from(encoder.encode(text));

const COORDINATE_SCALE = 1e8;
const VALUE_SCALE = 1e6;
/** Largest scaled integer formatted by hand; beyond it (values over ~9e9) `String(value)` is exact enough. */
const MAX_EXACT = 2 ** 53;
/** Generous bound on the bytes one number takes. */
const NUMBER_BYTES = 32;

/** "00".."99" as byte pairs: two digits per division. */
const DIGIT_PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}
const scratch = new Uint8Array(24);

/** Writes a non-negative integer below 2^53; returns the new position. */
function writeUnsigned(buf: Uint8Array, pos: number, n: number): number {
  if (n < 2_147_483_648) return writeInt32(buf, pos, n | 0);
  let end = 24;
  while (n >= 100) {
    const q = Math.floor(n / 100);
    const r = (n - q * 100) * 2;
    scratch[--end] = DIGIT_PAIRS[r + 1]!;
    scratch[--end] = DIGIT_PAIRS[r]!;
    n = q;
  }
  if (n >= 10) {
    scratch[--end] = DIGIT_PAIRS[n * 2 + 1]!;
    scratch[--end] = DIGIT_PAIRS[n * 2]!;
  } else scratch[--end] = 48 + n;
  for (let k = end; k < 24; k++) buf[pos++] = scratch[k]!;
  return pos;
}

/** Writes a non-negative int32 with integer arithmetic (most values: V8 keeps it out of doubles). */
function writeInt32(buf: Uint8Array, pos: number, n: number): number {
  if (n < 10) {
    buf[pos] = 48 + n;
    return pos + 1;
  }
  if (n < 100) {
    buf[pos] = DIGIT_PAIRS[n << 1]!;
    buf[pos + 1] = DIGIT_PAIRS[(n << 1) + 1]!;
    return pos + 2;
  }
  const end = pos + (n < 1_000 ? 3 : n < 10_000 ? 4 : n < 100_000 ? 5 : n < 1_000_000 ? 6 : n < 10_000_000 ? 7 : n < 100_000_000 ? 8 : n < 1_000_000_000 ? 9 : 10);
  writeDigits(buf, end, n, end - pos);
  return end;
}

/** Writes the last `count` decimal digits of the int32 `n` (zero-padded) so they end before `end`. */
function writeDigits(buf: Uint8Array, end: number, n: number, count: number): void {
  let k = end;
  const stop = end - count;
  while (k - stop >= 2) {
    const q = (n / 100) | 0;
    const r = (n - q * 100) << 1;
    buf[--k] = DIGIT_PAIRS[r + 1]!;
    buf[--k] = DIGIT_PAIRS[r]!;
    n = q;
  }
  if (k > stop) buf[--k] = 48 + (n - ((n / 10) | 0) * 10);
}

/** Values too large for fixed decimals (and non-finite ones, as null): their shortest text. */
function writeText(buf: Uint8Array, pos: number, value: number): number {
  const text = Number.isFinite(value) ? String(value) : 'null';
  for (let k = 0; k < text.length; k++) buf[pos++] = text.charCodeAt(k);
  return pos;
}

/**
 * Writes `value` rounded to `decimals` places (`scale` = 10^decimals, at most 10^9) as a JSON
 * number; returns the new position. Exported for its tests.
 */
export function writeNumber(buf: Uint8Array, pos: number, value: number, scale: number, decimals: number): number {
  const v = value < 0 ? -value : value;
  const scaled = Math.round(v * scale);
  if (!(scaled < MAX_EXACT)) return writeText(buf, pos, value);
  if (value < 0 && scaled !== 0) buf[pos++] = 45; // '-'
  const whole = Math.floor(scaled / scale);
  // Below the scale, so an int32: the digit loops below stay in integer arithmetic.
  const fraction = (scaled - whole * scale) | 0;
  pos = whole < 2_147_483_648 ? writeInt32(buf, pos, whole | 0) : writeUnsigned(buf, pos, whole);
  if (fraction === 0) return pos;
  // All the decimals, then the trailing zeros dropped: cheaper than dividing them away first.
  buf[pos] = 46; // '.'
  let end = pos + 1 + decimals;
  writeDigits(buf, end, fraction, decimals);
  while (buf[end - 1] === 48) end--;
  return end;
}

/**
 * A constant piece of output, packed into little-endian 32-bit words: written four bytes per
 * `DataView.setInt32` (which V8 compiles to one store), not byte by byte. The last word may carry
 * up to three bytes of padding past the segment, which what follows overwrites.
 */
interface Segment {
  readonly words: Int32Array;
  readonly length: number;
}

function segment(text: string): Segment {
  const encoded = encoder.encode(text);
  const padded = new Uint8Array(Math.ceil(encoded.length / 4) * 4);
  padded.set(encoded);
  const view = new DataView(padded.buffer);
  const words = new Int32Array(padded.length / 4);
  for (let k = 0; k < words.length; k++) words[k] = view.getInt32(4 * k, true);
  return { words, length: encoded.length };
}

/** Writes `seg` at `pos` (with up to 3 bytes of padding after it); returns the position after it. */
function put(view: DataView, pos: number, seg: Segment): number {
  const words = seg.words;
  for (let k = 0; k < words.length; k++) view.setInt32(pos + 4 * k, words[k]!, true);
  return pos + seg.length;
}

/** Small copies: `Uint8Array.prototype.set` costs more than a loop for a few dozen bytes. */
function copy(buf: Uint8Array, pos: number, source: Uint8Array): number {
  const n = source.length;
  for (let k = 0; k < n; k++) buf[pos + k] = source[k]!;
  return pos + n;
}

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedDayStart = Number.NaN;
const cachedDate = new Uint8Array(11); // "YYYY-MM-DDT"

/** Writes epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.sssZ` (what `Date.prototype.toISOString` gives). */
export function writeTimestamp(buf: Uint8Array, pos: number, ms: number): number {
  const t = Math.floor(ms);
  // Consecutive points share their day: a range check instead of a division per point.
  const day = t >= cachedDayStart && t < cachedDayStart + DAY_MS ? cachedDay : Math.floor(t / DAY_MS);
  if (day !== cachedDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    if (iso.length !== 24) {
      // Years outside 0000-9999 have a longer form; rare enough to format the slow way.
      const text = new Date(t).toISOString();
      for (let k = 0; k < text.length; k++) buf[pos++] = text.charCodeAt(k);
      return pos;
    }
    for (let k = 0; k < 11; k++) cachedDate[k] = iso.charCodeAt(k);
    cachedDay = day;
    cachedDayStart = day * DAY_MS;
  }
  pos = copy(buf, pos, cachedDate);
  // Below a day's 86,400,000 ms: an int32, so the divisions below stay integer ones.
  let rest = (t - cachedDayStart) | 0;
  const hours = (rest / 3_600_000) | 0;
  rest -= hours * 3_600_000;
  const minutes = (rest / 60_000) | 0;
  rest -= minutes * 60_000;
  const seconds = (rest / 1000) | 0;
  const millis = rest - seconds * 1000;
  buf[pos] = DIGIT_PAIRS[hours * 2]!;
  buf[pos + 1] = DIGIT_PAIRS[hours * 2 + 1]!;
  buf[pos + 2] = 58;
  buf[pos + 3] = DIGIT_PAIRS[minutes * 2]!;
  buf[pos + 4] = DIGIT_PAIRS[minutes * 2 + 1]!;
  buf[pos + 5] = 58;
  buf[pos + 6] = DIGIT_PAIRS[seconds * 2]!;
  buf[pos + 7] = DIGIT_PAIRS[seconds * 2 + 1]!;
  buf[pos + 8] = 46;
  const m = (millis / 10) | 0;
  buf[pos + 9] = DIGIT_PAIRS[m * 2]!;
  buf[pos + 10] = DIGIT_PAIRS[m * 2 + 1]!;
  buf[pos + 11] = 48 + (millis - m * 10);
  buf[pos + 12] = 90; // 'Z'
  return pos + 13;
}

const HEADER = bytes('{"type":"FeatureCollection","features":[\n');
const FOOTER = bytes('\n]}\n');
const FEATURE_START = '{"type":"Feature","geometry":{"type":"Point","coordinates":[';
const FIRST_FEATURE = segment(FEATURE_START);
const NEXT_FEATURE = segment(`,\n${FEATURE_START}`);
const FEATURE_END = segment('}}');
const RECORDING_ON = segment(',"recordingStatus":"On"');
const RECORDING_OFF = segment(',"recordingStatus":"Off"');
/** Room for `put`'s padding after the last segment of a feature. */
const PADDING = 4;

/** Streams one log's points as a FeatureCollection. `start`, then `write` per batch, then `finish`. */
export class StandardGeojsonWriter {
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private features = 0;
  /** `]},"properties":{` and the properties every feature has, without and with the timestamp's opening. */
  private readonly properties: Segment;
  private readonly propertiesAndTime: Segment;
  private readonly names: Segment[];
  private readonly productRate?: { head: Segment; tail: Segment };
  private readonly maxFeatureBytes: number;
  private readonly integer: Uint8Array;
  private readonly appliedRateIndex: number;

  constructor(
    private readonly sink: ByteSink,
    private readonly fields: readonly StandardField[],
    text: StandardText,
  ) {
    const constant: Record<string, unknown> = { operationType: text.operationType };
    if (text.originalOperationType !== undefined) constant.originalOperationType = text.originalOperationType;
    if (text.crop !== undefined) constant.crop = text.crop;
    if (text.variety !== undefined) constant.variety = text.variety;
    if (text.products !== undefined && !text.productRateFromAppliedRate) constant.products = text.products;
    const properties = `]},"properties":{${JSON.stringify(constant).slice(1, -1)}`;
    this.properties = segment(properties);
    this.propertiesAndTime = segment(`${properties},"timestamp":"`);
    this.names = fields.map((f) => segment(`,${JSON.stringify(f.name)}:`));
    if (text.productRateFromAppliedRate && text.products !== undefined) {
      this.productRate = { head: segment(`,"products":[{"name":${JSON.stringify(text.products[0]!.name)},"rate":{"value":`), tail: segment('}}]') };
    }
    this.integer = Uint8Array.from(fields.map((f) => (f.integer ? 1 : 0)));
    this.appliedRateIndex = this.productRate === undefined ? -1 : fields.findIndex((f) => f.name === 'appliedRate');
    this.maxFeatureBytes = NEXT_FEATURE.length + FEATURE_END.length + this.propertiesAndTime.length +
      2 * NUMBER_BYTES + 40 + RECORDING_OFF.length +
      this.names.reduce((sum, name) => sum + name.length + NUMBER_BYTES, 0) +
      (this.productRate === undefined ? 0 : this.productRate.head.length + this.productRate.tail.length + NUMBER_BYTES) + PADDING;
  }

  /** Features written so far. */
  get count(): number {
    return this.features;
  }

  async start(): Promise<void> {
    this.newBuffer();
    this.buf.set(HEADER, 0);
    this.pos = HEADER.length;
  }

  /** Writes the points of `batch` whose `keep` entry is 1. */
  async write(batch: StandardBatch, keep: Uint8Array): Promise<void> {
    let next = 0;
    while (next < batch.length) {
      next = this.fill(batch, keep, next);
      if (this.pos > CHUNK_BYTES) await this.flush();
    }
  }

  /**
   * Formats points from `from` until the chunk is full or the batch ends; returns the next index.
   * Synchronous on purpose: an `await` inside this loop would keep its locals in a heap context.
   */
  private fill(batch: StandardBatch, keep: Uint8Array, from: number): number {
    const { lon, lat, time, values, recording } = batch;
    const fields = this.fields.length;
    const names = this.names;
    const integer = this.integer;
    const appliedRate = this.appliedRateIndex;
    const properties = this.properties;
    const propertiesAndTime = this.propertiesAndTime;
    const buf = this.buf;
    const view = this.view;
    let pos = this.pos;
    let features = this.features;
    let i = from;
    for (; i < batch.length && pos <= CHUNK_BYTES; i++) {
      if (keep[i] !== 1) continue;
      pos = put(view, pos, features++ > 0 ? NEXT_FEATURE : FIRST_FEATURE);
      pos = writeNumber(buf, pos, lon[i]!, COORDINATE_SCALE, 8);
      buf[pos++] = 44;
      pos = writeNumber(buf, pos, lat[i]!, COORDINATE_SCALE, 8);
      const t = time[i]!;
      if (t - t === 0) {
        pos = writeTimestamp(buf, put(view, pos, propertiesAndTime), t);
        buf[pos++] = 34;
      } else pos = put(view, pos, properties);
      const r = recording[i]!;
      if (r === 1) pos = put(view, pos, RECORDING_ON);
      else if (r === 0) pos = put(view, pos, RECORDING_OFF);
      for (let f = 0; f < fields; f++) {
        const v = values[f]![i]!;
        if (v !== v) continue; // NaN: missing
        pos = put(view, pos, names[f]!);
        pos = integer[f] === 1 ? writeNumber(buf, pos, v, 1, 0) : writeNumber(buf, pos, v, VALUE_SCALE, 6);
      }
      if (appliedRate >= 0) {
        const v = values[appliedRate]![i]!;
        if (v === v) {
          const { head, tail } = this.productRate!;
          pos = writeNumber(buf, put(view, pos, head), v, VALUE_SCALE, 6);
          pos = put(view, pos, tail);
        }
      }
      pos = put(view, pos, FEATURE_END);
    }
    this.pos = pos;
    this.features = features;
    return i;
  }

  async finish(): Promise<void> {
    this.buf.set(FOOTER, this.pos);
    this.pos += FOOTER.length;
    await this.flush();
  }

  private async flush(): Promise<void> {
    const chunk = this.buf.subarray(0, this.pos);
    // A fresh buffer per chunk: the sink may keep the chunk (a queue, a stream), so it is never reused.
    this.newBuffer();
    await this.sink.write(chunk);
  }

  private newBuffer(): void {
    this.buf = new Uint8Array(CHUNK_BYTES + this.maxFeatureBytes + HEADER.length + FOOTER.length);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }
}
