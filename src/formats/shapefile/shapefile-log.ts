/**
 * One point shapefile layer as a `MachineLog`. The `.shp` and `.dbf` are streamed side by side,
 * record n of one with record n of the other, decoded with DataView and ASCII digit loops into
 * reused Float64Arrays; nothing holds more than a chunk of either file. Metadata (style, crop,
 * epoch) comes from the headers and the first record before any point is read.
 */
import { TextDecoder } from 'node:util';
import { MachineFileError, type FileEntry, type MachineLog, type PointBatch, type PropertyColumn, type ReadOptions } from '../machine-data.js';
import { parseAsciiNumber } from './ascii-number.js';
import { decodeColumn, decodePositions, parseFlag, plainPointRun, type ColumnPlan } from './point-block.js';
import { ByteCursor, readPrefix } from './byte-cursor.js';
import { detectColumnStyle, findColumn, operationTypeOf, resolveColumns, type ColumnStyle, type ResolvedColumn, type TimeRule } from './column-style.js';
import { COLUMN_STYLES } from './column-styles/index.js';
import { normaliseCropName } from './crop-name.js';
import { dbfEncoding, dbfHeaderLength, parseDbfHeader, type DbfField, type DbfHeader } from './dbf-header.js';
import { chooseEpoch, dateInName, epochSecondsToMs, type Epoch } from './epoch-seconds.js';
import { parseIsoTime } from './iso-time.js';
import { reprojectionFromPrj, type Reprojection } from './reprojection.js';
import { parseShpHeader, POINT_SHAPE_TYPES, SHAPE_TYPES, SHP_HEADER_LENGTH, type ShpHeader } from './shp-header.js';
import { batchOf as batchView, keepPlausiblePoints } from '../point-columns.js';

export interface ShapefileParts {
  readonly shp: FileEntry;
  readonly dbf: FileEntry | undefined;
  readonly shx: FileEntry | undefined;
  /** Contents of the .prj and .cpg, when present. */
  readonly prj: string | undefined;
  readonly cpg: string | undefined;
}

export const NO_PRJ_WARNING = 'no .prj: coordinates assumed to be WGS 84';

const DEFAULT_BATCH = 16_384;
/** A point record is at most 44 bytes; a multipoint of a million points is not a machine log. */
const MAX_RECORD_BYTES = 16 << 20;

/** Columns that are not in any style's table but still say when, when a style has no time rule that matches. */
const FALLBACK_TIME: readonly TimeRule[] = [
  { kind: 'iso', names: ['isotime', 'timestamp', 'datetime', 'date_time'] },
  { kind: 'epoch-seconds', names: ['time', 'gps_time', 'utc_time'] },
];

const NO_STYLE: ColumnStyle = { id: 'unknown', label: 'unrecognised columns', signature: [], columns: [], time: [] };

type TimePlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'epoch'; readonly field: DbfField; readonly epoch: Epoch; readonly reason: string }
  | { readonly kind: 'iso'; readonly field: DbfField }
  | { readonly kind: 'dataset-duration'; readonly dataset: DbfField; readonly duration: DbfField };

interface Layer {
  readonly name: string;
  readonly parts: ShapefileParts;
  readonly shp: ShpHeader;
  readonly dbf: DbfHeader;
  readonly decoder: TextDecoder;
  readonly columns: readonly ResolvedColumn[];
  readonly zElevation: boolean;
  readonly time: TimePlan;
  readonly reprojection: Reprojection;
}

/** Reads the headers and the first record and describes the layer; points stream later. */
export async function openShapefileLog(parts: ShapefileParts, name: string, options: ReadOptions = {}): Promise<MachineLog> {
  const shpPrefix = await readPrefix(parts.shp.stream(), SHP_HEADER_LENGTH);
  const shp = parseShpHeader(shpPrefix, name);
  if (!POINT_SHAPE_TYPES.has(shp.shapeType)) {
    throw new MachineFileError('no_machine_data', `${name}: a ${SHAPE_TYPES[shp.shapeType]} layer holds shapes (boundaries, zones), not logged machine points; expected a Point, PointZ, PointM or MultiPoint layer.`);
  }
  if (parts.shp.size < shp.fileLength) {
    throw new MachineFileError('corrupt_file', `${name}: the .shp header says the file is ${shp.fileLength} bytes long but it has ${parts.shp.size}; it is truncated. Export the layer again.`);
  }
  if (parts.dbf === undefined) {
    throw new MachineFileError('missing_file', `${name}: the .dbf beside the .shp is missing, and with it every value of the layer; upload the .shp, .shx, .dbf and .prj together.`);
  }
  const dbfPrefix = await readPrefix(parts.dbf.stream(), 1 << 16);
  const headerLength = dbfHeaderLength(dbfPrefix, name);
  const dbfBytes = headerLength <= dbfPrefix.length ? dbfPrefix : await readPrefix(parts.dbf.stream(), headerLength + 4096);
  const dbf = parseDbfHeader(dbfBytes, parts.dbf.size, name);
  if (parts.shx !== undefined) {
    const shxCount = (parts.shx.size - SHP_HEADER_LENGTH) / 8;
    if (shxCount !== dbf.recordCount) {
      throw new MachineFileError('corrupt_file', `${name}: the .shp has ${shxCount} records (per its .shx) but the .dbf has ${dbf.recordCount}; the files do not belong together or one is truncated.`);
    }
  }
  const decoder = new TextDecoder(dbfEncoding(parts.cpg, dbf.languageDriver));
  const firstRecord = await readFirstRecord(parts.dbf, dbf);
  const text = (field: DbfField | undefined): string => (field === undefined || firstRecord === null ? '' : cleanText(decoder.decode(firstRecord.subarray(field.offset, field.offset + field.length))));

  const names = dbf.fields.map((f) => f.name);
  const lower = names.map((n) => n.toLowerCase());
  const style = detectColumnStyle(COLUMN_STYLES, names) ?? NO_STYLE;
  const fieldOf = (candidates: readonly string[] | undefined): DbfField | undefined => {
    const index = findColumn(lower, candidates);
    return index < 0 ? undefined : dbf.fields[index];
  };
  const columns = resolveColumns(style, names).filter((c) => dbf.fields[c.index]!.type !== 'D' && dbf.fields[c.index]!.type !== 'other');
  const zElevation = shp.hasZ && !columns.some((c) => c.property === 'elevation');
  const operationType = operationTypeOf(columns.map((c) => c.property));

  const warnings: string[] = [];
  if (parts.prj === undefined) warnings.push(NO_PRJ_WARNING);
  for (const column of columns.filter((c) => c.assumedUnit)) warnings.push(`${column.fieldName}: the file does not state its unit; ${column.unit} assumed`);

  const hints = [...dateHints(dbf, firstRecord, decoder, fieldOf(style.dateHints))];
  const time = planTime([...style.time, ...FALLBACK_TIME], fieldOf, firstRecord, { dates: hints, writtenAt: dbf.lastUpdate, now: Date.now() });
  if (time.kind === 'none') warnings.push('no time column: points have no timestamps');

  const productName = text(fieldOf(style.product));
  const cropName = normaliseCropName(text(fieldOf(style.crop)));
  // Planted points need their crop as much as harvested ones (Leaf's `crop`* of both), but only a
  // column of its own names it: SMS's one `Product` column holds the hybrid in a planting layer.
  const cropField = fieldOf(style.crop);
  const cropOfPlanting = cropField !== undefined && cropField !== fieldOf(style.product) && cropField !== fieldOf(style.variety);
  const field = text(fieldOf(style.field)).replace(/^F\d+:/, '');
  const farm = text(fieldOf(style.farm));
  const grower = text(fieldOf(style.grower));

  const layer: Layer = { name, parts, shp, dbf, decoder, columns, zElevation, time, reprojection: reprojectionFromPrj(parts.prj, name) };
  const logColumns: PropertyColumn[] = columns.map((c) => ({ property: c.property, unit: c.unit }));
  if (zElevation) logColumns.push({ property: 'elevation', unit: 'm' });

  return {
    fileFormat: 'SHAPEFILE',
    name,
    operationType,
    ...((operationType === 'harvested' || (operationType === 'planted' && cropOfPlanting)) && cropName !== null ? { crop: [cropName] } : {}),
    ...(operationType === 'planted' && productName !== '' && fieldOf(style.variety) !== undefined ? { varieties: [productName] } : {}),
    ...(operationType === 'applied' && productName !== '' ? { products: [{ name: productName }] } : {}),
    ...(field !== '' || farm !== '' || grower !== ''
      ? { originalOperationData: { ...(field !== '' ? { originalOperationField: field } : {}), ...(farm !== '' ? { originalOperationFarm: farm } : {}), ...(grower !== '' ? { originalOperationGrower: grower } : {}) } }
      : {}),
    columns: logColumns,
    warnings,
    points: () => streamPoints(layer, warnings, options.batchSize ?? DEFAULT_BATCH),
  };
}

function cleanText(text: string): string {
  return text.replace(/\0/g, '').trim().replace(/^"(.*)"$/, '$1').trim();
}

async function readFirstRecord(entry: FileEntry, dbf: DbfHeader): Promise<Uint8Array | null> {
  const cursor = new ByteCursor(entry.stream());
  try {
    if (!(await cursor.fill(dbf.headerLength))) return null;
    cursor.pos += dbf.headerLength;
    // Deleted records first are rare; look a little further but never scan the table.
    for (let i = 0; i < Math.min(dbf.recordCount, 64); i++) {
      if (!(await cursor.fill(dbf.recordLength))) return null;
      const record = cursor.bytes.slice(cursor.pos, cursor.pos + dbf.recordLength);
      cursor.pos += dbf.recordLength;
      if (record[0] !== 0x2a) return record;
    }
    return null;
  } finally {
    await cursor.close();
  }
}

/** Calendar dates the first record carries: D columns, and dates inside load or dataset names. */
function* dateHints(dbf: DbfHeader, record: Uint8Array | null, decoder: TextDecoder, named: DbfField | undefined): Iterable<number> {
  if (record === null) return;
  for (const field of dbf.fields) {
    if (field.type !== 'D') continue;
    const value = parseDbfDate(record, field.offset);
    if (Number.isFinite(value)) yield value;
  }
  if (named !== undefined && named.type === 'C') {
    const text = decoder.decode(record.subarray(named.offset, named.offset + named.length));
    const inName = dateInName(text);
    if (inName !== null) yield inName;
    const iso = /(\d{4})[-/](\d{2})[-/](\d{2})/.exec(text);
    if (iso !== null) yield Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]));
  }
}

/** A dBASE D value, YYYYMMDD, as UTC midnight ms; NaN when blank or invalid. */
function parseDbfDate(bytes: Uint8Array, at: number): number {
  let y = 0;
  let m = 0;
  let d = 0;
  for (let i = 0; i < 8; i++) {
    const digit = bytes[at + i]! - 48;
    if (digit < 0 || digit > 9) return NaN;
    if (i < 4) y = y * 10 + digit;
    else if (i < 6) m = m * 10 + digit;
    else d = d * 10 + digit;
  }
  return m >= 1 && m <= 12 && d >= 1 && d <= 31 ? Date.UTC(y, m - 1, d) : NaN;
}

function planTime(
  rules: readonly TimeRule[],
  fieldOf: (names: readonly string[]) => DbfField | undefined,
  record: Uint8Array | null,
  hints: { dates: number[]; writtenAt: number | null; now: number },
): TimePlan {
  for (const rule of rules) {
    if (rule.kind === 'dataset-duration') {
      const dataset = fieldOf(rule.dataset);
      const duration = fieldOf(rule.duration);
      if (dataset !== undefined && duration !== undefined && dataset.type === 'C') return { kind: 'dataset-duration', dataset, duration };
      continue;
    }
    const field = fieldOf(rule.names);
    if (field === undefined) continue;
    if (rule.kind === 'iso') {
      if (field.type === 'C') return { kind: 'iso', field };
      continue;
    }
    if (field.type !== 'N' && field.type !== 'F') continue;
    const sample = record === null ? NaN : parseAsciiNumber(record, field.offset, field.offset + field.length);
    // Plain seconds of day or small counters are not epoch times.
    if (!(sample > 1e8)) continue;
    const choice = chooseEpoch(sample, hints);
    return { kind: 'epoch', field, epoch: choice.epoch, reason: choice.reason };
  }
  return { kind: 'none' };
}

/** Text columns decoded only when their bytes change (dataset names repeat for thousands of records). */
class ChangingText {
  private last = new Uint8Array(0);
  private lastView = new DataView(this.last.buffer);
  value = '';
  constructor(private readonly decoder: TextDecoder) {}
  update(bytes: Uint8Array, start: number, length: number): boolean {
    if (this.same(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), start, length)) return false;
    this.change(bytes, start, length);
    return true;
  }

  /** Whether `view`'s bytes at `start` are the last value's, compared four at a time. */
  same(view: DataView, start: number, length: number): boolean {
    const last = this.lastView;
    if (last.byteLength !== length) return false;
    let i = 0;
    for (; i + 4 <= length; i += 4) if (last.getUint32(i) !== view.getUint32(start + i)) return false;
    for (; i < length; i++) if (last.getUint8(i) !== view.getUint8(start + i)) return false;
    return true;
  }

  change(bytes: Uint8Array, start: number, length: number): void {
    // A copy: `slice` of a Node Buffer (what file chunks are) would be a view of the whole chunk.
    this.last = new Uint8Array(bytes.subarray(start, start + length));
    this.lastView = new DataView(this.last.buffer);
    this.value = this.decoder.decode(this.last);
  }
}

/** Each record's time by the layer's plan, in record order (the Ag Leader SMS running duration counts every point record). */
class RecordClock {
  private readonly dataset: ChangingText;
  private datasetStart = NaN;
  private elapsed = 0;
  constructor(private readonly time: TimePlan, decoder: TextDecoder) {
    this.dataset = new ChangingText(decoder);
  }

  /** The time of the .dbf record at `base`, epoch ms or NaN. */
  at(bytes: Uint8Array, base: number): number {
    const time = this.time;
    if (time.kind === 'epoch') {
      const seconds = parseAsciiNumber(bytes, base + time.field.offset, base + time.field.offset + time.field.length);
      return time.epoch === 'unix' ? seconds * 1000 : epochSecondsToMs(seconds, 'gps');
    }
    if (time.kind === 'iso') return parseIsoTime(bytes, base + time.field.offset, base + time.field.offset + time.field.length);
    if (time.kind === 'dataset-duration') {
      if (this.dataset.update(bytes, base + time.dataset.offset, time.dataset.length)) {
        this.datasetStart = dateInName(this.dataset.value) ?? NaN;
        this.elapsed = 0;
      }
      const duration = parseAsciiNumber(bytes, base + time.duration.offset, base + time.duration.offset + time.duration.length);
      if (duration > 0) this.elapsed += duration;
      return this.datasetStart + this.elapsed * 1000;
    }
    return NaN;
  }

  /** The times of `count` consecutive records from `base` into `out` from `n`. */
  fill(bytes: Uint8Array, base: number, recordLength: number, count: number, out: Float64Array, n: number): void {
    const time = this.time;
    if (time.kind === 'none') out.fill(NaN, n, n + count);
    else if (time.kind === 'dataset-duration') this.fillRunning(bytes, base, recordLength, count, out, n, time.dataset, time.duration);
    else for (let i = 0; i < count; i++, base += recordLength) out[n + i] = this.at(bytes, base);
  }

  /** `at` for the dataset-duration plan, a block at a time (the dataset name repeats for thousands of records). */
  private fillRunning(bytes: Uint8Array, base: number, recordLength: number, count: number, out: Float64Array, n: number, dataset: DbfField, duration: DbfField): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let start = this.datasetStart;
    let elapsed = this.elapsed;
    for (let i = 0; i < count; i++, base += recordLength) {
      if (!this.dataset.same(view, base + dataset.offset, dataset.length)) {
        this.dataset.change(bytes, base + dataset.offset, dataset.length);
        start = dateInName(this.dataset.value) ?? NaN;
        elapsed = 0;
      }
      const seconds = parseAsciiNumber(bytes, base + duration.offset, base + duration.offset + duration.length);
      if (seconds > 0) elapsed += seconds;
      out[n + i] = start + elapsed * 1000;
    }
    this.datasetStart = start;
    this.elapsed = elapsed;
  }
}

async function* streamPoints(layer: Layer, warnings: string[], batchSize: number): AsyncGenerator<PointBatch> {
  const { name, dbf, columns, time, reprojection } = layer;
  const size = Math.max(1, Math.floor(batchSize));
  const lon = new Float64Array(size);
  const lat = new Float64Array(size);
  const times = new Float64Array(size);
  const values = columns.map(() => new Float64Array(size));
  if (layer.zElevation) values.push(new Float64Array(size));
  const rawX = reprojection.identity ? lon : new Float64Array(size);
  const rawY = reprojection.identity ? lat : new Float64Array(size);
  const columnCount = columns.length;
  const plan: ColumnPlan = {
    offsets: Int32Array.from(columns, (c) => dbf.fields[c.index]!.offset),
    lengths: Int32Array.from(columns, (c) => dbf.fields[c.index]!.length),
    flags: Uint8Array.from(columns, (c) => (c.kind === 'flag' || dbf.fields[c.index]!.type === 'L' ? 1 : 0)),
    scales: Float64Array.from(columns, (c) => c.scale),
  };
  const { offsets, lengths, flags, scales } = plan;
  const elevation = layer.zElevation ? values[columnCount]! : null;
  const scratch = new Float64Array(values.length + 1);

  const shpCursor = new ByteCursor(layer.parts.shp.stream());
  const dbfCursor = new ByteCursor(layer.parts.dbf!.stream());
  let kept = 0;
  let dropped = 0;
  let nullShapes = 0;
  let deleted = 0;
  let firstDropped: [number, number] | null = null;
  const clock = new RecordClock(time, layer.decoder);

  /** Reprojects and drops absurd coordinates in place; returns how many points remain. */
  const settle = (count: number): number => {
    if (!reprojection.identity) {
      lon.set(rawX.subarray(0, count));
      lat.set(rawY.subarray(0, count));
      reprojection.project(lon, lat, count);
    }
    const out = keepPlausiblePoints(count, lon, lat, times, values, (i) => {
      dropped++;
      firstDropped ??= [rawX[i]!, rawY[i]!];
    });
    kept += out;
    return out;
  };
  const batchOf = (count: number): PointBatch => batchView(count, size, lon, lat, times, values);

  try {
    await shpCursor.fill(SHP_HEADER_LENGTH);
    shpCursor.pos += SHP_HEADER_LENGTH;
    if (!(await dbfCursor.fill(dbf.headerLength))) throw new MachineFileError('corrupt_file', `${name}: the .dbf ended inside its header.`);
    dbfCursor.pos += dbf.headerLength;
    const recordLength = dbf.recordLength;
    const layerType = layer.shp.shapeType;
    const singlePoints = layerType === 1 || layerType === 11 || layerType === 21;
    let n = 0;
    for (let record = 0; record < dbf.recordCount; record++) {
      if (singlePoints && shpCursor.end - shpCursor.pos >= 8) {
        const shpPos = shpCursor.pos;
        const length = shpCursor.view.getInt32(shpPos + 4, false) * 2;
        const run = length >= 20 && length <= MAX_RECORD_BYTES
          ? plainPointRun(shpCursor.view, shpPos, shpCursor.end, dbfCursor.bytes, dbfCursor.pos, dbfCursor.end, recordLength, layerType, length, Math.min(size - n, dbf.recordCount - record))
          : 0;
        if (run > 0) {
          const dbfPos = dbfCursor.pos;
          clock.fill(dbfCursor.bytes, dbfPos, recordLength, run, times, n);
          decodePositions(shpCursor.view, shpPos, length, run, rawX, rawY, elevation, n);
          for (let c = 0; c < columnCount; c++) decodeColumn(dbfCursor.bytes, dbfPos, recordLength, run, plan, c, values[c]!, n);
          shpCursor.pos += run * (8 + length);
          dbfCursor.pos += run * recordLength;
          record += run - 1;
          n += run;
          if (n === size) {
            const count = settle(n);
            n = 0;
            if (count > 0) yield batchOf(count);
          }
          continue;
        }
      }
      // The .shp record: 8-byte big-endian header, then the shape.
      if (shpCursor.end - shpCursor.pos < 8 && !(await shpCursor.fill(8))) {
        throw new MachineFileError('corrupt_file', `${name}: the .shp ends after ${record} records but the .dbf has ${dbf.recordCount}; the .shp is truncated or the files do not belong together.`);
      }
      const contentLength = shpCursor.view.getInt32(shpCursor.pos + 4, false) * 2;
      if (contentLength < 4 || contentLength > MAX_RECORD_BYTES) {
        throw new MachineFileError('corrupt_file', `${name}: .shp record ${record + 1} (byte ${shpCursor.offset}) declares ${contentLength} bytes of content; the file is corrupt.`);
      }
      if (shpCursor.end - shpCursor.pos < 8 + contentLength && !(await shpCursor.fill(8 + contentLength))) {
        throw new MachineFileError('corrupt_file', `${name}: the .shp is truncated inside record ${record + 1} of ${dbf.recordCount}.`);
      }
      if (dbfCursor.end - dbfCursor.pos < recordLength && !(await dbfCursor.fill(recordLength))) {
        throw new MachineFileError('corrupt_file', `${name}: the .dbf is truncated at record ${record + 1} of the ${dbf.recordCount} its header promises.`);
      }
      const view = shpCursor.view;
      const at = shpCursor.pos + 8;
      shpCursor.pos += 8 + contentLength;
      const bytes = dbfCursor.bytes;
      const base = dbfCursor.pos;
      dbfCursor.pos += recordLength;
      const shapeType = view.getInt32(at, true);
      if (shapeType !== layerType && shapeType !== 0) {
        throw new MachineFileError('corrupt_file', `${name}: .shp record ${record + 1} is a ${SHAPE_TYPES[shapeType] ?? `type ${shapeType}`} in a ${SHAPE_TYPES[layerType]} layer; the file is corrupt.`);
      }
      if (bytes[base] === 0x2a) {
        deleted++;
        continue;
      }
      if (shapeType === 0) {
        nullShapes++;
        continue;
      }

      // Time first: the Ag Leader SMS running duration must count every record.
      const t = clock.at(bytes, base);

      if (shapeType === 1 || shapeType === 11 || shapeType === 21) {
        if (contentLength < 20) throw new MachineFileError('corrupt_file', `${name}: .shp record ${record + 1} is ${contentLength} bytes, too short for a point.`);
        rawX[n] = view.getFloat64(at + 4, true);
        rawY[n] = view.getFloat64(at + 12, true);
        times[n] = t;
        for (let c = 0; c < columnCount; c++) {
          const start = base + offsets[c]!;
          const v = flags[c] === 0 ? parseAsciiNumber(bytes, start, start + lengths[c]!) : parseFlag(bytes, start, start + lengths[c]!);
          values[c]![n] = v * scales[c]!;
        }
        if (layer.zElevation) values[columnCount]![n] = contentLength >= 28 ? view.getFloat64(at + 20, true) : NaN;
        if (++n === size) {
          const count = settle(n);
          n = 0;
          if (count > 0) yield batchOf(count);
        }
        continue;
      }

      // MultiPoint, MultiPointZ, MultiPointM: every point, each with the record's values.
      const pointCount = contentLength >= 40 ? view.getInt32(at + 36, true) : -1;
      if (pointCount < 0 || 40 + 16 * pointCount > contentLength) {
        throw new MachineFileError('corrupt_file', `${name}: .shp record ${record + 1} declares ${pointCount} points in ${contentLength} bytes; the file is corrupt.`);
      }
      for (let c = 0; c < columnCount; c++) {
        const start = base + offsets[c]!;
        scratch[c] = (flags[c] === 0 ? parseAsciiNumber(bytes, start, start + lengths[c]!) : parseFlag(bytes, start, start + lengths[c]!)) * scales[c]!;
      }
      const zAt = at + 40 + 16 * pointCount + 16;
      const hasZ = layer.zElevation && zAt + 8 * pointCount <= at + contentLength;
      for (let p = 0; p < pointCount; p++) {
        rawX[n] = view.getFloat64(at + 40 + 16 * p, true);
        rawY[n] = view.getFloat64(at + 48 + 16 * p, true);
        times[n] = t;
        for (let c = 0; c < columnCount; c++) values[c]![n] = scratch[c]!;
        if (layer.zElevation) values[columnCount]![n] = hasZ ? view.getFloat64(zAt + 8 * p, true) : NaN;
        if (++n === size) {
          const count = settle(n);
          n = 0;
          if (count > 0) yield batchOf(count);
        }
      }
    }
    if (n > 0) {
      const count = settle(n);
      if (count > 0) yield batchOf(count);
    }
    if (!(await shpCursor.atEnd())) {
      throw new MachineFileError('corrupt_file', `${name}: the .shp has more records than the ${dbf.recordCount} of the .dbf; the files do not belong together or the .dbf is truncated.`);
    }
  } finally {
    await shpCursor.close();
    await dbfCursor.close();
  }

  if (deleted > 0) warnings.push(`${deleted} records marked deleted in the .dbf were skipped`);
  if (nullShapes > 0) warnings.push(`${nullShapes} records without a position (null shapes) were skipped`);
  if (dropped > 0) {
    const [x, y] = firstDropped!;
    const hint = layer.parts.prj === undefined ? ' There is no .prj: if the layer is projected (UTM metres, State Plane feet), add its .prj.' : ' Check the .prj.';
    const message = `${dropped} of ${dropped + kept} points have coordinates that are not plausible in ${reprojection.label} (e.g. ${x}, ${y}) and were dropped.`;
    if (kept === 0) throw new MachineFileError('corrupt_file', `${name}: every point's coordinates are outside the world in ${reprojection.label} (e.g. ${x}, ${y}).${hint}`);
    warnings.push(message + (dropped * 2 > dropped + kept ? hint : ''));
  }
  if (kept === 0 && dropped === 0) {
    throw new MachineFileError('no_machine_data', `${name}: the layer has no points with a position (${deleted} deleted records, ${nullShapes} null shapes).`);
  }
}
