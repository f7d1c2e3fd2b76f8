/**
 * The outputs of one field operation, from its files' logs: the points of every file clipped to
 * the operation's fields (and, with `enableOutsideFieldGeojson`, also those in no field of the
 * user), concatenated into one log and run through the same converter as a machine file
 * (`convertLog`), so the operation's summary, units and standardGeojson use the file vocabulary
 * and the summary is of the merged points, not a sum of file summaries.
 *
 * filteredGeojson is a second conversion of the same points with the user's cleanup rules always
 * applied, points slower than 0.5 m/s dropped, and, for harvest with `operationsRemoveOutliers`,
 * yields beyond `operationsOutliersLimit` standard deviations of the mean dropped (the mean and
 * deviation come from a statistics pass over the points that pass the other rules).
 *
 * Coverage of a field is the area of the rasterised swaths of the points inside that field (the
 * converter's coverage grid, which counts overlapping passes once) over the field's area, in
 * percent, capped at 100. Every pass streams: memory is bounded by batch size, the coverage grid
 * and the number of fields.
 */
import type { CleanupRule, CleanupRules, ConfigurationValues, FieldOperationOutput } from '../domain/index.js';
import { SQUARE_METRES_PER } from '../domain/index.js';
import type { ConversionResult, OutputSink } from '../formats/convert.js';
import type { MachineLog, PointBatch } from '../formats/machine-data.js';
import { PointFilter, Standardizer, conversionFactor } from '../formats/standard/index.js';
import { FieldIndex, type FieldShape } from '../spatial/field-index.js';
import { concatenateLogs } from './machine-files-merge.js';

/** Leaf: filteredGeojson drops points where the machine moved slower than this. */
export const MIN_SPEED_METRES_PER_SECOND = 0.5;

/** The yield property outliers are judged on, first present wins. */
const YIELD_PROPERTIES = ['wetMassPerArea', 'wetVolumePerArea', 'dryMassPerArea', 'dryVolumePerArea'] as const;

/** Points of `log` for which `keep(index)` holds, where index is `clip.locate` of the point. */
export function clipLog(log: MachineLog, keepPoint: (lon: number, lat: number) => boolean): MachineLog {
  return {
    ...log,
    async *points(): AsyncIterable<PointBatch> {
      for await (const batch of log.points()) {
        const kept: number[] = [];
        for (let i = 0; i < batch.length; i++) if (keepPoint(batch.lon[i]!, batch.lat[i]!)) kept.push(i);
        if (kept.length === 0) continue;
        if (kept.length === batch.length) {
          yield batch;
          continue;
        }
        const pick = (source: Float64Array) => {
          const out = new Float64Array(kept.length);
          for (let k = 0; k < kept.length; k++) out[k] = source[kept[k]!]!;
          return out;
        };
        yield { length: kept.length, lon: pick(batch.lon), lat: pick(batch.lat), time: pick(batch.time), values: batch.values.map(pick) };
      }
    },
  };
}

export interface BuildInput {
  name: string;
  /** The files' logs, in time order. */
  logs: readonly MachineLog[];
  /** The operation's fields, with their areas; each is also in `allFields`. */
  fields: readonly (FieldShape & { areaSquareMetres: number })[];
  /** Every active field of the user: which field a point is in is decided among all of them; with `enableOutsideFieldGeojson`, points in none are kept too. */
  allFields: readonly FieldShape[];
  configuration: ConfigurationValues;
  sinks: Partial<Record<FieldOperationOutput, OutputSink>>;
  convertLog: (log: MachineLog, options: { unitMeasurement: ConfigurationValues['unitMeasurement']; cleanupStandardGeojson: boolean; cleanupRules: CleanupRules }, sinks: { standardGeojson?: OutputSink; standardGeoparquet?: OutputSink }) => Promise<ConversionResult>;
  signal?: AbortSignal | undefined;
}

export interface BuildResult {
  standard: ConversionResult;
  filtered: ConversionResult | undefined;
  /** Percent of each field's area covered, by field id. */
  coverage: Record<string, number>;
}

/** Runs the conversions of one operation into the given sinks. */
export async function buildOperationOutputs(input: BuildInput): Promise<BuildResult> {
  const { configuration } = input;
  // One index over every field of the user, so a point in overlapping fields (or on a shared
  // edge) belongs to the one field the index's rule picks, in allocation and here alike: no point
  // is in two operations of the same files.
  const index = new FieldIndex(input.allFields);
  const positions = input.fields.map((field) => input.allFields.findIndex((f) => f.fieldId === field.fieldId));
  const mine = new Set(positions);
  const outside = configuration.enableOutsideFieldGeojson;
  const inOperation = (lon: number, lat: number) => {
    const f = index.locate(lon, lat);
    return mine.has(f) || (outside && f < 0);
  };
  const merged = () => concatenateLogs(input.name, input.logs.map((log) => clipLog(log, inOperation)));
  const options = { unitMeasurement: configuration.unitMeasurement, cleanupStandardGeojson: configuration.cleanupStandardGeojson, cleanupRules: configuration.cleanupRules };

  const standard = await input.convertLog(merged(), options, {
    ...(input.sinks.standardGeojson === undefined ? {} : { standardGeojson: input.sinks.standardGeojson }),
    ...(input.sinks.standardGeoparquet === undefined ? {} : { standardGeoparquet: input.sinks.standardGeoparquet }),
  });
  input.signal?.throwIfAborted();

  const coverage: Record<string, number> = {};
  const percentOf = (result: ConversionResult, areaSquareMetres: number) => {
    const total = result.summary.properties.totalArea as { value?: number; unit?: string } | undefined;
    const factor = total?.unit === undefined ? undefined : SQUARE_METRES_PER[total.unit];
    if (typeof total?.value !== 'number' || factor === undefined || !(areaSquareMetres > 0)) return 0;
    return Math.min(100, Math.round(((total.value * factor) / areaSquareMetres) * 100 * 1e4) / 1e4);
  };
  const only = input.fields.length === 1 && !outside ? input.fields[0] : undefined;
  if (only !== undefined) coverage[only.fieldId] = percentOf(standard, only.areaSquareMetres);
  else {
    // Several fields (or points outside kept): one conversion per field, without outputs.
    for (const [i, field] of input.fields.entries()) {
      input.signal?.throwIfAborted();
      const inField = (lon: number, lat: number) => index.locate(lon, lat) === positions[i];
      const result = await input.convertLog(concatenateLogs(input.name, input.logs.map((log) => clipLog(log, inField))), options, {});
      coverage[field.fieldId] = percentOf(result, field.areaSquareMetres);
    }
  }

  let filtered: ConversionResult | undefined;
  if (configuration.operationsFilteredGeojson && (input.sinks.filteredGeojson !== undefined || input.sinks.filteredGeoparquet !== undefined)) {
    const rules = await filteredRules(merged(), configuration, input.signal);
    filtered = await input.convertLog(merged(), { ...options, cleanupStandardGeojson: true, cleanupRules: rules }, {
      ...(input.sinks.filteredGeojson === undefined ? {} : { standardGeojson: input.sinks.filteredGeojson }),
      ...(input.sinks.filteredGeoparquet === undefined ? {} : { standardGeoparquet: input.sinks.filteredGeoparquet }),
    });
  }
  return { standard, filtered, coverage };
}

/**
 * The cleanup rules of filteredGeojson. Speed and the yield bounds are not rules users may set
 * (`cleanupRules` accepts Leaf's properties only), but the point filter compares any numeric
 * standard property by name, so they ride along in the same rule set.
 */
export async function filteredRules(log: MachineLog, configuration: ConfigurationValues, signal?: AbortSignal): Promise<CleanupRules> {
  const rules: Record<string, CleanupRule[]> = { ...configuration.cleanupRules };
  if (log.operationType === null) return rules as CleanupRules;
  const standardizer = new Standardizer(log, log.operationType, configuration.unitMeasurement);
  const speed = standardizer.fields.find((f) => f.name === 'speed');
  if (speed !== undefined) rules.speed = [{ operator: 'GTE', value: MIN_SPEED_METRES_PER_SECOND * conversionFactor('m/s', speed.unit) }];
  if (log.operationType !== 'harvested' || !configuration.operationsRemoveOutliers) return rules as CleanupRules;
  const yieldIndex = YIELD_PROPERTIES.map((name) => standardizer.fields.findIndex((f) => f.name === name)).find((i) => i >= 0);
  if (yieldIndex === undefined) return rules as CleanupRules;
  const filter = new PointFilter(standardizer.fields, standardizer.text, rules as CleanupRules);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let keep = new Uint8Array(0);
  for await (const raw of log.points()) {
    signal?.throwIfAborted();
    const batch = standardizer.convert(raw);
    if (keep.length < batch.length) keep = new Uint8Array(batch.length);
    filter.apply(batch, keep);
    const values = batch.values[yieldIndex]!;
    for (let i = 0; i < batch.length; i++) {
      const v = values[i]!;
      if (keep[i] !== 1 || v !== v) continue;
      // Welford: one pass, no catastrophic cancellation on large sums.
      n++;
      const delta = v - mean;
      mean += delta / n;
      m2 += delta * (v - mean);
    }
  }
  if (n < 2) return rules as CleanupRules;
  const deviation = Math.sqrt(m2 / (n - 1));
  const limit = configuration.operationsOutliersLimit * deviation;
  const name = standardizer.fields[yieldIndex]!.name;
  rules[name] = [...(rules[name] ?? []), { operator: 'GTE', value: mean - limit }, { operator: 'LTE', value: mean + limit }];
  return rules as CleanupRules;
}
