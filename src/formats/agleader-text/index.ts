/**
 * @module Ag Leader comma-delimited yield text, the display's "comma delimited" export: headerless
 * (Longitude, Latitude, Flow lb/s, Time s, Cycles s, Distance in, Swath in, Moisture %, Status,
 * Pass, Serial, Field, Load, Grain type, GPS status, PDOP, Altitude ft) or with a header naming
 * the columns (University of Minnesota's `gartner.corn.csv`). Leaf's `fileFormat` is `CSV`: the
 * container, as `SHAPEFILE` names a container; Ag Leader's own `AGDATA` is a different, binary
 * format and must not be claimed by a text file.
 */
import { TextDecoder } from 'node:util';
import { MachineFileError, type DetectedDataset, type FileEntry, type MachineFormat, type MachineLog, type PointBatch, type ReadOptions } from '../machine-data.js';
import { parseAsciiNumber } from '../shapefile/ascii-number.js';
import { ByteCursor, readPrefix } from '../shapefile/byte-cursor.js';
import { resolveColumns, type ResolvedColumn } from '../shapefile/column-style.js';
import { agLeaderRaw } from '../shapefile/column-styles/ag-leader-raw.js';
import { normaliseCropName } from '../shapefile/crop-name.js';
import { chooseEpoch, dateInName, epochSecondsToMs, type Epoch } from '../shapefile/epoch-seconds.js';
import { MAX_FIELDS, splitLine } from './split-line.js';

/** The column order of the headerless export (Ag Leader yield monitor documentation). */
const HEADERLESS = ['longitude', 'latitude', 'flow', 'time', 'cycles', 'distance', 'swath', 'moisture', 'status', 'pass', 'serial', 'field', 'load', 'crop', 'gps', 'pdop', 'altitude'];
const MAX_LINE = 1 << 16;
const DEFAULT_BATCH = 16_384;

interface Layout {
  readonly header: boolean;
  readonly names: readonly string[];
}

function firstLine(prefix: Uint8Array): string {
  const text = new TextDecoder('latin1').decode(prefix);
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** The column layout the first line shows, or null when it is not an Ag Leader export. */
function layoutOf(line: string): Layout | null {
  const cells = line.split(',').map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
  if (['longitude', 'latitude', 'flow', 'time'].every((n) => cells.includes(n))) return { header: true, names: cells.map((c) => c.replace(/\s+/g, '_')) };
  if (cells.length < 14) return null;
  const [lon, lat, , time] = cells.map(Number);
  if (!(Math.abs(lon!) <= 180 && Math.abs(lat!) <= 90 && time! > 1e8 && Number.isInteger(time))) return null;
  return { header: false, names: HEADERLESS };
}

function fieldText(decoder: TextDecoder, bytes: Uint8Array, start: number, end: number): string {
  return decoder.decode(bytes.subarray(start, end)).trim().replace(/^"|"$/g, '');
}

async function openLog(entry: FileEntry, layout: Layout, options: ReadOptions): Promise<MachineLog> {
  const name = entry.path.split('/').pop()!;
  const names = layout.names;
  const columns = resolveColumns(agLeaderRaw, names);
  const lonIndex = names.indexOf('longitude');
  const latIndex = names.indexOf('latitude');
  const timeIndex = names.indexOf('time');
  const cropIndex = Math.max(names.indexOf('crop'), names.indexOf('grain_type'));
  const fieldIndex = names.indexOf('field');
  const loadIndex = Math.max(names.indexOf('load'), names.indexOf('load_name'));
  if (lonIndex < 0 || latIndex < 0) throw new MachineFileError('corrupt_file', `${name}: expected Longitude and Latitude columns in the Ag Leader export.`);

  // The first record names the crop and field, and dates the load for the epoch rule.
  const decoder = new TextDecoder('windows-1252');
  const prefix = await readPrefix(entry.stream(), MAX_LINE * 2);
  const lines = new TextDecoder('latin1').decode(prefix).split(/\r?\n/);
  const sample = lines[layout.header ? 1 : 0] ?? '';
  const sampleBytes = new TextEncoder().encode(sample);
  const starts = new Int32Array(MAX_FIELDS + 1);
  const ends = new Int32Array(MAX_FIELDS + 1);
  splitLine(sampleBytes, 0, sampleBytes.length, starts, ends);
  const text = (index: number) => (index < 0 ? '' : fieldText(decoder, sampleBytes, starts[index]!, ends[index]!));
  const seconds = timeIndex < 0 ? NaN : parseAsciiNumber(sampleBytes, starts[timeIndex]!, ends[timeIndex]!);
  const loadDate = dateInName(text(loadIndex));
  const epoch: Epoch = chooseEpoch(seconds, { dates: loadDate === null ? [] : [loadDate], writtenAt: null, now: Date.now() }).epoch;
  const crop = normaliseCropName(text(cropIndex));
  const field = text(fieldIndex).replace(/^F\d+:/, '');
  const warnings: string[] = [];
  if (timeIndex < 0) warnings.push('no time column: points have no timestamps');

  return {
    fileFormat: 'CSV',
    name,
    operationType: 'harvested',
    ...(crop !== null ? { crop: [crop] } : {}),
    ...(field !== '' ? { originalOperationData: { originalOperationField: field } } : {}),
    columns: columns.map((c) => ({ property: c.property, unit: c.unit })),
    warnings,
    points: () => streamPoints(entry, name, layout, columns, { lonIndex, latIndex, timeIndex, epoch }, warnings, options.batchSize ?? DEFAULT_BATCH),
  };
}

async function* streamPoints(
  entry: FileEntry,
  name: string,
  layout: Layout,
  columns: readonly ResolvedColumn[],
  at: { lonIndex: number; latIndex: number; timeIndex: number; epoch: Epoch },
  warnings: string[],
  batchSize: number,
): AsyncGenerator<PointBatch> {
  const size = Math.max(1, Math.floor(batchSize));
  const lon = new Float64Array(size);
  const lat = new Float64Array(size);
  const time = new Float64Array(size);
  const values = columns.map(() => new Float64Array(size));
  const starts = new Int32Array(MAX_FIELDS + 1);
  const ends = new Int32Array(MAX_FIELDS + 1);
  const minFields = Math.max(at.lonIndex, at.latIndex, at.timeIndex, ...columns.map((c) => c.index)) + 1;
  const cursor = new ByteCursor(entry.stream());
  const batchOf = (n: number): PointBatch =>
    n === size ? { length: n, lon, lat, time, values } : { length: n, lon: lon.subarray(0, n), lat: lat.subarray(0, n), time: time.subarray(0, n), values: values.map((v) => v.subarray(0, n)) };
  let n = 0;
  let line = 0;
  let kept = 0;
  let dropped = 0;
  let skipHeader = layout.header;
  try {
    for (;;) {
      let newline = cursor.bytes.indexOf(10, cursor.pos);
      if (newline < 0 || newline >= cursor.end) {
        const pending = cursor.end - cursor.pos;
        if (pending > MAX_LINE) throw new MachineFileError('corrupt_file', `${name}: line ${line + 1} is longer than ${MAX_LINE} bytes; this is not an Ag Leader text export.`);
        if (await cursor.fill(pending + 1)) continue;
        if (pending === 0) break;
        newline = cursor.end; // the last line has no newline
      }
      const bytes = cursor.bytes;
      const start = cursor.pos;
      const end = newline > start && bytes[newline - 1] === 13 ? newline - 1 : newline;
      cursor.pos = Math.min(newline + 1, cursor.end);
      line++;
      if (skipHeader) {
        skipHeader = false;
        continue;
      }
      if (end === start) continue;
      const count = splitLine(bytes, start, end, starts, ends);
      if (count < minFields) throw new MachineFileError('corrupt_file', `${name}: line ${line} has ${count} fields; the export's columns need ${minFields}.`);
      const x = parseAsciiNumber(bytes, starts[at.lonIndex]!, ends[at.lonIndex]!);
      const y = parseAsciiNumber(bytes, starts[at.latIndex]!, ends[at.latIndex]!);
      if (!(Math.abs(x) <= 180 && Math.abs(y) <= 90) || (x === 0 && y === 0)) {
        dropped++;
        continue;
      }
      lon[n] = x;
      lat[n] = y;
      const seconds = at.timeIndex < 0 ? NaN : parseAsciiNumber(bytes, starts[at.timeIndex]!, ends[at.timeIndex]!);
      time[n] = at.epoch === 'unix' ? seconds * 1000 : epochSecondsToMs(seconds, 'gps');
      for (let c = 0; c < columns.length; c++) {
        const column = columns[c]!;
        values[c]![n] = parseAsciiNumber(bytes, starts[column.index]!, ends[column.index]!) * column.scale;
      }
      kept++;
      if (++n === size) {
        yield batchOf(n);
        n = 0;
      }
    }
    if (n > 0) yield batchOf(n);
  } finally {
    await cursor.close();
  }
  if (dropped > 0 && kept === 0) throw new MachineFileError('corrupt_file', `${name}: none of the ${dropped} lines has a plausible longitude and latitude.`);
  if (dropped > 0) warnings.push(`${dropped} of ${dropped + kept} points have no plausible longitude/latitude and were dropped`);
  if (kept === 0) throw new MachineFileError('no_machine_data', `${name}: the export has no records.`);
}

const agLeaderText: MachineFormat = {
  id: 'agleader-text',
  fileFormat: 'CSV',
  async detect(files) {
    const found: DetectedDataset[] = [];
    // Ag Leader exports the same records as text and as a shapefile; where both sit side by side
    // (2007-basswood.txt beside 2007-basswood.shp) the shapefile is the one read, or the points
    // would be counted twice.
    const shapefiles = new Set(files.entries.filter((e) => /\.shp$/i.test(e.path)).map((e) => e.path.replace(/\.shp$/i, '').toLowerCase()));
    for (const entry of files.entries) {
      if (!/\.(txt|csv)$/i.test(entry.path) || entry.size === 0) continue;
      if (shapefiles.has(entry.path.replace(/\.(txt|csv)$/i, '').toLowerCase())) continue;
      if (layoutOf(firstLine(await readPrefix(entry.stream(), 4096))) !== null) found.push({ path: entry.path, fileFormat: 'CSV' });
    }
    return found;
  },
  async open(files, dataset, options = {}) {
    const entry = files.entries.find((e) => e.path === dataset.path);
    if (entry === undefined) throw new MachineFileError('missing_file', `${dataset.path}: the file is not in the file set.`);
    const layout = layoutOf(firstLine(await readPrefix(entry.stream(), 4096)));
    if (layout === null) throw new MachineFileError('unsupported_file_format', `${dataset.path}: the first line is not an Ag Leader comma-delimited record or header.`);
    return { logs: [await openLog(entry, layout, options)], boundaries: [] };
  },
};

export default agLeaderText;
