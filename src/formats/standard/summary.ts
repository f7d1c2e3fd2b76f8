/**
 * The `summary` Feature's properties (research/leaf-api.md 7.4), accumulated batch by batch over
 * the points that passed cleanup: statistics `{ avg, min, max, unit }` (plain means over points),
 * totals `{ value, unit }`, time span, distance, and what the log says about crop, varieties,
 * machinery and products. `totalArea` is the coverage polygon's area, so overlapping passes count
 * once; without widths it falls back to the sum of the points' areas.
 */
import type { UnitMeasurement } from '../../domain/configurations.js';
import type { MachineLog, Unit } from '../machine-data.js';
import type { StandardBatch, StandardField } from './standardize.js';
import { conversionFactor, outputUnit, toSi } from './units.js';

export interface Statistic { avg: number; min: number; max: number; unit: string }
export interface Total { value: number; unit: string }

/** A `SummaryAccumulator`'s running values, plain data that can cross to another thread. */
export interface SummaryState {
  readonly points: number;
  readonly startTime: number;
  readonly endTime: number;
  readonly bbox: [number, number, number, number];
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly sum: Float64Array;
  readonly count: Float64Array;
  readonly rateArea: Float64Array;
}

/** Properties that are per-point bookkeeping rather than something to summarise. */
const NO_STATISTIC = new Set(['area', 'distance', 'sectionId', 'heading', 'xOffset', 'yOffset', 'samplingInterval', 'fuelUsed']);

/** Sums of per-point values that Leaf reports as totals. */
const SUMMED: Readonly<Record<string, string>> = {
  wetMass: 'totalWetMass', dryMass: 'totalDryMass', wetVolume: 'totalWetVolume', dryVolume: 'totalDryVolume', distance: 'totalDistance',
};

/** Rates whose total is rate × area, and the unit of that total. */
const RATE_TOTALS: Readonly<Record<string, string>> = { seedRate: 'totalPlanted', appliedRate: 'totalApplied' };
const TOTAL_UNIT: Partial<Record<Unit, Unit>> = {
  'kg/ha': 'kg', 't/ha': 't', 'lb/ac': 'lb', 'L/ha': 'L', 'm3/ha': 'm3', 'gal/ac': 'gal', 'bu/ac': 'bu', 'floz/ac': 'floz', 'seeds/ha': 'seeds', 'seeds/ac': 'seeds',
};

const round = (value: number) => (Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : value);

/** Slots of `accumulate`'s in-out array. */
const MIN = 0;
const MAX = 1;
const SUM = 2;
const COUNT = 3;
const RATE_AREA = 4;

/**
 * One field's batch: min and max carried in `acc`, the batch's sum, count and Σ value × area (for
 * rates) out. A function of its own, called per field and batch, so V8 optimises it whole early
 * instead of running the loop unoptimised (boxing every double) at each call until it is replaced
 * on the stack.
 */
function accumulate(values: Float64Array, keep: Uint8Array, n: number, all: boolean, areas: Float64Array | null, acc: Float64Array): void {
  let min = acc[MIN]!;
  let max = acc[MAX]!;
  let sum = 0;
  let count = 0;
  let rateArea = 0;
  if (all && areas === null) {
    // Every point kept and no rate: the common case, without the per-point checks.
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v !== v) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      count++;
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (keep[i] !== 1) continue;
      const v = values[i]!;
      if (v !== v) continue;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      count++;
      if (areas !== null) {
        const a = areas[i]!;
        if (a === a) rateArea += v * a;
      }
    }
  }
  acc[MIN] = min;
  acc[MAX] = max;
  acc[SUM] = sum;
  acc[COUNT] = count;
  acc[RATE_AREA] = rateArea;
}

/** How many points are kept; widens `extent` (start, end, minLon, minLat, maxLon, maxLat) to them. */
function keptExtent(time: Float64Array, lon: Float64Array, lat: Float64Array, keep: Uint8Array, n: number, extent: Float64Array): number {
  let points = 0;
  let start = extent[0]!;
  let end = extent[1]!;
  let minLon = extent[2]!;
  let minLat = extent[3]!;
  let maxLon = extent[4]!;
  let maxLat = extent[5]!;
  for (let i = 0; i < n; i++) {
    if (keep[i] !== 1) continue;
    points++;
    const t = time[i]!;
    if (t < start) start = t;
    if (t > end) end = t;
    const x = lon[i]!;
    const y = lat[i]!;
    if (x < minLon) minLon = x;
    if (y < minLat) minLat = y;
    if (x > maxLon) maxLon = x;
    if (y > maxLat) maxLat = y;
  }
  extent[0] = start;
  extent[1] = end;
  extent[2] = minLon;
  extent[3] = minLat;
  extent[4] = maxLon;
  extent[5] = maxLat;
  return points;
}

/** Running statistics of the kept points of one log. */
export class SummaryAccumulator {
  points = 0;
  startTime = Infinity;
  endTime = -Infinity;
  bbox: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  private readonly min: Float64Array;
  private readonly max: Float64Array;
  private readonly sum: Float64Array;
  private readonly count: Float64Array;
  private readonly rateArea: Float64Array;
  private readonly areaIndex: number;
  private readonly rate: Uint8Array;
  private readonly acc = new Float64Array(5);
  /** startTime, endTime, then the bbox, for `keptExtent`. */
  private readonly extent = new Float64Array(6);

  constructor(private readonly fields: readonly StandardField[]) {
    const n = fields.length;
    this.min = new Float64Array(n).fill(Infinity);
    this.max = new Float64Array(n).fill(-Infinity);
    this.sum = new Float64Array(n);
    this.count = new Float64Array(n);
    this.rateArea = new Float64Array(n);
    this.areaIndex = fields.findIndex((f) => f.name === 'area');
    this.rate = Uint8Array.from(fields, (f) => (RATE_TOTALS[f.name] !== undefined ? 1 : 0));
  }

  /** The running values, to continue (or finish) on another thread with `restore`. */
  state(): SummaryState {
    const { points, startTime, endTime, bbox, min, max, sum, count, rateArea } = this;
    return { points, startTime, endTime, bbox: [...bbox], min, max, sum, count, rateArea };
  }

  /** Takes over the running values of an accumulator of the same fields. */
  restore(state: SummaryState): void {
    this.points = state.points;
    this.startTime = state.startTime;
    this.endTime = state.endTime;
    this.bbox = [...state.bbox];
    this.min.set(state.min);
    this.max.set(state.max);
    this.sum.set(state.sum);
    this.count.set(state.count);
    this.rateArea.set(state.rateArea);
  }

  add(batch: StandardBatch, keep: Uint8Array): void {
    const area = this.areaIndex >= 0 ? batch.values[this.areaIndex]! : undefined;
    const extent = this.extent;
    extent[0] = this.startTime;
    extent[1] = this.endTime;
    extent.set(this.bbox, 2);
    const points = keptExtent(batch.time, batch.lon, batch.lat, keep, batch.length, extent);
    this.points += points;
    this.startTime = extent[0]!;
    this.endTime = extent[1]!;
    this.bbox = [extent[2]!, extent[3]!, extent[4]!, extent[5]!];
    const all = points === batch.length;
    const acc = this.acc;
    for (let f = 0; f < this.fields.length; f++) {
      // Only rates become totals by area (RATE_TOTALS): the other fields skip that product.
      acc[MIN] = this.min[f]!;
      acc[MAX] = this.max[f]!;
      accumulate(batch.values[f]!, keep, batch.length, all, this.rate[f] === 1 ? (area ?? null) : null, acc);
      this.min[f] = acc[MIN]!;
      this.max[f] = acc[MAX]!;
      this.sum[f] = this.sum[f]! + acc[SUM]!;
      this.count[f] = this.count[f]! + acc[COUNT]!;
      this.rateArea[f] = this.rateArea[f]! + acc[RATE_AREA]!;
    }
  }

  /** Σ area of the kept points, in m². */
  pointAreaSquareMetres(): number {
    return this.areaIndex < 0 ? 0 : this.sum[this.areaIndex]! * toSi(this.fields[this.areaIndex]!.unit);
  }

  /** Leaf's summary properties. `coveredSquareMetres` is the coverage polygon's area, when there is one. */
  properties(log: MachineLog, system: UnitMeasurement, coveredSquareMetres: number | null): Record<string, unknown> {
    const properties: Record<string, unknown> = { operationType: log.operationType };
    if (log.originalOperationType !== undefined) properties.originalOperationType = log.originalOperationType;
    if (log.crop !== undefined && log.crop.length > 0) properties.crop = [...log.crop];
    else if (log.operationType === 'planted' || log.operationType === 'harvested') properties.crop = ['unknown'];
    if (log.varieties !== undefined && log.varieties.length > 0) properties.varieties = log.varieties.map((name) => ({ name }));
    if (log.machinery !== undefined && log.machinery.length > 0) properties.machinery = log.machinery.map((m) => ({ ...m }));
    if (this.points > 0 && Number.isFinite(this.startTime)) {
      properties.startTime = new Date(this.startTime).toISOString();
      properties.endTime = new Date(this.endTime).toISOString();
    }
    const areaField = this.areaIndex >= 0 ? this.fields[this.areaIndex]! : undefined;
    const areaUnit: Unit = outputUnit(areaField?.unit === 'm2' || areaField === undefined ? 'm2' : areaField.unit, 'totalArea', system);
    const covered = coveredSquareMetres ?? this.pointAreaSquareMetres();
    properties.totalArea = { value: round(covered * conversionFactor('m2', areaUnit)), unit: areaUnit } satisfies Total;

    this.fields.forEach((field, f) => {
      const count = this.count[f]!;
      if (count === 0) return;
      if (!NO_STATISTIC.has(field.name)) {
        properties[field.name] = { avg: round(this.sum[f]! / count), min: round(this.min[f]!), max: round(this.max[f]!), unit: field.unit } satisfies Statistic;
      }
      const summed = SUMMED[field.name];
      if (summed !== undefined) properties[summed] = { value: round(this.sum[f]!), unit: field.unit } satisfies Total;
      const rateTotal = RATE_TOTALS[field.name];
      const totalUnit = TOTAL_UNIT[field.unit];
      if (rateTotal !== undefined && totalUnit !== undefined && areaField !== undefined) {
        const si = this.rateArea[f]! * toSi(field.unit) * toSi(areaField.unit);
        properties[rateTotal] = { value: round(si / toSi(totalUnit)), unit: totalUnit } satisfies Total;
      }
    });

    if (log.operationType === 'applied' && log.products !== undefined && log.products.length > 0) {
      const rate = properties.appliedRate as Statistic | undefined;
      const total = properties.totalApplied as Total | undefined;
      // Per-product rates are known only when the log carries one product.
      properties.products = log.products.map((p) => ({
        name: p.name,
        ...(p.type !== undefined ? { type: p.type } : {}),
        ...(log.products!.length === 1 && rate !== undefined ? { rate: { value: rate.avg, unit: rate.unit } } : {}),
        ...(log.products!.length === 1 && total !== undefined ? { totalApplied: total } : {}),
        ...(log.products!.length === 1 ? { area: properties.totalArea } : {}),
      }));
    }
    const original = log.originalOperationData;
    if (original !== undefined || log.originalOperationType !== undefined) {
      properties.originalOperationData = {
        ...original,
        ...(log.originalOperationType !== undefined ? { originalOperationType: log.originalOperationType } : {}),
      };
    }
    return properties;
  }
}
