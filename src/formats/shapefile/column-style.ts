/**
 * What an export style is: a table from the column names a display or desktop package writes to
 * Leaf's point properties and units, plus which columns carry time, crop and names. One module per
 * style under `column-styles/`; `detectColumnStyle` picks the one the columns match best.
 */
import type { OperationType, PointProperty, Unit } from '../machine-data.js';

/** Exports name their units after the user's display setting; truncation often cuts the suffix off. */
export type UnitSystem = 'imperial' | 'metric';

export interface ColumnRule {
  /** Lower-case column names this rule reads; the first one present wins. */
  readonly names: readonly string[];
  readonly property: PointProperty;
  /** The unit, or one per unit system when the export's name does not say (10-character truncation). */
  readonly unit: Unit | { readonly imperial: Unit; readonly metric: Unit };
  /** Multiplier into `unit` (thousands of seeds per acre into seeds per acre). */
  readonly scale?: number;
  /** `flag` columns hold In/Out, On/Off, Y/N and become 1/0. */
  readonly kind?: 'number' | 'flag';
  /** Set when the file does not state the unit and the rule assumes it: becomes a warning. */
  readonly assumedUnit?: boolean;
}

/** Where a style's point times come from, in order of preference. */
export type TimeRule =
  /** Seconds since an epoch (Unix or GPS, decided by `chooseEpoch`). */
  | { readonly kind: 'epoch-seconds'; readonly names: readonly string[] }
  /** ISO 8601 text, e.g. John Deere's `IsoTime`. */
  | { readonly kind: 'iso'; readonly names: readonly string[] }
  /**
   * Ag Leader SMS: `Dataset` = "yy/mm/dd-HH:MM:SS (serial)", the logging start, plus the running
   * sum of each record's `Duration_s`.
   */
  | { readonly kind: 'dataset-duration'; readonly dataset: readonly string[]; readonly duration: readonly string[] };

export interface ColumnStyle {
  readonly id: string;
  /** For warnings and logs: "Ag Leader SMS export". */
  readonly label: string;
  /** Lower-case names typical of this style; the style with most of them present wins. */
  readonly signature: readonly string[];
  readonly columns: readonly ColumnRule[];
  readonly time: readonly TimeRule[];
  /** Columns naming the crop (yield) or the product/variety (seeding, application). */
  readonly crop?: readonly string[];
  readonly product?: readonly string[];
  readonly variety?: readonly string[];
  readonly field?: readonly string[];
  readonly farm?: readonly string[];
  readonly grower?: readonly string[];
  /** Columns holding calendar dates, used to decide between Unix and GPS epoch seconds. */
  readonly dateHints?: readonly string[];
}

/** A rule bound to a column of the file. */
export interface ResolvedColumn {
  readonly index: number;
  readonly property: PointProperty;
  readonly unit: Unit;
  readonly scale: number;
  readonly kind: 'number' | 'flag';
  readonly fieldName: string;
  readonly assumedUnit: boolean;
}

// Only suffixes that cannot be read otherwise: `Crop_Flw_M` is "mass flow", not metres.
const METRIC_SUFFIX = /(km_?h|kph|^distance_m$|^elevation_m$|_ha_?$|_m_s_?$|_cm_?$)/i;
const IMPERIAL_SUFFIX = /(mph|_ft_?$|^distance_f$|_ac_?$|_in_?$)/i;

/**
 * The export's unit system, read from the names whose unit suffix survived (`Speed_mph_`,
 * `Distance_f`, `Speed_km_h`); imperial when none says, as US displays export by default.
 */
export function unitSystemOf(names: readonly string[]): UnitSystem {
  let metric = 0;
  let imperial = 0;
  for (const name of names) {
    if (METRIC_SUFFIX.test(name)) metric++;
    else if (IMPERIAL_SUFFIX.test(name)) imperial++;
  }
  return metric > imperial ? 'metric' : 'imperial';
}

/** Index of the first of `names` present in `lowerNames`, or -1. */
export function findColumn(lowerNames: readonly string[], names: readonly string[] | undefined): number {
  for (const name of names ?? []) {
    const index = lowerNames.indexOf(name);
    if (index >= 0) return index;
  }
  return -1;
}

/** The style whose signature the columns match best; null when none matches two or more names. */
export function detectColumnStyle(styles: readonly ColumnStyle[], names: readonly string[]): ColumnStyle | null {
  const lower = names.map((n) => n.toLowerCase());
  let best: ColumnStyle | null = null;
  let bestScore = 1;
  for (const style of styles) {
    const score = style.signature.filter((s) => lower.includes(s)).length;
    if (score > bestScore) {
      best = style;
      bestScore = score;
    }
  }
  return best;
}

/** Binds a style's rules to the file's columns; one column per property, first rule wins. */
export function resolveColumns(style: ColumnStyle, names: readonly string[]): ResolvedColumn[] {
  const lower = names.map((n) => n.toLowerCase());
  const system = unitSystemOf(names);
  const taken = new Set<PointProperty>();
  const resolved: ResolvedColumn[] = [];
  for (const rule of style.columns) {
    if (taken.has(rule.property)) continue;
    const index = findColumn(lower, rule.names);
    if (index < 0) continue;
    taken.add(rule.property);
    resolved.push({
      index,
      property: rule.property,
      unit: typeof rule.unit === 'string' ? rule.unit : rule.unit[system],
      scale: rule.scale ?? 1,
      kind: rule.kind ?? 'number',
      fieldName: names[index]!,
      assumedUnit: rule.assumedUnit === true,
    });
  }
  return resolved;
}

const HARVEST: ReadonlySet<PointProperty> = new Set([
  'wetMass', 'wetMassPerArea', 'wetVolume', 'wetVolumePerArea', 'dryMass', 'dryMassPerArea', 'dryVolume', 'dryVolumePerArea', 'wetMassFlow', 'wetVolumeFlow',
]);

/** Yield columns make a harvest, seed rates a planting, applied rates an application. */
export function operationTypeOf(properties: readonly PointProperty[]): OperationType | null {
  if (properties.some((p) => HARVEST.has(p))) return 'harvested';
  if (properties.includes('seedRate') || properties.includes('seedRateTarget')) return 'planted';
  if (properties.includes('appliedRate') || properties.includes('appliedRateTarget')) return 'applied';
  if (properties.includes('tillageDepthActual') || properties.includes('tillageDepthTarget')) return 'tillage';
  return null;
}
