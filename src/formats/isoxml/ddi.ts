/**
 * The ISO 11783-11 data dictionary entries Furrow maps to Leaf's point properties: which DDI becomes
 * which property, and the factor from the raw int32 (DDI unit × bit resolution) to the unit the
 * column declares. Resolutions and units are those of the published dictionary
 * (isobus.net/isobus/dDEntity); proprietary DDIs (0xE000 and up) are never mapped.
 */
import type { OperationType, PointProperty, Unit } from '../machine-data.js';

/** How a DLV's raw value turns into the column value. */
export const ValueKind = {
  /** raw × factor */
  Scaled: 0,
  /** DDI 0x008D: 0 off, 1 on, 2 error, 3 not available. */
  WorkState: 1,
  /** DDI 0x00A1: 16 sections × 2 bits, each 00 off, 01 on, 10 error, 11 not available. */
  CondensedWorkState: 2,
  /** A running total: the column gets the increase since the previous point. */
  TotalDelta: 3,
  /** One of several bins (DET type 3) logging the same rate: the column is their sum. */
  BinSum: 4,
} as const;
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

export interface DdiSource {
  readonly ddi: number;
  readonly unit: Unit;
  readonly factor: number;
  readonly kind: ValueKind;
}

const scaled = (ddi: number, unit: Unit, factor: number): DdiSource => ({ ddi, unit, factor, kind: ValueKind.Scaled });

/*
 * Unit arithmetic, per DDI (raw unit × resolution → column unit):
 *   mm³/m² × 0.01 → L/ha: 1 mm³/m² = 1e-6 L / 1e-4 ha = 0.01 L/ha, so × 1e-4
 *   mg/m² → kg/ha: × 0.01          /m² × 0.001 → seeds/ha: × 10
 *   ml/m² → m³/ha: × 0.01          mg/s → kg/s: × 1e-6          ppm → %: × 1e-4
 *   mm → m: × 0.001, mm → cm: × 0.1    mm/s → m/s: × 0.001    ml → L: × 0.001    N → kgf: ÷ 9.80665
 */
const VOLUME_PER_AREA_ACTUAL = scaled(0x0002, 'L/ha', 1e-4);
const MASS_PER_AREA_ACTUAL = scaled(0x0007, 'kg/ha', 0.01);
const COUNT_PER_AREA_ACTUAL = scaled(0x000c, 'seeds/ha', 10);
const VOLUME_PER_AREA_SETPOINT = scaled(0x0001, 'L/ha', 1e-4);
const MASS_PER_AREA_SETPOINT = scaled(0x0006, 'kg/ha', 0.01);
const COUNT_PER_AREA_SETPOINT = scaled(0x000b, 'seeds/ha', 10);

/** Application rate families: the setpoint column must share the actual column's unit. */
export const APPLIED_RATE_FAMILIES: readonly { actual: DdiSource; setpoint: DdiSource }[] = [
  { actual: VOLUME_PER_AREA_ACTUAL, setpoint: VOLUME_PER_AREA_SETPOINT },
  { actual: MASS_PER_AREA_ACTUAL, setpoint: MASS_PER_AREA_SETPOINT },
  { actual: COUNT_PER_AREA_ACTUAL, setpoint: COUNT_PER_AREA_SETPOINT },
];

/**
 * Per property, the DDIs that can fill it, best first. `appliedRate`/`appliedRateTarget` are
 * chosen by family (see `APPLIED_RATE_FAMILIES`) and only for applied logs.
 */
export const PROPERTY_SOURCES: Partial<Record<PointProperty, readonly DdiSource[]>> = {
  // harvested
  wetMassPerArea: [scaled(0x0054, 'kg/ha', 0.01)],
  wetVolumePerArea: [scaled(0x0053, 'm3/ha', 0.01)],
  wetMassFlow: [scaled(0x0057, 'kg/s', 1e-6)],
  dryMassPerArea: [scaled(0x00b5, 'kg/ha', 0.01)],
  harvestMoisture: [scaled(0x0063, 'prcnt', 1e-4)],
  proteinPercentage: [scaled(0x0196, 'prcnt', 1e-4)],
  // planted
  seedRate: [COUNT_PER_AREA_ACTUAL],
  seedRateTarget: [COUNT_PER_AREA_SETPOINT],
  seedDepth: [scaled(0x0039, 'cm', 0.1)],
  downForce: [scaled(0x01ab, 'kgf', 1 / 9.80665)],
  singulation: [scaled(0x019f, 'prcnt', 1e-4)],
  skips: [scaled(0x01a1, 'prcnt', 1e-4)],
  doubles: [scaled(0x01a3, 'prcnt', 1e-4)],
  // tillage
  tillageDepthTarget: [scaled(0x0033, 'cm', 0.1)],
  tillageDepthActual: [scaled(0x0034, 'cm', 0.1)],
  // all
  speed: [scaled(0x018d, 'm/s', 0.001)],
  equipmentWidth: [scaled(0x0043, 'm', 0.001), scaled(0x0044, 'm', 0.001)],
  workState: [
    { ddi: 0x008d, unit: 'count', factor: 1, kind: ValueKind.WorkState },
    { ddi: 0x00a1, unit: 'count', factor: 1, kind: ValueKind.CondensedWorkState },
  ],
  xOffset: [scaled(0x0086, 'm', 0.001)],
  yOffset: [scaled(0x0087, 'm', 0.001)],
  fuelUsed: [
    { ddi: 0x0094, unit: 'L', factor: 0.001, kind: ValueKind.TotalDelta },
    { ddi: 0x013c, unit: 'L', factor: 0.001, kind: ValueKind.TotalDelta },
  ],
};

/** Properties that only make sense for one operation type. */
export const OPERATION_PROPERTIES: Record<OperationType, readonly PointProperty[]> = {
  harvested: ['wetMassPerArea', 'wetVolumePerArea', 'wetMassFlow', 'dryMassPerArea', 'harvestMoisture', 'proteinPercentage'],
  planted: ['seedRate', 'seedRateTarget', 'seedDepth', 'downForce', 'singulation', 'skips', 'doubles'],
  applied: ['appliedRate', 'appliedRateTarget'],
  tillage: ['tillageDepthTarget', 'tillageDepthActual'],
};

export const COMMON_PROPERTIES: readonly PointProperty[] = ['speed', 'equipmentWidth', 'workState', 'xOffset', 'yOffset', 'fuelUsed'];

/** DDIs whose presence in a time log says what the operation was, strongest evidence first. */
const OPERATION_EVIDENCE: readonly [OperationType, ReadonlySet<number>][] = [
  // yield per area / per time / totals, dry yields, cotton yields
  ['harvested', new Set([0x0053, 0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005a, 0x005b, 0x00b5, 0x00b6, 0x00b7, 0x00b9, 0x00ba, 0x00bb, 0x00bc])],
  // seed count per area, seeding depth, seed singulation/skip/multiple
  ['planted', new Set([0x000b, 0x000c, 0x0038, 0x0039, 0x019f, 0x01a1, 0x01a3])],
  // volume/mass per area and per time application rates, percentage rate
  ['applied', new Set([0x0001, 0x0002, 0x0006, 0x0007, 0x0024, 0x0025, 0x0029, 0x002a, 0x008c, 0x0134])],
  ['tillage', new Set([0x0033, 0x0034])],
];

/**
 * ISO 11783-1 device classes (the NAME's device class field) that imply an operation when the
 * time log's DDIs do not.
 */
const DEVICE_CLASS_OPERATION: Readonly<Record<number, OperationType>> = {
  2: 'tillage', // primary soil tillage
  3: 'tillage', // secondary soil tillage
  4: 'planted', // planters / seeders
  5: 'applied', // fertilizers
  6: 'applied', // sprayers
  7: 'harvested', // harvesters
  8: 'harvested', // root harvesters
  9: 'harvested', // forage harvesters
  25: 'applied', // slurry / manure applicators
};

/** Device classes of self-propelled machines (the rest are implements). */
export const MACHINE_DEVICE_CLASSES: ReadonlySet<number> = new Set([1, 7, 8, 9, 19, 20, 24]);

/** Operation type from the DDIs a log carries, then from its devices' classes; null when neither says. */
export function inferOperationType(ddis: ReadonlySet<number>, deviceClasses: readonly number[]): OperationType | null {
  for (const [operation, evidence] of OPERATION_EVIDENCE) {
    for (const ddi of ddis) if (evidence.has(ddi)) return operation;
  }
  for (const deviceClass of deviceClasses) {
    const operation = DEVICE_CLASS_OPERATION[deviceClass];
    if (operation !== undefined) return operation;
  }
  return null;
}
