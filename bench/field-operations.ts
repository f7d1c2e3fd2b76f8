/**
 * Field-operations benchmark: what allocating a file to fields and building an operation cost,
 * against converting the same file (what processing it cost in the first place), in the same run.
 *
 * A synthetic 1,000,000-point harvest log (serpentine passes over about 160 ha) and 400 square
 * fields tiling its extent:
 * - baseline: `convertLog` to standardGeojson into a sink that counts bytes (a file's processing);
 * - allocation: `allocatePoints` of the log against the 400 fields (the refresh's per-file work);
 * - build: `buildOperationOutputs` of one operation made of that file on a field holding all of
 *   it (standard + statistics + filtered passes), sinks counting bytes;
 * - memory: heapUsed and RSS growth over the build, sampled every batch.
 *
 * Run: `npm run bench -- field-operations` or `npx tsx bench/field-operations.ts [points]`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { defaultConfiguration } from '../src/domain/configurations.js';
import { convertLog, type OutputSink } from '../src/formats/convert.js';
import type { MachineLog, PropertyColumn } from '../src/formats/machine-data.js';
import { syntheticLog } from '../src/formats/standard/testing/synthetic-log.js';
import { buildOperationOutputs } from '../src/services/field-operations-build.js';
import { allocatePoints } from '../src/spatial/allocation.js';
import { FieldIndex, type FieldShape } from '../src/spatial/field-index.js';

const COLUMNS: PropertyColumn[] = [
  { property: 'wetMassPerArea', unit: 'kg/ha' },
  { property: 'harvestMoisture', unit: 'prcnt' },
  { property: 'equipmentWidth', unit: 'm' },
  { property: 'workState', unit: 'count' },
  { property: 'speed', unit: 'm/s' },
];
const VALUES: Record<string, (i: number) => number> = {
  wetMassPerArea: (i) => 9000 + ((i * 7919) % 4000) / 3,
  harvestMoisture: (i) => 17 + (i % 50) / 10,
  equipmentWidth: () => 12.19,
  workState: () => 1,
  speed: (i) => (i % 97 === 0 ? 0.3 : 2.2),
};
const START = { lon: -93.5, lat: 42, time: Date.UTC(2023, 9, 5, 14) };

export interface Figures {
  points: number;
  fields: number;
  convertSeconds: number;
  allocateSeconds: number;
  buildSeconds: number;
  outsideShare: number;
  heapGrowthMiB: number;
  rssGrowthMiB: number;
}

const log = (points: number, onBatch?: () => void): MachineLog => {
  const base = syntheticLog({ points, columns: COLUMNS, value: (c, i) => VALUES[c.property]!(i), extra: { crop: ['corn'] }, batchSize: 8192, passLength: 800, start: START });
  if (onBatch === undefined) return base;
  return {
    ...base,
    async *points() {
      for await (const batch of base.points()) {
        onBatch();
        yield batch;
      }
    },
  };
};

const counting = (): OutputSink & { bytes: number } => {
  const sink = { bytes: 0, write: (chunk: Uint8Array) => void (sink.bytes += chunk.length) };
  return sink;
};

/** A grid of square fields over the log's extent (and a margin), about 4 ha each. */
function grid(extent: [number, number, number, number], side: number): FieldShape[] {
  const [w, s, e, n] = extent;
  const fields: FieldShape[] = [];
  const dx = (e - w) / side;
  const dy = (n - s) / side;
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const x0 = w + i * dx;
      const y0 = s + j * dy;
      fields.push({ fieldId: `f${i}-${j}`, geometry: { type: 'MultiPolygon', coordinates: [[[[x0, y0], [x0 + dx, y0], [x0 + dx, y0 + dy], [x0, y0 + dy], [x0, y0]]]] } });
    }
  }
  return fields;
}

export async function run(points = 1_000_000): Promise<Figures> {
  const configuration = { ...defaultConfiguration(), cleanupStandardGeojson: false };
  const options = { unitMeasurement: configuration.unitMeasurement, cleanupStandardGeojson: false, cleanupRules: configuration.cleanupRules };

  let started = performance.now();
  const converted = await convertLog(log(points), options, { standardGeojson: counting() });
  const convertSeconds = (performance.now() - started) / 1000;
  const [w, s, e, n] = converted.bbox!;
  const margin = 0.0005;
  const extent: [number, number, number, number] = [w - margin, s - margin, e + margin, n + margin];

  const fields = grid(extent, 20);
  const index = new FieldIndex(fields);
  started = performance.now();
  const allocation = await allocatePoints(index, log(points).points());
  const allocateSeconds = (performance.now() - started) / 1000;

  const whole = { fieldId: 'whole', geometry: { type: 'MultiPolygon' as const, coordinates: [[[[extent[0], extent[1]], [extent[2], extent[1]], [extent[2], extent[3]], [extent[0], extent[3]], [extent[0], extent[1]]]]] }, areaSquareMetres: 1 };
  global.gc?.();
  const before = process.memoryUsage();
  let heap = 0;
  let rss = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed - before.heapUsed);
    rss = Math.max(rss, m.rss - before.rss);
  };
  started = performance.now();
  await buildOperationOutputs({
    name: 'bench',
    logs: [log(points, sample)],
    fields: [whole],
    allFields: [whole],
    configuration,
    sinks: { standardGeojson: counting(), filteredGeojson: counting() },
    convertLog,
  });
  const buildSeconds = (performance.now() - started) / 1000;
  return { points, fields: fields.length, convertSeconds, allocateSeconds, buildSeconds, outsideShare: allocation.outside / allocation.total, heapGrowthMiB: heap / 2 ** 20, rssGrowthMiB: rss / 2 ** 20 };
}

export function format(f: Figures): string {
  const rate = (seconds: number) => `${(f.points / seconds / 1e6).toFixed(2)} M points/s`;
  return [
    `| step (${f.points.toLocaleString('en')}-point harvest log) | time | rate | against the baseline |`,
    '| --- | --- | --- | --- |',
    `| baseline: convertLog → standardGeojson (a file's processing) | ${f.convertSeconds.toFixed(2)} s | ${rate(f.convertSeconds)} | 1 |`,
    `| allocation to ${f.fields} fields (allocatePoints) | ${f.allocateSeconds.toFixed(2)} s | ${rate(f.allocateSeconds)} | ${(f.allocateSeconds / f.convertSeconds).toFixed(2)}× the time |`,
    `| operation build: standard + statistics + filtered passes | ${f.buildSeconds.toFixed(2)} s | ${rate(f.buildSeconds)} | ${(f.buildSeconds / f.convertSeconds).toFixed(2)}× the time |`,
    '',
    `Points outside every field: ${(f.outsideShare * 100).toFixed(2)} %. Memory over the build: heapUsed grew at most ${f.heapGrowthMiB.toFixed(0)} MiB, RSS at most ${f.rssGrowthMiB.toFixed(0)} MiB.`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const points = Number(process.argv[2] ?? 1_000_000);
  process.stdout.write(`${format(await run(points))}\n`);
}
