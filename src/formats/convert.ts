/**
 * One machine log to Furrow's canonical outputs (SPEC §7, research/leaf-api.md 7.3-7.6 and 7.9):
 * standardGeojson (and GeoParquet) streamed to sinks, plus the summary, units and per-step status.
 * Points flow through once, batch by batch: standardise (units, derived values), clean up (the
 * configuration's rules), write, summarise, rasterise coverage; memory is bounded by the batch
 * size, one GeoParquet row group and the covered area.
 *
 * Bad data never throws: it comes back as failed steps with Leaf's messages. When
 * `status.standardGeojson` is failed, whatever reached the sinks is incomplete and must be discarded.
 */
import type { CleanupRules, UnitMeasurement } from '../domain/configurations.js';
import { MachineFileError, type MachineLog, type OperationType, type PointBatch } from './machine-data.js';
import { CoverageGrid, unpackPolygons } from './standard/coverage.js';
import { StandardGeojsonWriter } from './standard/geojson-writer.js';
import { StandardStage, type BatchWriter, type StageResult, type StageSetup } from './standard/standard-stage.js';
import { logMetadata, Standardizer } from './standard/standardize.js';
import { ThreadedWriter } from './standard/threaded-writer.js';
import { SummaryAccumulator } from './standard/summary.js';

export interface StandardOptions {
  unitMeasurement: UnitMeasurement;
  cleanupStandardGeojson: boolean;
  cleanupRules: CleanupRules;
}

export interface OutputSink {
  write(chunk: Uint8Array): Promise<void> | void;
}

export type StepStatus = { status: 'processed' | 'failed' | 'skipped'; message: string };

/** How to run a conversion, not what it produces. */
export interface ConvertTuning {
  /**
   * Format the outputs on worker threads, overlapping reading, standardising and the coverage
   * raster: worth it for large logs on a machine with a spare core (`furrow convert`).
   */
  readonly threads?: boolean;
}

/** What `convertLog` needs of an output writer, in process or on a thread. */
interface OutputWriter extends BatchWriter {
  stop?(): Promise<void>;
}

/** Reader batches queued for a `standard-geoparquet` thread: the reader runs ahead while it starts. */
const STAGE_BATCHES = 8;

export interface ConversionResult {
  operationType: OperationType | null;
  pointCount: number;
  droppedCount: number;
  /** ISO 8601 Z. */
  startTime: string | null;
  endTime: string | null;
  /** minLon, minLat, maxLon, maxLat of the points written. */
  bbox: [number, number, number, number] | null;
  summary: { type: 'Feature'; properties: Record<string, unknown>; geometry: { type: 'MultiPolygon'; coordinates: number[][][][] } | null };
  units: Record<string, string>;
  /** Leaf's step names (7.3). */
  status: Record<string, StepStatus>;
  warnings: string[];
}

const OK: StepStatus = { status: 'processed', message: 'ok' };
const skipped = (message: string): StepStatus => ({ status: 'skipped', message });
const failed = (message: string): StepStatus => ({ status: 'failed', message });

/** Furrow reads machine files straight into columns; it never builds Leaf's intermediate rawGeojson. */
const RAW_GEOJSON = skipped('not produced: Furrow converts the machine file directly to standardGeojson');

function failure(log: MachineLog, message: string, partial: Partial<ConversionResult> & { status?: Record<string, StepStatus> } = {}): ConversionResult {
  const after = skipped(`not produced: ${message}`);
  return {
    operationType: log.operationType,
    pointCount: 0,
    droppedCount: 0,
    startTime: null,
    endTime: null,
    bbox: null,
    summary: { type: 'Feature', properties: { operationType: log.operationType }, geometry: null },
    units: {},
    warnings: [...log.warnings],
    ...partial,
    status: {
      originalFile: OK,
      rawGeojson: RAW_GEOJSON,
      normalizedGeojson: OK,
      standardGeojson: failed(message),
      cleanupGeojson: after,
      areaAndYield: after,
      summary: after,
      units: after,
      ...partial.status,
    },
  };
}

/**
 * Why a log's points cannot be read, if they cannot: a log whose metadata falls short (no
 * operation type, a required column missing) is often one whose data is gone (a time log named
 * but absent, an empty file), and the reader's message says that better than the metadata does.
 */
async function unreadableReason(log: MachineLog): Promise<string | undefined> {
  try {
    const iterator = log.points()[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.return?.();
    return undefined;
  } catch (error) {
    if (error instanceof MachineFileError) return error.message;
    throw error;
  }
}

/**
 * Converts one log, streaming standardGeojson (and GeoParquet when a sink is given). Throws only for
 * programming errors and for errors the sinks throw. Without a standardGeojson sink (a caller that
 * wants only GeoParquet) the GeoJSON is not formatted at all; the result is the same.
 */
export async function convertLog(
  log: MachineLog,
  options: StandardOptions,
  sinks: { standardGeojson?: OutputSink; standardGeoparquet?: OutputSink },
  tuning: ConvertTuning = {},
): Promise<ConversionResult> {
  if (log.operationType === null) return failure(log, (await unreadableReason(log)) ?? 'unsupported operation type: unknown');
  const standardizer = new Standardizer(log, log.operationType, options.unitMeasurement);
  if (standardizer.missingRequired.length > 0) {
    return failure(log, (await unreadableReason(log)) ?? `missing required properties: ${standardizer.missingRequired.join(', ')}`);
  }

  const { fields, text } = standardizer;
  const setup: StageSetup = {
    log: logMetadata(log),
    operationType: log.operationType,
    unitMeasurement: options.unitMeasurement,
    cleanupRules: options.cleanupStandardGeojson ? options.cleanupRules : null,
  };
  const warnings = [...log.warnings];
  // A GeoParquet-only conversion on threads runs the whole standard step off the main thread, which
  // then only reads. With standardGeojson too, its writer is the larger share: that stays as it was.
  const onThread = tuning.threads === true && sinks.standardGeojson === undefined && sinks.standardGeoparquet !== undefined
    ? new ThreadedWriter({ kind: 'standard-geoparquet', setup }, sinks.standardGeoparquet, STAGE_BATCHES)
    : undefined;
  let stage: StandardStage | undefined;
  let geojson: OutputWriter | undefined;
  let geoparquet: OutputWriter | undefined;
  let stageResult: StageResult | undefined;
  let readError: unknown;

  try {
    if (onThread === undefined) {
      if (sinks.standardGeojson !== undefined) {
        if (tuning.threads === true) geojson = new ThreadedWriter({ kind: 'geojson', fields, text }, sinks.standardGeojson);
        else {
          const writer = new StandardGeojsonWriter(sinks.standardGeojson, fields, text);
          await writer.start();
          geojson = writer;
        }
      }
      if (sinks.standardGeoparquet !== undefined) {
        geoparquet = tuning.threads === true
          ? new ThreadedWriter({ kind: 'geoparquet', fields, text }, sinks.standardGeoparquet)
          // Loaded only when asked for: GeoJSON-only conversions (the default) skip the Parquet modules.
          : new (await import('./geoparquet/geoparquet-writer.js')).GeoparquetWriter(sinks.standardGeoparquet, fields, text);
      }
      const writers = [geojson, geoparquet].filter((w) => w !== undefined);
      stage = new StandardStage(setup, () => writers, new CoverageGrid());
    }
    const iterator = log.points()[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<PointBatch>;
      try {
        next = await iterator.next();
      } catch (error) {
        readError = error;
        break;
      }
      if (next.done === true) break;
      if (onThread !== undefined) await onThread.writePoints(next.value);
      else await stage!.add(next.value);
    }

    if (readError !== undefined) {
      const message = readError instanceof Error ? readError.message : String(readError);
      await iterator.return?.().catch(() => undefined);
      return failure(log, message, { status: { normalizedGeojson: failed(message) }, pointCount: 0 });
    }
    stageResult = onThread !== undefined ? ((await onThread.finish()) as StageResult) : await stage!.finish();
  } finally {
    // Threads not finished (a read error, a sink that threw) are stopped; finished ones are gone already.
    await onThread?.stop();
    await geojson?.stop?.();
    await geoparquet?.stop?.();
  }

  const { read, drops: dropCounts, coverage } = stageResult;
  const summary = new SummaryAccumulator(fields);
  summary.restore(stageResult.summary);
  const units = Object.fromEntries(fields.map((f) => [f.name, f.unit]));
  const dropped = read - summary.points;
  const drops = Object.entries(dropCounts).sort((a, b) => b[1] - a[1]);
  if (drops.length > 0) warnings.push(`cleanup dropped ${dropped} of ${read} points (${drops.map(([property, n]) => `${property}: ${n}`).join(', ')})`);
  const polygons = unpackPolygons(coverage);
  const properties = summary.properties(log, options.unitMeasurement, polygons === null ? null : coverage.areaSquareMetres);
  const times = summary.points > 0 && Number.isFinite(summary.startTime);
  const result: ConversionResult = {
    operationType: log.operationType,
    pointCount: summary.points,
    droppedCount: dropped,
    startTime: times ? new Date(summary.startTime).toISOString() : null,
    endTime: times ? new Date(summary.endTime).toISOString() : null,
    bbox: summary.points > 0 ? summary.bbox : null,
    summary: { type: 'Feature', properties, geometry: polygons === null ? null : { type: 'MultiPolygon', coordinates: polygons } },
    units,
    warnings,
    status: {
      originalFile: OK,
      rawGeojson: RAW_GEOJSON,
      normalizedGeojson: read > 0 ? OK : failed('no points in the file'),
      standardGeojson: summary.points > 0 ? OK : read > 0 ? failed('no points passed the filter') : failed('no points in the file'),
      cleanupGeojson: options.cleanupStandardGeojson ? OK : skipped('cleanupStandardGeojson is false'),
      areaAndYield: polygons !== null ? OK : skipped('no equipment width: coverage and area not computed'),
      summary: summary.points > 0 ? OK : skipped('no points'),
      units: OK,
      ...(sinks.standardGeoparquet !== undefined ? { standardGeoparquet: summary.points > 0 ? OK : skipped('no points') } : {}),
    },
  };
  return result;
}
