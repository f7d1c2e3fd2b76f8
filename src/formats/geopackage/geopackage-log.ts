/**
 * One point feature table of a GeoPackage as a `MachineLog`. Column names are matched against the
 * shapefile reader's export styles (the DIFM GeoPackages are Ag Leader SMS layers saved by GDAL,
 * with the same truncated names), so a name maps to the same property and unit in both readers.
 * Rows stream leaf page by leaf page into reused Float64Arrays; only the columns in use are read.
 */
import { MachineFileError, type MachineLog, type PointBatch, type PropertyColumn, type ReadOptions } from '../machine-data.js';
import { detectColumnStyle, findColumn, operationTypeOf, resolveColumns, type ColumnStyle, type ResolvedColumn } from '../shapefile/column-style.js';
import { COLUMN_STYLES } from '../shapefile/column-styles/index.js';
import { normaliseCropName } from '../shapefile/crop-name.js';
import { dateInName, epochSecondsToMs } from '../shapefile/epoch-seconds.js';
import { parseIsoTime } from '../shapefile/iso-time.js';
import { reprojectionFromPrj, type Reprojection } from '../shapefile/reprojection.js';
import type { EntryBytes } from './entry-bytes.js';
import type { FeatureLayer } from './gpkg-catalog.js';
import { decodePoints, NOT_POINTS, PointScratch } from './gpkg-geometry.js';
import { dateInText, FALLBACK_TIME, planTime, type TimePlan } from './gpkg-time.js';
import { scanTable } from './sqlite-btree.js';
import { PageReader, parseSqliteHeader, SQLITE_HEADER_LENGTH } from './sqlite-file.js';
import { RecordReader } from './sqlite-record.js';
import { batchOf as batchView, keepPlausiblePoints } from '../point-columns.js';

export const NO_SRS_WARNING = 'no coordinate system defined for the layer: coordinates assumed to be WGS 84';

const DEFAULT_BATCH = 16_384;
const NO_STYLE: ColumnStyle = { id: 'unknown', label: 'unrecognised columns', signature: [], columns: [], time: [] };
/** Declared types whose values are never numbers a machine logged. */
const NON_NUMERIC_TYPES = /^(BLOB|DATE|DATETIME)$/;

interface Plan {
  readonly name: string;
  readonly layer: FeatureLayer;
  readonly geometryIndex: number;
  readonly columns: readonly ResolvedColumn[];
  /** Record index of each column in `columns`. */
  readonly recordIndexes: readonly number[];
  readonly zElevation: boolean;
  readonly time: TimePlan;
  readonly reprojection: Reprojection;
  /** Values to decode per row: one past the highest record index in use. */
  readonly width: number;
}

/** Opens the database again for streaming: metadata reads and point reads do not share a handle. */
export async function openPages(bytes: EntryBytes, name: string): Promise<{ pages: PageReader; close(): void }> {
  const source = await bytes.open();
  try {
    const header = parseSqliteHeader(await source.read(0, SQLITE_HEADER_LENGTH), source.size, name);
    return { pages: new PageReader(source, header, name), close: () => source.close() };
  } catch (error) {
    source.close();
    throw error;
  }
}

/** The first row of the table, decoded, or null when the table is empty. */
async function firstRow(pages: PageReader, layer: FeatureLayer, width: number): Promise<RecordReader | null> {
  const record = new RecordReader(pages.header.encoding, pages.name);
  for await (const rows of scanTable(pages, layer.table.rootPage, layer.table.name)) {
    if (rows.count === 0) continue;
    // The page is reused by the scan: keep a copy of the row.
    const copy = rows.buffers[0]!.slice(rows.starts[0]!, rows.ends[0]!);
    record.decode(copy, 0, copy.length, width);
    return record;
  }
  return null;
}

function reprojectionOf(layer: FeatureLayer, name: string, warnings: string[]): Reprojection {
  const srs = layer.srs;
  // srs_id 0 and -1 are the spec's "undefined geographic" and "undefined cartesian".
  if (srs === null || layer.srsId === 0 || layer.srsId === -1 || srs.definition.trim() === '' || srs.definition.trim() === 'undefined') {
    warnings.push(NO_SRS_WARNING);
    return reprojectionFromPrj(undefined, name);
  }
  // GeoPackage stores x/y as easting/northing whatever the WKT's AXIS order says; proj4 would swap.
  const wkt = srs.definition.replace(/,\s*AXIS\s*\[\s*"[^"]*"\s*,\s*\w+\s*\]/gi, '');
  try {
    return reprojectionFromPrj(wkt, name);
  } catch (error) {
    throw new MachineFileError('corrupt_file', `${name}: the layer's coordinate system (srs_id ${layer.srsId}, ${srs.organization} ${srs.code}) has a definition proj4 cannot read; expected OGC WKT.`, { cause: error });
  }
}

export async function openGeoPackageLog(pages: PageReader, bytes: EntryBytes, layer: FeatureLayer, name: string, options: ReadOptions = {}): Promise<MachineLog> {
  const table = layer.table;
  const geometry = table.columns.find((c) => c.name.toLowerCase() === layer.geometryColumn.toLowerCase());
  if (geometry === undefined || geometry.recordIndex < 0) {
    throw new MachineFileError('corrupt_file', `${name}: gpkg_geometry_columns names the geometry column "${layer.geometryColumn}", which table ${table.name} does not have.`);
  }
  const attributes = table.columns.filter((c) => c !== geometry && !c.rowid && c.recordIndex >= 0);
  const names = attributes.map((c) => c.name);
  const lower = names.map((n) => n.toLowerCase());
  const style = detectColumnStyle(COLUMN_STYLES, names) ?? NO_STYLE;
  const columns = resolveColumns(style, names).filter((c) => !NON_NUMERIC_TYPES.test(attributes[c.index]!.type));
  const recordIndexes = columns.map((c) => attributes[c.index]!.recordIndex);
  const recordIndexOf = (candidates: readonly string[] | undefined): number => {
    const index = findColumn(lower, candidates);
    return index < 0 ? -1 : attributes[index]!.recordIndex;
  };
  const width = table.columns.reduce((max, c) => Math.max(max, c.recordIndex + 1), 0);
  const first = await firstRow(pages, layer, width);
  const text = (index: number): string => (index < 0 || first === null ? '' : (first.text(index) ?? '').trim());

  const warnings: string[] = [];
  const reprojection = reprojectionOf(layer, name, warnings);
  for (const column of columns.filter((c) => c.assumedUnit)) warnings.push(`${column.fieldName}: the file does not state its unit; ${column.unit} assumed`);

  const dates: number[] = [];
  for (const hint of style.dateHints ?? []) {
    const date = dateInText(text(recordIndexOf([hint])));
    if (date !== null) dates.push(date);
  }
  const time = planTime([...style.time, ...FALLBACK_TIME], recordIndexOf, first, { dates, writtenAt: layer.lastChange, now: Date.now() });
  if (time.kind === 'none') {
    const dateOnly = (style.dateHints ?? []).map((hint) => names[findColumn(lower, [hint])]).find((n) => n !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(text(recordIndexOf([n.toLowerCase()]))));
    warnings.push(
      dateOnly === undefined
        ? 'no time column: points have no timestamps'
        : `no time column: points have no timestamps (${dateOnly} holds only the date ${text(recordIndexOf([dateOnly.toLowerCase()]))}, no time of day)`,
    );
  }

  const zElevation = layer.z > 0 && !columns.some((c) => c.property === 'elevation');
  const operationType = operationTypeOf(columns.map((c) => c.property));
  const productName = text(recordIndexOf(style.product));
  const cropName = normaliseCropName(text(recordIndexOf(style.crop)));
  const field = text(recordIndexOf(style.field)).replace(/^F\d+:/, '');
  const farm = text(recordIndexOf(style.farm));
  const grower = text(recordIndexOf(style.grower));

  const logColumns: PropertyColumn[] = columns.map((c) => ({ property: c.property, unit: c.unit }));
  if (zElevation) logColumns.push({ property: 'elevation', unit: 'm' });
  const plan: Plan = {
    name,
    layer,
    geometryIndex: geometry.recordIndex,
    columns,
    recordIndexes,
    zElevation,
    time,
    reprojection,
    width: Math.max(width, 1),
  };

  return {
    fileFormat: 'GEOPACKAGE',
    name,
    operationType,
    ...(operationType === 'harvested' && cropName !== null ? { crop: [cropName] } : {}),
    ...(operationType === 'planted' && productName !== '' && recordIndexOf(style.variety) >= 0 ? { varieties: [productName] } : {}),
    ...(operationType === 'applied' && productName !== '' ? { products: [{ name: productName }] } : {}),
    ...(field !== '' || farm !== '' || grower !== ''
      ? { originalOperationData: { ...(field !== '' ? { originalOperationField: field } : {}), ...(farm !== '' ? { originalOperationFarm: farm } : {}), ...(grower !== '' ? { originalOperationGrower: grower } : {}) } }
      : {}),
    columns: logColumns,
    warnings,
    points: () => streamPoints(bytes, plan, warnings, options.batchSize ?? DEFAULT_BATCH),
  };
}

/** In/On/Yes/True/1 → 1, Out/Off/No/False/0 → 0, else NaN (the shapefile reader's flag rule, over SQLite values). */
function flagValue(record: RecordReader, index: number): number {
  if (!record.isText(index)) {
    const n = record.number(index);
    return Number.isNaN(n) ? NaN : n !== 0 ? 1 : 0;
  }
  const bytes = record.bytes;
  let i = record.offsets[index]!;
  const end = i + record.size(index);
  while (i < end && bytes[i] === 32) i++;
  if (i === end) return NaN;
  const a = bytes[i]! | 0x20;
  const b = i + 1 < end ? bytes[i + 1]! | 0x20 : 0x20;
  if (a === 0x31 || a === 0x79 || a === 0x74 || a === 0x69) return 1; // 1, y, t, in
  if (a === 0x30 || a === 0x6e || a === 0x66) return 0; // 0, n, f
  if (a === 0x6f) return b === 0x6e ? 1 : 0; // on / out, off
  return NaN;
}

async function* streamPoints(bytes: EntryBytes, plan: Plan, warnings: string[], batchSize: number): AsyncGenerator<PointBatch> {
  const { name, columns, recordIndexes, time, reprojection, geometryIndex, width } = plan;
  const size = Math.max(1, Math.floor(batchSize));
  const lon = new Float64Array(size);
  const lat = new Float64Array(size);
  const times = new Float64Array(size);
  const values = columns.map(() => new Float64Array(size));
  if (plan.zElevation) values.push(new Float64Array(size));
  const rawX = new Float64Array(size);
  const rawY = new Float64Array(size);
  const columnCount = columns.length;
  const indexes = Int32Array.from(recordIndexes);
  const flags = Uint8Array.from(columns, (c) => (c.kind === 'flag' ? 1 : 0));
  const scales = Float64Array.from(columns, (c) => c.scale);
  const scratch = new Float64Array(columnCount);
  const points = new PointScratch();

  let kept = 0;
  let dropped = 0;
  let noGeometry = 0;
  let empty = 0;
  let otherShapes = 0;
  let firstDropped: [number, number] | null = null;
  let dataset = '';
  let datasetStart = NaN;
  let elapsed = 0;

  const settle = (count: number): number => {
    lon.set(rawX.subarray(0, count));
    lat.set(rawY.subarray(0, count));
    if (!reprojection.identity) reprojection.project(lon, lat, count);
    const out = keepPlausiblePoints(count, lon, lat, times, values, (i) => {
      dropped++;
      firstDropped ??= [rawX[i]!, rawY[i]!];
    });
    kept += out;
    return out;
  };
  const batchOf = (count: number): PointBatch => batchView(count, size, lon, lat, times, values);

  const opened = await openPages(bytes, name);
  try {
    const record = new RecordReader(opened.pages.header.encoding, name);
    let n = 0;
    for await (const rows of scanTable(opened.pages, plan.layer.table.rootPage, plan.layer.table.name)) {
      for (let r = 0; r < rows.count; r++) {
        record.decode(rows.buffers[r]!, rows.starts[r]!, rows.ends[r]!, width);
        // Time first: the Ag Leader SMS running duration must count every row, with a position or not.
        let t = NaN;
        if (time.kind === 'epoch') {
          t = epochSecondsToMs(record.number(time.index), time.epoch);
        } else if (time.kind === 'iso') {
          t = record.isText(time.index) ? parseIsoTime(record.bytes, record.offsets[time.index]!, record.offsets[time.index]! + record.size(time.index)) : NaN;
        } else if (time.kind === 'dataset-duration') {
          const current = record.text(time.dataset) ?? '';
          if (current !== dataset) {
            dataset = current;
            datasetStart = dateInName(current) ?? NaN;
            elapsed = 0;
          }
          const duration = record.number(time.duration);
          if (duration > 0) elapsed += duration;
          t = datasetStart + elapsed * 1000;
        }
        if (!record.isBlob(geometryIndex)) {
          noGeometry++;
          continue;
        }
        const at = record.offsets[geometryIndex]!;
        const count = decodePoints(record.bytes, record.view, at, at + record.size(geometryIndex), points, name, rows.rowids[r]!);
        if (count === NOT_POINTS) {
          otherShapes++;
          continue;
        }
        if (count === 0) {
          empty++;
          continue;
        }

        for (let c = 0; c < columnCount; c++) scratch[c] = (flags[c] === 0 ? record.number(indexes[c]!) : flagValue(record, indexes[c]!)) * scales[c]!;

        for (let p = 0; p < count; p++) {
          rawX[n] = points.x[p]!;
          rawY[n] = points.y[p]!;
          times[n] = t;
          for (let c = 0; c < columnCount; c++) values[c]![n] = scratch[c]!;
          if (plan.zElevation) values[columnCount]![n] = points.z[p]!;
          if (++n === size) {
            const settled = settle(n);
            n = 0;
            if (settled > 0) yield batchOf(settled);
          }
        }
      }
    }
    if (n > 0) {
      const settled = settle(n);
      if (settled > 0) yield batchOf(settled);
    }
  } finally {
    opened.close();
  }

  if (noGeometry + empty > 0) warnings.push(`${noGeometry + empty} features without a position (null or empty geometry) were skipped`);
  if (otherShapes > 0) warnings.push(`${otherShapes} features that are not points (lines, polygons) were skipped`);
  if (dropped > 0) {
    const [x, y] = firstDropped!;
    const message = `${dropped} of ${dropped + kept} points have coordinates that are not plausible in ${reprojection.label} (e.g. ${x}, ${y}) and were dropped.`;
    if (kept === 0) throw new MachineFileError('corrupt_file', `${name}: every point's coordinates are outside the world in ${reprojection.label} (e.g. ${x}, ${y}); check the layer's coordinate system.`);
    warnings.push(message);
  }
  if (kept === 0 && dropped === 0) {
    if (otherShapes > 0) throw new MachineFileError('no_machine_data', `${name}: the layer's features are lines or polygons, not logged machine points.`);
    throw new MachineFileError('no_machine_data', `${name}: the layer has no points with a position (${noGeometry + empty} features without geometry).`);
  }
}
