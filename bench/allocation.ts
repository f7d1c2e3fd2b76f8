/**
 * Point allocation benchmark. The targets: 10,000,000 points against 2,000 real-shaped field
 * polygons at ≥ 5,000,000 points/s on one core, and ≥ 50× faster than testing each point against
 * each polygon with `@turf/boolean-point-in-polygon`, measured in the same run.
 *
 * Fields: the 34 partfield boundaries of the corpus (21 of isoxml-dotnet ValidTimeLogs, 13 of
 * CodingData/Partfields, read by Furrow's ISOXML reader), copied onto a 50 × 40 grid of 1 km cells
 * near 52° N: each copy scaled to a random 250-900 m across, rotated by a random angle and jittered
 * in its cell; one in eight also gets a quadrilateral hole (a pond, a copse) around an inside point,
 * plus the two corpus shapes that come with holes. Seeded, so every run indexes the same fields.
 * Points: 10 batches of 1,000,000, seeded; 70 % uniform in a random field's bounding box widened by
 * 20 % (inside and around fields), 30 % uniform over the whole grid (mostly outside).
 * - Furrow: `FieldIndex.locateMany` over each batch, one core, the index built once (build time
 *   reported apart).
 * - Baseline, same process: `booleanPointInPolygon(point, field)` for every one of the 2,000 fields,
 *   on the first `sample` points of the first batch (a full run would take hours), per point
 *   extrapolated to the 10,000,000. Its answers are checked against ours on that sample (a point in
 *   several fields is not expected here: copies do not overlap).
 * Each side runs `rounds` times; the best round counts (the machine is shared). Both wall-clock and
 * CPU time (`process.cpuUsage`, the whole process, so GC threads count against us) are reported:
 * on a machine shared by other jobs the CPU figure is the one-core rate, the wall figure its floor.
 *
 * Run: `npm run bench -- allocation` or `npx tsx bench/allocation.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import isoxml from '../src/formats/isoxml/index.js';
import { fileSetFromDirectory } from '../src/formats/testing/file-sets.js';
import { FieldIndex, type FieldShape } from '../src/spatial/field-index.js';

const CORPUS = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../shared/corpus');
const SETS = ['isoxml-dotnet/testdata/TimeLogs/ValidTimeLogs', 'isoxml-dotnet/testdata/CodingData/Partfields'];
const COLUMNS = 50;
const ROWS = 40;
const CELL_METRES = 1000;
const ORIGIN = { lon: 9.5, lat: 52 };
const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;
const M_PER_DEG_LON = M_PER_DEG_LAT * Math.cos((ORIGIN.lat * Math.PI) / 180);

export interface AllocationBenchResult {
  fields: number;
  vertices: number;
  holes: number;
  points: number;
  inside: number;
  buildMilliseconds: number;
  furrowPointsPerSecond: number;
  furrowPointsPerCpuSecond: number;
  turfSample: number;
  turfPointsPerSecond: number;
  turfPointsPerCpuSecond: number;
  ratio: number;
  cpuRatio: number;
  disagreements: number;
}

/** Mulberry32: small, seeded, good enough to scatter points. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function corpusShapes(): Promise<number[][][][][]> {
  const shapes: number[][][][][] = [];
  for (const set of SETS) {
    const files = await fileSetFromDirectory(path.join(CORPUS, set));
    const [dataset] = await isoxml.detect(files);
    const { boundaries } = await isoxml.open(files, dataset!);
    for (const b of boundaries) shapes.push(b.geometry.coordinates);
  }
  return shapes;
}

/** 2,000 fields: corpus shapes in metres around their centre, scaled, rotated and placed on the grid. */
export function placeFields(shapes: number[][][][][], seed = 7): FieldShape[] {
  const next = random(seed);
  const local = shapes.map((coordinates) => {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [lon, lat] of coordinates[0]![0]!) {
      minX = Math.min(minX, lon!); maxX = Math.max(maxX, lon!); minY = Math.min(minY, lat!); maxY = Math.max(maxY, lat!);
    }
    const cx = (minX + maxX) / 2;
    const cy = (minY + maxY) / 2;
    const kx = M_PER_DEG_LAT * Math.cos((cy * Math.PI) / 180);
    const size = Math.max((maxX - minX) * kx, (maxY - minY) * M_PER_DEG_LAT);
    return coordinates.map((polygon) => polygon.map((ring) => ring.map(([lon, lat]) => [((lon! - cx) * kx) / size, ((lat! - cy) * M_PER_DEG_LAT) / size])));
  });
  const fields: FieldShape[] = [];
  for (let row = 0; row < ROWS; row++) {
    for (let column = 0; column < COLUMNS; column++) {
      const n = fields.length;
      const shape = local[n % local.length]!;
      const size = 250 + next() * 650;
      const angle = next() * 2 * Math.PI;
      const cos = Math.cos(angle) * size;
      const sin = Math.sin(angle) * size;
      const slack = (CELL_METRES - size * Math.SQRT2) / 2;
      const ox = (column + 0.5) * CELL_METRES + (next() - 0.5) * Math.max(0, slack);
      const oy = (row + 0.5) * CELL_METRES + (next() - 0.5) * Math.max(0, slack);
      const toLonLat = (x: number, y: number) => [ORIGIN.lon + (ox + x * cos - y * sin) / M_PER_DEG_LON, ORIGIN.lat + (oy + x * sin + y * cos) / M_PER_DEG_LAT];
      const coordinates = shape.map((polygon) => polygon.map((ring) => ring.map(([x, y]) => toLonLat(x!, y!))));
      if (n % 8 === 3) addHole(coordinates, next, size);
      fields.push({ fieldId: `field-${String(n).padStart(4, '0')}`, geometry: { type: 'MultiPolygon', coordinates } });
    }
  }
  return fields;
}

/** A small quadrilateral hole around a random inside point, kept only if it lies clear of every ring. */
function addHole(coordinates: number[][][][], next: () => number, size: number): void {
  const polygon = coordinates[0]!;
  const single = new FieldIndex([{ fieldId: 'x', geometry: { type: 'MultiPolygon', coordinates: [polygon] } }]);
  const [minX, minY, maxX, maxY] = bbox(polygon[0]!);
  for (let attempt = 0; attempt < 50; attempt++) {
    const cx = minX + next() * (maxX - minX);
    const cy = minY + next() * (maxY - minY);
    const r = (size * 0.06) / M_PER_DEG_LAT;
    const hole = [[cx - r, cy - r * 0.7], [cx - r * 0.6, cy + r], [cx + r, cy + r * 0.8], [cx + r * 0.8, cy - r], [cx - r, cy - r * 0.7]];
    // Clear of every ring: each corner and points along each side inside the polygon.
    const clear = hole.every((p, k) => k === 0 || [0, 0.25, 0.5, 0.75].every((t) => {
      const q = hole[k - 1]!;
      return single.locate(q[0]! + (p[0]! - q[0]!) * t, q[1]! + (p[1]! - q[1]!) * t) === 0;
    }));
    if (clear) {
      polygon.push(hole);
      return;
    }
  }
}

function bbox(ring: number[][]): [number, number, number, number] {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of ring) {
    minX = Math.min(minX, x!); maxX = Math.max(maxX, x!); minY = Math.min(minY, y!); maxY = Math.max(maxY, y!);
  }
  return [minX, minY, maxX, maxY];
}

function cpuMilliseconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function fillPoints(fields: readonly FieldShape[], boxes: [number, number, number, number][], next: () => number, lon: Float64Array, lat: Float64Array): void {
  const maxLon = ORIGIN.lon + (COLUMNS * CELL_METRES) / M_PER_DEG_LON;
  const maxLat = ORIGIN.lat + (ROWS * CELL_METRES) / M_PER_DEG_LAT;
  for (let i = 0; i < lon.length; i++) {
    if (next() < 0.7) {
      const [minX, minY, maxX, maxY] = boxes[Math.floor(next() * fields.length)]!;
      const w = (maxX - minX) * 1.2;
      const h = (maxY - minY) * 1.2;
      lon[i] = (minX + maxX) / 2 + (next() - 0.5) * w;
      lat[i] = (minY + maxY) / 2 + (next() - 0.5) * h;
    } else {
      lon[i] = ORIGIN.lon + next() * (maxLon - ORIGIN.lon);
      lat[i] = ORIGIN.lat + next() * (maxLat - ORIGIN.lat);
    }
  }
}

export async function run(options: { points?: number; batch?: number; sample?: number; rounds?: number } = {}): Promise<AllocationBenchResult> {
  const { points = 10_000_000, batch = 1_000_000, sample = 2_000, rounds = 3 } = options;
  if (!fs.existsSync(CORPUS)) throw new Error(`${CORPUS} is absent: the allocation benchmark shapes its fields on the corpus partfields.`);
  const fields = placeFields(await corpusShapes());
  const boxes = fields.map((f) => bbox(f.geometry.coordinates[0]![0]!));
  let vertices = 0;
  let holes = 0;
  for (const f of fields) for (const polygon of f.geometry.coordinates) for (const ring of polygon) vertices += ring.length - 1;
  for (const f of fields) for (const polygon of f.geometry.coordinates) holes += polygon.length - 1;

  let started = performance.now();
  const index = new FieldIndex(fields);
  const buildMilliseconds = performance.now() - started;

  const lon = new Float64Array(batch);
  const lat = new Float64Array(batch);
  const out = new Int32Array(batch);
  const batches = Math.ceil(points / batch);
  let furrowBest = Infinity;
  let furrowCpuBest = Infinity;
  let inside = 0;
  for (let round = 0; round < rounds; round++) {
    const next = random(11);
    let elapsed = 0;
    let cpu = 0;
    inside = 0;
    for (let b = 0; b < batches; b++) {
      fillPoints(fields, boxes, next, lon, lat);
      const cpuStart = process.cpuUsage();
      started = performance.now();
      index.locateMany(lon, lat, batch, out);
      elapsed += performance.now() - started;
      cpu += cpuMilliseconds(cpuStart);
      for (let i = 0; i < batch; i++) if (out[i]! >= 0) inside++;
    }
    furrowBest = Math.min(furrowBest, elapsed);
    furrowCpuBest = Math.min(furrowCpuBest, cpu);
  }

  fillPoints(fields, boxes, random(11), lon, lat);
  index.locateMany(lon, lat, sample, out);
  const features = fields.map((f) => ({ type: 'Feature' as const, properties: {}, geometry: f.geometry }));
  let turfBest = Infinity;
  let turfCpuBest = Infinity;
  let disagreements = 0;
  for (let round = 0; round < rounds; round++) {
    disagreements = 0;
    const cpuStart = process.cpuUsage();
    started = performance.now();
    for (let i = 0; i < sample; i++) {
      const point = [lon[i]!, lat[i]!];
      let found = -1;
      for (let f = 0; f < features.length; f++) if (booleanPointInPolygon(point, features[f]!) && found < 0) found = f;
      if (found !== out[i]) disagreements++;
    }
    turfBest = Math.min(turfBest, performance.now() - started);
    turfCpuBest = Math.min(turfCpuBest, cpuMilliseconds(cpuStart));
  }

  const furrowPointsPerSecond = (batches * batch) / (furrowBest / 1000);
  const turfPointsPerSecond = sample / (turfBest / 1000);
  const furrowPointsPerCpuSecond = (batches * batch) / (furrowCpuBest / 1000);
  const turfPointsPerCpuSecond = sample / (turfCpuBest / 1000);
  return {
    fields: fields.length,
    vertices,
    holes,
    points: batches * batch,
    inside,
    buildMilliseconds,
    furrowPointsPerSecond,
    furrowPointsPerCpuSecond,
    turfSample: sample,
    turfPointsPerSecond,
    turfPointsPerCpuSecond,
    ratio: furrowPointsPerSecond / turfPointsPerSecond,
    cpuRatio: furrowPointsPerCpuSecond / turfPointsPerCpuSecond,
    disagreements,
  };
}

export function format(r: AllocationBenchResult): string {
  const rate = (n: number) => `${(n / 1e6).toFixed(2)} M points/s`;
  return [
    `${r.fields} fields (${r.vertices} vertices, ${r.holes} holes), ${r.points.toLocaleString('en')} points, ${((100 * r.inside) / r.points).toFixed(1)} % inside a field; index built in ${r.buildMilliseconds.toFixed(0)} ms`,
    `Furrow FieldIndex.locateMany: ${rate(r.furrowPointsPerCpuSecond)} per CPU second, ${rate(r.furrowPointsPerSecond)} wall clock (target ≥ 5 M points/s on one core)`,
    `turf booleanPointInPolygon × every field: ${r.turfPointsPerCpuSecond.toFixed(0)} points per CPU second, ${r.turfPointsPerSecond.toFixed(0)} wall clock (on ${r.turfSample} points, extrapolated per point); answers differing from Furrow's: ${r.disagreements}`,
    `Ratio: Furrow is ${r.cpuRatio.toFixed(0)}× turf in CPU time, ${r.ratio.toFixed(0)}× wall clock (target ≥ 50×)`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${format(await run())}\n`);
}
