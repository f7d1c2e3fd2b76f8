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

  add(batch: StandardBatch, keep: Uint8Array): void {
    const area = this.areaIndex >= 0 ? batch.values[this.areaIndex]! : undefined;
    const { time, lon, lat } = batch;
    let points = 0;
    let start = this.startTime;
    let end = this.endTime;
    let [minLon, minLat, maxLon, maxLat] = this.bbox;
    for (let i = 0; i < batch.length; i++) {
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
    this.points += points;
    this.startTime = start;
    this.endTime = end;
    this.bbox = [minLon, minLat, maxLon, maxLat];
    for (let f = 0; f < this.fields.length; f++) {
      const values = batch.values[f]!;
      // Only rates become totals by area (RATE_TOTALS): the other fields skip that product.
      const areas = this.rate[f] === 1 ? area : undefined;
      let min = this.min[f]!;
      let max = this.max[f]!;
      let sum = 0;
      let count = 0;
      let rateArea = 0;
      for (let i = 0; i < batch.length; i++) {
        if (keep[i] !== 1) continue;
        const v = values[i]!;
        if (v !== v) continue;
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        count++;
        if (areas !== undefined) {
          const a = areas[i]!;
          if (a === a) rateArea += v * a;
        }
      }
      this.min[f] = min;
      this.max[f] = max;
      this.sum[f] = this.sum[f]! + sum;
      this.count[f] = this.count[f]! + count;
      this.rateArea[f] = this.rateArea[f]! + rateArea;
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
