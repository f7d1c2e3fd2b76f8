/**
 * Turns a reader's columns into Leaf's standardGeojson properties (research/leaf-api.md 7.5), batch
 * by batch: every column to SI, the missing quantities derived (distance from positions, area from
 * width × distance, per-point harvest masses and volumes from rates, flows, densities and moisture),
 * then every property to the unit the user's `unitMeasurement` asks for (7.6).
 *
 * Derivation rules, in order, each filling only values still missing:
 * - `distance`: haversine from the previous logged position, when the log has no distance column
 *   and the two points are in time order (or carry no time); the first point gets 0.
 * - `speed`: distance / Δt; `area`: equipmentWidth × distance.
 * - harvested: mass = mass per area × area, or flow × Δt; volume likewise; mass ↔ volume by the
 *   crop's test weight; dry = wet × (100 − moisture) / (100 − standard moisture) (`crops.ts`), and
 *   dry = wet when the crop is not in the table, as Leaf does; per-area values = value / area.
 */
import type { UnitMeasurement } from '../../domain/configurations.js';
import type { MachineLog, OperationType, PointBatch, PointProperty, Unit } from '../machine-data.js';
import { cropProperties, kilogramsPerBushel, type CropProperties } from './crops.js';
import { outputUnit, SI_UNIT, toSi, UNITS, type Dimension, type UnitRole } from './units.js';

/** Internal quantities: the point properties plus the time step between points. */
type Quantity = PointProperty | 'dt';

/** A numeric property of the output, in the order features list them. */
export interface StandardField {
  readonly name: string;
  readonly unit: Unit;
  /** Written rounded to a whole number (Leaf: `seedRate` is an int). */
  readonly integer: boolean;
}

/** What one batch becomes: positions, time, and one array per `StandardSchema.fields` entry. */
export interface StandardBatch {
  readonly length: number;
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly time: Float64Array;
  /** Output units; NaN where missing. Same order as the schema's fields. */
  readonly values: readonly Float64Array[];
  /** 1 "On", 0 "Off", NaN unknown (no workState). */
  readonly recording: Float64Array;
  /** Metres, SI: for coverage, whatever the output units. */
  readonly widthMetres: Float64Array;
  /** Metres from the previous logged point (raw, before cleanup); NaN when unknown. */
  readonly stepMetres: Float64Array;
  readonly prevLon: Float64Array;
  readonly prevLat: Float64Array;
}

/** Properties of every point of a log: its text values are the same for each point. */
export interface StandardText {
  readonly operationType: OperationType;
  readonly originalOperationType?: string;
  /** `unknown` when a planted or harvested log names no crop, so Leaf's `crop NE unknown` rule can drop it. */
  readonly crop?: string;
  readonly variety?: string;
  /** Per-point products as Leaf writes them; a single product's rate is the point's appliedRate. */
  readonly products?: readonly { name: string }[];
  readonly productRateFromAppliedRate: boolean;
  readonly hasRecordingStatus: boolean;
}

/** What the standard step needs of a log: its metadata, plain data (it can cross to another thread). */
export type LogMetadata = Pick<MachineLog, 'columns' | 'crop' | 'varieties' | 'products' | 'originalOperationType'>;

/** A log's `LogMetadata` copied out of it (a reader's log may be a proxy or hold functions). */
export function logMetadata(log: LogMetadata): LogMetadata {
  return {
    columns: log.columns.map(({ property, unit }) => ({ property, unit })),
    ...(log.crop !== undefined ? { crop: [...log.crop] } : {}),
    ...(log.varieties !== undefined ? { varieties: [...log.varieties] } : {}),
    ...(log.products !== undefined ? { products: log.products.map((p) => ({ name: p.name, ...(p.type !== undefined ? { type: p.type } : {}) })) } : {}),
    ...(log.originalOperationType !== undefined ? { originalOperationType: log.originalOperationType } : {}),
  };
}

const EXCLUDED: ReadonlySet<PointProperty> = new Set(['workState', 'wetMassFlow', 'wetVolumeFlow']);

const HARVEST_DERIVED: readonly PointProperty[] = [
  'harvestMoisture', 'wetMass', 'wetMassPerArea', 'wetVolume', 'wetVolumePerArea', 'dryMass', 'dryMassPerArea', 'dryVolume', 'dryVolumePerArea',
];

/** Output order: common properties, then the operation's (POINT_PROPERTIES order). */
const ORDER: readonly PointProperty[] = [
  'area', 'distance', 'elevation', 'heading', 'speed', 'equipmentWidth', 'sectionId', 'xOffset', 'yOffset', 'fuelUsed',
  'seedRate', 'seedRateTarget', 'seedDepth', 'downForce', 'downForceMargin', 'singulation', 'skips', 'doubles',
  'appliedRate', 'appliedRateTarget',
  ...HARVEST_DERIVED, 'proteinPercentage', 'samplingInterval',
  'tillageDepthTarget', 'tillageDepthActual',
];

/** Dimension of the quantities Furrow derives (read columns carry their own unit). */
const DERIVED_DIMENSION: Partial<Record<Quantity, Dimension>> = {
  area: 'area', distance: 'length', speed: 'speed', dt: 'time',
  wetMass: 'mass', wetMassPerArea: 'massPerArea', wetVolume: 'volume', wetVolumePerArea: 'volumePerArea',
  dryMass: 'mass', dryMassPerArea: 'massPerArea', dryVolume: 'volume', dryVolumePerArea: 'volumePerArea',
};

const ROLE: Partial<Record<PointProperty, UnitRole>> = {
  area: 'pointArea', seedDepth: 'depth', tillageDepthTarget: 'depth', tillageDepthActual: 'depth',
  appliedRate: 'applied', appliedRateTarget: 'applied', fuelUsed: 'applied',
};

const US_UNITS: ReadonlySet<Unit> = new Set(['ft', 'in', 'mi', 'ac', 'mi/hr', 'ft/s', 'lb', 'lb/ac', 'lb/s', 'gal', 'bu', 'floz', 'gal/ac', 'bu/ac', 'floz/ac', 'seeds/ac', 'lbf']);

/**
 * A derivation: fill `target` where missing from `inputs`, all in SI. `fill` runs over a whole batch:
 * one call per rule and batch, so the per-point arithmetic is a monomorphic loop V8 compiles
 * tightly, not a call through a closure per point.
 */
interface Rule {
  readonly target: Quantity;
  readonly inputs: readonly Quantity[];
  readonly needsCrop?: boolean;
  /** Returns how many of the batch's target values are still missing (NaN) afterwards. */
  readonly fill: (v: Readonly<Record<Quantity, Float64Array>>, n: number, crop: CropContext) => number;
}

interface CropContext {
  readonly known: boolean;
  /** kg per m³ (test weight). */
  readonly density: number;
  readonly table?: CropProperties;
}

type Columns = Readonly<Record<Quantity, Float64Array>>;

/** target = a × b. */
const product = (target: Quantity, a: Quantity, b: Quantity): Rule => ({
  target,
  inputs: [a, b],
  fill: (v: Columns, n: number) => {
    const t = v[target];
    const x = v[a];
    const y = v[b];
    let missing = 0;
    for (let i = 0; i < n; i++) {
      if (t[i] === t[i]) continue;
      const r = x[i]! * y[i]!;
      t[i] = r;
      if (r !== r) missing++;
    }
    return missing;
  },
});

/** target = total / area where the area is positive. */
const perArea = (target: Quantity, total: Quantity): Rule => ({
  target,
  inputs: [total, 'area'],
  fill: (v: Columns, n: number) => {
    const t = v[target];
    const x = v[total];
    const area = v.area;
    let missing = 0;
    for (let i = 0; i < n; i++) {
      if (t[i] === t[i]) continue;
      const r = area[i]! > 0 ? x[i]! / area[i]! : Number.NaN;
      t[i] = r;
      if (r !== r) missing++;
    }
    return missing;
  },
});

/** Mass from volume (× density) or volume from mass (÷ density), by the crop's test weight. */
const byDensity = (target: Quantity, source: Quantity, multiply: boolean): Rule => ({
  target,
  inputs: [source],
  needsCrop: true,
  fill: (v: Columns, n: number, crop: CropContext) => {
    const t = v[target];
    const x = v[source];
    const density = crop.density;
    let missing = 0;
    for (let i = 0; i < n; i++) {
      if (t[i] === t[i]) continue;
      const r = multiply ? x[i]! * density : x[i]! / density;
      t[i] = r;
      if (r !== r) missing++;
    }
    return missing;
  },
});

/** Dry from wet (× the dry-matter factor at the point's moisture) or wet from dry (÷ it); factor 1 for a crop not in the table. */
const byDryMatter = (target: Quantity, source: Quantity, toDry: boolean): Rule => ({
  target,
  inputs: [source, 'harvestMoisture'],
  fill: (v: Columns, n: number, crop: CropContext) => {
    const t = v[target];
    const x = v[source];
    const moisture = v.harvestMoisture;
    const table = crop.table;
    let missing = 0;
    if (table === undefined) {
      for (let i = 0; i < n; i++) {
        if (t[i] === t[i]) continue;
        const r = x[i]!;
        t[i] = r;
        if (r !== r) missing++;
      }
      return missing;
    }
    const standard = 100 - table.standardMoisture;
    for (let i = 0; i < n; i++) {
      if (t[i] === t[i]) continue;
      // dryMatterFactor (crops.ts), inlined.
      const factor = (100 - moisture[i]!) / standard;
      const r = toDry ? x[i]! * factor : x[i]! / factor;
      t[i] = r;
      if (r !== r) missing++;
    }
    return missing;
  },
});

const BASE_RULES: readonly Rule[] = [
  {
    target: 'speed',
    inputs: ['distance', 'dt'],
    fill: (v: Columns, n: number) => {
      const t = v.speed;
      const distance = v.distance;
      const dt = v.dt;
      let missing = 0;
      for (let i = 0; i < n; i++) {
        if (t[i] === t[i]) continue;
        const r = dt[i]! > 0 ? distance[i]! / dt[i]! : Number.NaN;
        t[i] = r;
        if (r !== r) missing++;
      }
      return missing;
    },
  },
  product('area', 'equipmentWidth', 'distance'),
];

const HARVEST_RULES: readonly Rule[] = [
  product('wetMass', 'wetMassPerArea', 'area'),
  product('wetMass', 'wetMassFlow', 'dt'),
  product('wetVolume', 'wetVolumePerArea', 'area'),
  product('wetVolume', 'wetVolumeFlow', 'dt'),
  product('dryMass', 'dryMassPerArea', 'area'),
  product('dryVolume', 'dryVolumePerArea', 'area'),
  byDensity('wetMass', 'wetVolume', true),
  byDensity('wetVolume', 'wetMass', false),
  byDensity('dryMass', 'dryVolume', true),
  byDensity('dryVolume', 'dryMass', false),
  byDryMatter('dryMass', 'wetMass', true),
  byDryMatter('dryVolume', 'wetVolume', true),
  byDryMatter('wetMass', 'dryMass', false),
  byDryMatter('wetVolume', 'dryVolume', false),
  perArea('wetMassPerArea', 'wetMass'),
  perArea('wetVolumePerArea', 'wetVolume'),
  perArea('dryMassPerArea', 'dryMass'),
  perArea('dryVolumePerArea', 'dryVolume'),
];

/** When the crop is unknown, dry values repeat wet ones: moisture is not needed. */
function ruleInputs(rule: Rule, cropKnown: boolean): readonly Quantity[] {
  return cropKnown ? rule.inputs : rule.inputs.filter((q) => q !== 'harvestMoisture');
}

const EARTH_RADIUS = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function haversineMetres(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS * Math.asin(Math.min(1, Math.sqrt(a)));
}

/*
 * The per-point loops of `convert` are functions of their own, called per batch (and column), so V8
 * optimises each whole early rather than running it unoptimised (boxing every double) at each call
 * until the loop is replaced on the stack.
 */

function scale(source: Float64Array, factor: number, target: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) target[i] = source[i]! * factor;
}

function scaleRounded(source: Float64Array, factor: number, target: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) target[i] = Math.round(source[i]! * factor);
}

/**
 * Per point: metres from the previous logged position (haversineMetres, inlined, the previous
 * point's cosine kept rather than computed again; NaN when time runs backwards, 0 for the first
 * point), that position, and seconds since the previous time. `previous` (lon, lat, cos lat, time)
 * carries across batches; `distance` is filled too when the log has no distance column.
 */
function steps(lon: Float64Array, lat: Float64Array, time: Float64Array, n: number, previous: Float64Array, out: Float64Array, prevLonOut: Float64Array, prevLatOut: Float64Array, distance: Float64Array | null, dt: Float64Array): void {
  let prevLon = previous[0]!;
  let prevLat = previous[1]!;
  let prevCos = previous[2]!;
  let prevTime = previous[3]!;
  for (let i = 0; i < n; i++) {
    const x = lon[i]!;
    const y = lat[i]!;
    const t = time[i]!;
    const ordered = !(t < prevTime); // NaN times count as ordered: file order is all there is
    const cos = Math.cos(y * RAD);
    let step = 0;
    if (prevLon === prevLon) {
      if (ordered) {
        const dLat = (y - prevLat) * RAD;
        const dLon = (x - prevLon) * RAD;
        const h = Math.sin(dLat / 2) ** 2 + prevCos * cos * Math.sin(dLon / 2) ** 2;
        step = 2 * EARTH_RADIUS * Math.asin(Math.min(1, Math.sqrt(h)));
      } else step = Number.NaN;
    }
    out[i] = step;
    prevLonOut[i] = prevLon;
    prevLatOut[i] = prevLat;
    if (distance !== null) distance[i] = step;
    dt[i] = t >= prevTime ? (t - prevTime) / 1000 : Number.NaN;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      prevLon = x;
      prevLat = y;
      prevCos = cos;
    }
    if (Number.isFinite(t)) prevTime = t;
  }
  previous[0] = prevLon;
  previous[1] = prevLat;
  previous[2] = prevCos;
  previous[3] = prevTime;
}

/**
 * The standardGeojson schema of one log and the per-batch conversion to it. Stateful across
 * batches (the previous point, for distances and time steps): one instance per log, batches in order.
 */
export class Standardizer {
  readonly fields: readonly StandardField[];
  readonly text: StandardText;
  /** Read or derived properties the operation requires but the log cannot give. */
  readonly missingRequired: readonly string[];
  private readonly columnIndex = new Map<Quantity, number>();
  private readonly available = new Set<Quantity>();
  private readonly rules: readonly Rule[];
  private readonly crop: CropContext;
  private readonly fieldQuantity: readonly PointProperty[];
  private readonly fieldFactor: Float64Array;
  private readonly deriveDistance: boolean;
  private capacity = 0;
  private readonly missing = new Map<Quantity, number>();
  private si = {} as Record<Quantity, Float64Array>;
  private out: Float64Array[] = [];
  private recording = new Float64Array(0);
  private prevLonArr = new Float64Array(0);
  private prevLatArr = new Float64Array(0);
  private step = new Float64Array(0);
  /** The previous logged point, across batches: lon, lat, the cosine of its latitude, time. */
  private readonly previous = Float64Array.of(Number.NaN, Number.NaN, Number.NaN, Number.NaN);

  constructor(
    private readonly log: LogMetadata,
    operationType: OperationType,
    system: UnitMeasurement,
  ) {
    const sourceUnit = new Map<Quantity, Unit>();
    log.columns.forEach((column, index) => {
      if (this.columnIndex.has(column.property)) return; // a reader sending a property twice: the first wins
      this.columnIndex.set(column.property, index);
      sourceUnit.set(column.property, column.unit);
      this.available.add(column.property);
    });
    const cropName = log.crop?.[0];
    const table = cropProperties(cropName);
    this.crop = table === undefined ? { known: false, density: Number.NaN } : { known: true, table, density: kilogramsPerBushel(table) / UNITS.bu.si };

    this.deriveDistance = !this.available.has('distance');
    this.available.add('distance');
    this.available.add('dt');
    const rules = operationType === 'harvested' ? [...BASE_RULES, ...HARVEST_RULES] : BASE_RULES;
    // The fixpoint of the rules over "which quantities exist" decides which properties are written.
    for (let changed = true; changed; ) {
      changed = false;
      for (const rule of rules) {
        if (this.available.has(rule.target) || (rule.needsCrop === true && !this.crop.known)) continue;
        if (ruleInputs(rule, this.crop.known).every((q) => this.available.has(q))) {
          this.available.add(rule.target);
          changed = true;
        }
      }
    }
    this.rules = rules.filter((rule) => !(rule.needsCrop === true && !this.crop.known) && ruleInputs(rule, this.crop.known).every((q) => this.available.has(q)));

    const usUnits = [...sourceUnit.values()].filter((u) => US_UNITS.has(u)).length;
    const derivedSystem: UnitMeasurement = system !== 'DEFAULT' ? system : usUnits * 2 > sourceUnit.size ? 'IMPERIAL' : 'METRIC';
    const fields: StandardField[] = [];
    const quantities: PointProperty[] = [];
    const factors: number[] = [];
    for (const property of ORDER) {
      if (!this.available.has(property) || EXCLUDED.has(property)) continue;
      const read = sourceUnit.get(property);
      const role = ROLE[property] ?? 'other';
      const unit = read !== undefined ? outputUnit(read, role, system) : outputUnit(SI_UNIT[DERIVED_DIMENSION[property]!], role, derivedSystem);
      fields.push({ name: property, unit, integer: property === 'seedRate' });
      quantities.push(property);
      factors.push(1 / toSi(unit));
    }
    this.fields = fields;
    this.fieldQuantity = quantities;
    this.fieldFactor = Float64Array.from(factors);

    const needsCrop = operationType === 'planted' || operationType === 'harvested';
    const single = log.products?.length === 1;
    this.text = {
      operationType,
      ...(log.originalOperationType !== undefined ? { originalOperationType: log.originalOperationType } : {}),
      ...(cropName !== undefined ? { crop: cropName } : needsCrop ? { crop: 'unknown' } : {}),
      ...(log.varieties?.length === 1 ? { variety: log.varieties[0]! } : {}),
      ...(operationType === 'applied' && log.products !== undefined && log.products.length > 0 ? { products: log.products.map((p) => ({ name: p.name })) } : {}),
      productRateFromAppliedRate: operationType === 'applied' && single && this.available.has('appliedRate'),
      hasRecordingStatus: this.columnIndex.has('workState'),
    };

    const required: Record<OperationType, readonly (readonly PointProperty[])[]> = {
      harvested: [['wetMass', 'wetMassPerArea', 'wetVolume', 'wetVolumePerArea', 'dryMass', 'dryMassPerArea', 'dryVolume', 'dryVolumePerArea']],
      planted: [['seedRate']],
      applied: [['appliedRate']],
      tillage: [],
    };
    this.missingRequired = required[operationType].filter((anyOf) => !anyOf.some((p) => this.columnIndex.has(p) || this.available.has(p))).map((anyOf) => anyOf.join(' or '));
  }

  /** Converts one batch. The returned arrays are reused by the next call. */
  convert(batch: PointBatch): StandardBatch {
    const n = batch.length;
    this.ensureCapacity(n);
    const si = this.si;
    for (const [quantity, array] of Object.entries(si) as [Quantity, Float64Array][]) {
      const index = this.columnIndex.get(quantity);
      if (index === undefined) {
        array.fill(Number.NaN, 0, n);
        continue;
      }
      const source = batch.values[index]!;
      scale(source, toSi(this.log.columns[index]!.unit), array, n);
    }
    const { lon, lat, time } = batch;
    steps(lon, lat, time, n, this.previous, this.step, this.prevLonArr, this.prevLatArr, this.deriveDistance ? si.distance : null, si.dt);
    // Twice: a value derived late in the list (a mass from a volume) can feed an earlier rule. A
    // rule only fills missing values, so once its target has none left it has nothing to do.
    const missing = this.missing;
    missing.clear();
    for (let pass = 0; pass < 2; pass++) {
      for (const rule of this.rules) if (missing.get(rule.target) !== 0) missing.set(rule.target, rule.fill(si, n, this.crop));
    }
    for (let f = 0; f < this.fieldQuantity.length; f++) {
      const source = si[this.fieldQuantity[f]!];
      const out = this.out[f]!;
      const factor = this.fieldFactor[f]!;
      if (this.fields[f]!.integer) scaleRounded(source, factor, out, n);
      else scale(source, factor, out, n);
    }
    const workState = this.columnIndex.get('workState');
    if (workState === undefined) this.recording.fill(Number.NaN, 0, n);
    else {
      const source = batch.values[workState]!;
      for (let i = 0; i < n; i++) {
        const v = source[i]!;
        this.recording[i] = Number.isNaN(v) ? Number.NaN : v > 0 ? 1 : 0;
      }
    }
    return {
      length: n,
      lon,
      lat,
      time,
      values: this.out,
      recording: this.recording,
      widthMetres: si.equipmentWidth,
      stepMetres: this.step,
      prevLon: this.prevLonArr,
      prevLat: this.prevLatArr,
    };
  }

  private ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    this.capacity = Math.max(n, this.capacity * 2);
    const quantities = new Set<Quantity>([...this.available, 'equipmentWidth', 'harvestMoisture']);
    this.si = Object.fromEntries([...quantities].map((q) => [q, new Float64Array(this.capacity)])) as Record<Quantity, Float64Array>;
    this.out = this.fields.map(() => new Float64Array(this.capacity));
    this.recording = new Float64Array(this.capacity);
    this.step = new Float64Array(this.capacity);
    this.prevLonArr = new Float64Array(this.capacity);
    this.prevLatArr = new Float64Array(this.capacity);
  }
}
