/**
 * Standard-output benchmark: how fast `convertLog` turns columnar points into standardGeojson and
 * GeoParquet, and whether memory stays bounded by the batch and row-group sizes, not the log size.
 *
 * - geojson: a synthetic 1,000,000-point harvest log (9 columns, ISOXML-like: yield per area,
 *   moisture, width, work state, elevation, speed, heading; 16 properties per point after
 *   derivations) through `convertLog` into a sink that only counts bytes. Baseline in the same run:
 *   the same standardised points written the obvious way, one `JSON.stringify` per feature.
 * - geoparquet: the same log to GeoParquet alone (GeoJSON sink discarding).
 * - memory: a 2,000,000-point log converted to both outputs while `process.memoryUsage()` is sampled
 *   every batch; reported as the growth of heapUsed and RSS over the value before the run.
 *   A 1,000,000-point run gives the same figure if memory is bounded.
 * - stages: the issue-6 yield shapefile (1,000,000 points, `bench/machine-files.ts` builds it with
 *   ogr2ogr) through `convertLog`'s steps one at a time, CPU time of each: read (shapefile reader),
 *   standardise, cleanup + summary, coverage (swaths, then the polygon), GeoJSON, GeoParquet.
 *
 * Run: `npx tsx bench/standard-output.ts` or `npm run bench -- standard-output`; the stages alone:
 * `npx tsx bench/standard-output.ts --stages [points]`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CONFIGURATION_KEYS } from '../src/domain/configurations.js';
import { convertLog } from '../src/formats/convert.js';
import type { MachineLog, PointBatch, PropertyColumn } from '../src/formats/machine-data.js';
import { GeoparquetWriter } from '../src/formats/geoparquet/geoparquet-writer.js';
import { detectDatasets, formatOf } from '../src/formats/registry.js';
import { PointFilter } from '../src/formats/standard/cleanup.js';
import { CoverageGrid } from '../src/formats/standard/coverage.js';
import { StandardGeojsonWriter } from '../src/formats/standard/geojson-writer.js';
import { Standardizer } from '../src/formats/standard/standardize.js';
import { SummaryAccumulator } from '../src/formats/standard/summary.js';
import { syntheticLog } from '../src/formats/standard/testing/synthetic-log.js';
import { openFileSet } from '../src/services/file-sources.js';
import { yieldShapefile } from './machine-files.js';

const COLUMNS: PropertyColumn[] = [
  { property: 'wetMassPerArea', unit: 'kg/ha' },
  { property: 'harvestMoisture', unit: 'prcnt' },
  { property: 'equipmentWidth', unit: 'm' },
  { property: 'workState', unit: 'count' },
  { property: 'elevation', unit: 'm' },
  { property: 'speed', unit: 'm/s' },
  { property: 'heading', unit: 'arcdeg' },
];

const VALUES: Record<string, (i: number) => number> = {
  wetMassPerArea: (i) => 9000 + ((i * 7919) % 4000) / 3,
  harvestMoisture: (i) => 17 + (i % 50) / 10,
  equipmentWidth: () => 12.19,
  workState: () => 1,
  elevation: (i) => 300 + (i % 997) / 100,
  speed: (i) => 2 + (i % 13) / 10,
  heading: (i) => (i * 37) % 360,
};

/** Pre-generated batches, so the reader's cost is not in the figures. */
async function materialise(points: number): Promise<MachineLog> {
  const source = syntheticLog({ points, columns: COLUMNS, value: (c, i) => VALUES[c.property]!(i), extra: { crop: ['corn'] }, batchSize: 8192, passLength: 800 });
  const batches: PointBatch[] = [];
  for await (const batch of source.points()) batches.push(batch);
  return { ...source, points: async function* () { yield* batches; } };
}

const OPTIONS = { unitMeasurement: 'METRIC' as const, cleanupStandardGeojson: true, cleanupRules: CONFIGURATION_KEYS.cleanupRules.default };

export interface Figures {
  points: number;
  geojsonSeconds: number;
  geojsonBytes: number;
  baselineSeconds: number;
  geoparquetSeconds: number;
  geoparquetBytes: number;
  memoryPoints: number;
  heapGrowthMiB: number;
  rssGrowthMiB: number;
  stages: StageTimes;
}

/** CPU seconds per step of `convertLog` on the issue-6 yield shapefile. */
export interface StageTimes {
  points: number;
  read: number;
  standardise: number;
  cleanupAndSummary: number;
  coverage: number;
  geojson: number;
  geoparquet: number;
}

/** convertLog's loop, step by step, timing each with `process.cpuUsage` (the machine is shared: wall time drifts more). */
export async function stageTimes(points = 1_000_000): Promise<StageTimes> {
  const opened = await openFileSet(yieldShapefile(points));
  try {
    const [dataset] = (await detectDatasets(opened.files)).filter((d) => d.path === opened.selected);
    const [log] = (await formatOf(dataset!).open(opened.files, dataset!)).logs;
    const standardizer = new Standardizer(log!, log!.operationType!, 'DEFAULT');
    const { fields, text } = standardizer;
    const filter = new PointFilter(fields, text, OPTIONS.cleanupRules);
    const summary = new SummaryAccumulator(fields);
    const coverage = new CoverageGrid();
    const geojson = new StandardGeojsonWriter({ write: () => undefined }, fields, text);
    const geoparquet = new GeoparquetWriter({ write: () => undefined }, fields, text);
    const t: StageTimes = { points: 0, read: 0, standardise: 0, cleanupAndSummary: 0, coverage: 0, geojson: 0, geoparquet: 0 };
    let mark = process.cpuUsage();
    const lap = (stage: Exclude<keyof StageTimes, 'points'>) => {
      const used = process.cpuUsage(mark);
      t[stage] += (used.user + used.system) / 1e6;
      mark = process.cpuUsage();
    };
    let keep = new Uint8Array(0);
    let covered = new Uint8Array(0);
    await geojson.start();
    const iterator = log!.points()[Symbol.asyncIterator]();
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      lap('read');
      const batch = standardizer.convert(next.value);
      t.points += batch.length;
      lap('standardise');
      if (keep.length < batch.length) {
        keep = new Uint8Array(batch.length);
        covered = new Uint8Array(batch.length);
      }
      filter.apply(batch, keep);
      summary.add(batch, keep);
      lap('cleanupAndSummary');
      for (let i = 0; i < batch.length; i++) covered[i] = keep[i] === 1 && batch.recording[i] !== 0 && batch.stepMetres[i]! > 0 && batch.widthMetres[i]! > 0 ? 1 : 0;
      coverage.addSwaths(batch.prevLon, batch.prevLat, batch.lon, batch.lat, batch.widthMetres, covered, batch.length);
      lap('coverage');
      await geojson.write(batch, keep);
      lap('geojson');
      await geoparquet.write(batch, keep);
      lap('geoparquet');
    }
    lap('read');
    coverage.polygons();
    lap('coverage');
    await geojson.finish();
    lap('geojson');
    await geoparquet.finish();
    lap('geoparquet');
    return t;
  } finally {
    opened.close();
  }
}

async function timeGeojson(log: MachineLog): Promise<{ seconds: number; bytes: number }> {
  let bytes = 0;
  const started = performance.now();
  await convertLog(log, OPTIONS, { standardGeojson: { write: (c) => void (bytes += c.length) } });
  return { seconds: (performance.now() - started) / 1000, bytes };
}

/** The obvious writer: standardise the same way, then one object and one JSON.stringify per feature. */
async function timeBaseline(log: MachineLog): Promise<number> {
  const started = performance.now();
  const standardizer = new Standardizer(log, 'harvested', 'METRIC');
  const encoder = new TextEncoder();
  let pending = '';
  let bytes = 0;
  for await (const raw of log.points()) {
    const batch = standardizer.convert(raw);
    for (let i = 0; i < batch.length; i++) {
      const properties: Record<string, unknown> = { operationType: 'harvested', crop: 'corn', timestamp: new Date(batch.time[i]!).toISOString(), recordingStatus: 'On' };
      standardizer.fields.forEach((f, k) => {
        const v = batch.values[k]![i]!;
        if (!Number.isNaN(v)) properties[f.name] = v;
      });
      pending += JSON.stringify({ type: 'Feature', geometry: { type: 'Point', coordinates: [batch.lon[i], batch.lat[i]] }, properties }) + ',\n';
      if (pending.length > 65_536) {
        bytes += encoder.encode(pending).length;
        pending = '';
      }
    }
  }
  bytes += encoder.encode(pending).length;
  return bytes > 0 ? (performance.now() - started) / 1000 : Number.NaN;
}

async function timeGeoparquet(log: MachineLog): Promise<{ seconds: number; bytes: number }> {
  let bytes = 0;
  const started = performance.now();
  await convertLog(log, OPTIONS, { standardGeoparquet: { write: (c) => void (bytes += c.length) } });
  return { seconds: (performance.now() - started) / 1000, bytes };
}

async function measureMemory(points: number): Promise<{ heap: number; rss: number }> {
  // Generated on the fly: holding 2M points in memory would hide what the conversion holds.
  const log = syntheticLog({ points, columns: COLUMNS, value: (c, i) => VALUES[c.property]!(i), extra: { crop: ['corn'] }, batchSize: 8192, passLength: 800 });
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  let heap = 0;
  let rss = 0;
  const sample = () => {
    const now = process.memoryUsage();
    heap = Math.max(heap, now.heapUsed - before.heapUsed);
    rss = Math.max(rss, now.rss - before.rss);
  };
  await convertLog(log, OPTIONS, {
    standardGeojson: { write: () => sample() },
    standardGeoparquet: { write: () => sample() },
  });
  sample();
  return { heap, rss };
}

export async function run(points = 1_000_000, memoryPoints = 2_000_000): Promise<Figures> {
  const log = await materialise(points);
  await timeGeojson(await materialise(50_000)); // warm-up
  const geojson = await timeGeojson(log);
  const baselineSeconds = await timeBaseline(log);
  const geoparquet = await timeGeoparquet(log);
  const memory = await measureMemory(memoryPoints);
  const stages = await stageTimes();
  return {
    points,
    geojsonSeconds: geojson.seconds,
    geojsonBytes: geojson.bytes,
    baselineSeconds,
    geoparquetSeconds: geoparquet.seconds,
    geoparquetBytes: geoparquet.bytes,
    memoryPoints,
    heapGrowthMiB: memory.heap / 2 ** 20,
    rssGrowthMiB: memory.rss / 2 ** 20,
    stages,
  };
}

export function format(f: Figures): string {
  const rate = (seconds: number) => `${(f.points / seconds / 1e6).toFixed(2)} M points/s`;
  return [
    `| step (${f.points.toLocaleString('en')} points, 16 properties) | time | rate | ratio |`,
    '| --- | --- | --- | --- |',
    `| convertLog → standardGeojson (${(f.geojsonBytes / 2 ** 20).toFixed(0)} MiB) | ${f.geojsonSeconds.toFixed(2)} s | ${rate(f.geojsonSeconds)} | ${(f.baselineSeconds / f.geojsonSeconds).toFixed(1)}× the baseline |`,
    `| baseline: JSON.stringify per feature | ${f.baselineSeconds.toFixed(2)} s | ${rate(f.baselineSeconds)} | 1 |`,
    `| convertLog → GeoParquet (${(f.geoparquetBytes / 2 ** 20).toFixed(0)} MiB) | ${f.geoparquetSeconds.toFixed(2)} s | ${rate(f.geoparquetSeconds)} | ${(f.baselineSeconds / f.geoparquetSeconds).toFixed(1)}× the baseline |`,
    '',
    `Memory converting ${f.memoryPoints.toLocaleString('en')} points to both outputs: heapUsed grew at most ${f.heapGrowthMiB.toFixed(0)} MiB, RSS at most ${f.rssGrowthMiB.toFixed(0)} MiB.`,
    '',
    formatStages(f.stages),
  ].join('\n');
}

export function formatStages(t: StageTimes): string {
  const row = (name: string, seconds: number) => `| ${name} | ${seconds.toFixed(2)} s | ${(t.points / seconds / 1e6).toFixed(2)} M points/s |`;
  return [
    `| step, issue-6 yield shapefile (${t.points.toLocaleString('en')} points), CPU time | time | rate |`,
    '| --- | --- | --- |',
    row('read (shapefile reader)', t.read),
    row('standardise', t.standardise),
    row('cleanup + summary', t.cleanupAndSummary),
    row('coverage polygon', t.coverage),
    row('write standardGeojson', t.geojson),
    row('write GeoParquet', t.geoparquet),
  ].join('\n');
}

if (process.argv[2] === '--stages') {
  process.stdout.write(`${formatStages(await stageTimes(Number(process.argv[3] ?? 1_000_000)))}\n`);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(`${format(await run(Number(process.argv[2] ?? 1_000_000), Number(process.argv[3] ?? 2_000_000)))}\n`);
}
