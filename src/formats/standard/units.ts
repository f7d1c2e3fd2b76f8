/**
 * The one conversion table of the standard step: every `Unit` a reader may report, its dimension
 * and its size in SI units of that dimension, and the unit each output property takes in Leaf's
 * METRIC and IMPERIAL systems (research/leaf-api.md 7.6). `DEFAULT` keeps the source unit.
 *
 * US customary definitions (NIST Handbook 44, appendix C): 1 ft = 0.3048 m exactly, 1 lb =
 * 0.45359237 kg exactly, 1 US gal = 231 in³, 1 US bu = 2150.42 in³, 1 acre = 43,560 ft².
 */
import type { UnitMeasurement } from '../../domain/configurations.js';
import type { Unit } from '../machine-data.js';

export type Dimension =
  | 'length' | 'area' | 'speed' | 'angle' | 'percent' | 'time'
  | 'mass' | 'massPerArea' | 'massFlow' | 'volume' | 'volumePerArea'
  | 'seeds' | 'seedsPerArea' | 'force' | 'count';

const INCH = 0.0254;
const FOOT = 0.3048;
const ACRE = 43_560 * FOOT * FOOT;
const POUND = 0.45359237;
const GALLON = 231 * INCH ** 3;
const BUSHEL = 2150.42 * INCH ** 3;
const HECTARE = 10_000;
const STANDARD_GRAVITY = 9.80665;

/** Each unit's dimension and how many SI units (m, m², m/s, kg, m³, kg/m², ...) one of it is. */
export const UNITS: { readonly [U in Unit]: { readonly dimension: Dimension; readonly si: number } } = {
  m: { dimension: 'length', si: 1 },
  ft: { dimension: 'length', si: FOOT },
  in: { dimension: 'length', si: INCH },
  cm: { dimension: 'length', si: 0.01 },
  mm: { dimension: 'length', si: 0.001 },
  mi: { dimension: 'length', si: 5280 * FOOT },
  m2: { dimension: 'area', si: 1 },
  ha: { dimension: 'area', si: HECTARE },
  ac: { dimension: 'area', si: ACRE },
  'm/s': { dimension: 'speed', si: 1 },
  'km/h': { dimension: 'speed', si: 1000 / 3600 },
  'mi/hr': { dimension: 'speed', si: (5280 * FOOT) / 3600 },
  'ft/s': { dimension: 'speed', si: FOOT },
  arcdeg: { dimension: 'angle', si: 1 },
  prcnt: { dimension: 'percent', si: 1 },
  s: { dimension: 'time', si: 1 },
  kg: { dimension: 'mass', si: 1 },
  t: { dimension: 'mass', si: 1000 },
  lb: { dimension: 'mass', si: POUND },
  'kg/ha': { dimension: 'massPerArea', si: 1 / HECTARE },
  't/ha': { dimension: 'massPerArea', si: 1000 / HECTARE },
  'lb/ac': { dimension: 'massPerArea', si: POUND / ACRE },
  'kg/s': { dimension: 'massFlow', si: 1 },
  'lb/s': { dimension: 'massFlow', si: POUND },
  't/h': { dimension: 'massFlow', si: 1000 / 3600 },
  L: { dimension: 'volume', si: 0.001 },
  m3: { dimension: 'volume', si: 1 },
  gal: { dimension: 'volume', si: GALLON },
  bu: { dimension: 'volume', si: BUSHEL },
  floz: { dimension: 'volume', si: GALLON / 128 },
  'L/ha': { dimension: 'volumePerArea', si: 0.001 / HECTARE },
  'm3/ha': { dimension: 'volumePerArea', si: 1 / HECTARE },
  'gal/ac': { dimension: 'volumePerArea', si: GALLON / ACRE },
  'bu/ac': { dimension: 'volumePerArea', si: BUSHEL / ACRE },
  'floz/ac': { dimension: 'volumePerArea', si: GALLON / 128 / ACRE },
  seeds: { dimension: 'seeds', si: 1 },
  'seeds/ha': { dimension: 'seedsPerArea', si: 1 / HECTARE },
  'seeds/ac': { dimension: 'seedsPerArea', si: 1 / ACRE },
  kgf: { dimension: 'force', si: STANDARD_GRAVITY },
  lbf: { dimension: 'force', si: POUND * STANDARD_GRAVITY },
  count: { dimension: 'count', si: 1 },
};

/** The SI unit Furrow computes in, per dimension (derivations happen in these). */
export const SI_UNIT: { readonly [D in Dimension]: Unit } = {
  length: 'm', area: 'm2', speed: 'm/s', angle: 'arcdeg', percent: 'prcnt', time: 's',
  mass: 'kg', massPerArea: 'kg/ha', massFlow: 'kg/s', volume: 'm3', volumePerArea: 'm3/ha',
  seeds: 'seeds', seedsPerArea: 'seeds/ha', force: 'kgf', count: 'count',
};

/** Multiply a value in `from` by this to get it in `to`. Throws when the dimensions differ (a programming error). */
export function conversionFactor(from: Unit, to: Unit): number {
  const a = UNITS[from];
  const b = UNITS[to];
  if (a.dimension !== b.dimension) throw new Error(`cannot convert ${from} (${a.dimension}) to ${to} (${b.dimension})`);
  return from === to ? 1 : a.si / b.si;
}

/** Multiply by this to get SI (m, m², m/s, kg, m³, kg/m², m³/m², seeds/m², N). */
export function toSi(unit: Unit): number {
  return UNITS[unit].si;
}

/**
 * What a property measures, for choosing its METRIC or IMPERIAL unit: depths are centimetres or
 * inches where other lengths are metres or feet; harvested volumes are m³ or bushels where applied
 * volumes are litres or gallons.
 */
export type UnitRole = 'depth' | 'harvest' | 'applied' | 'pointArea' | 'totalArea' | 'other';

const METRIC: { readonly [D in Dimension]: Unit } = {
  length: 'm', area: 'ha', speed: 'm/s', angle: 'arcdeg', percent: 'prcnt', time: 's',
  mass: 't', massPerArea: 't/ha', massFlow: 't/h', volume: 'm3', volumePerArea: 'm3/ha',
  seeds: 'seeds', seedsPerArea: 'seeds/ha', force: 'kgf', count: 'count',
};
const IMPERIAL: { readonly [D in Dimension]: Unit } = {
  length: 'ft', area: 'ac', speed: 'ft/s', angle: 'arcdeg', percent: 'prcnt', time: 's',
  mass: 'lb', massPerArea: 'lb/ac', massFlow: 'lb/s', volume: 'bu', volumePerArea: 'bu/ac',
  seeds: 'seeds', seedsPerArea: 'seeds/ac', force: 'lbf', count: 'count',
};

/**
 * The unit a property is written in. Per-point `area` stays m² in every system, as in Leaf's
 * `units` sample (7.6: `"area": "m2"` beside `ft`, `lb/ac`, `bu`); summary `totalArea` is ha or ac.
 * Applied rates follow the source's kind (mass or volume): kg/ha and L/ha, lb/ac and gal/ac.
 */
export function outputUnit(source: Unit, role: UnitRole, system: UnitMeasurement): Unit {
  if (system === 'DEFAULT') return source;
  const metric = system === 'METRIC';
  const { dimension } = UNITS[source];
  if (role === 'pointArea' && dimension === 'area') return 'm2';
  if (role === 'depth' && dimension === 'length') return metric ? 'cm' : 'in';
  if (role === 'applied') {
    if (dimension === 'massPerArea') return metric ? 'kg/ha' : 'lb/ac';
    if (dimension === 'volumePerArea') return metric ? 'L/ha' : 'gal/ac';
    if (dimension === 'mass') return metric ? 'kg' : 'lb';
    if (dimension === 'volume') return metric ? 'L' : 'gal';
  }
  return (metric ? METRIC : IMPERIAL)[dimension];
}
