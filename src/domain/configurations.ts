/**
 * Leaf configurations (`research/leaf-api.md` §4): every key with its default and the shape of its
 * value, as data; the rules that check a partial configuration; and Leaf's inheritance: Furrow's
 * defaults, then the API owner's values, then the Leaf user's values.
 *
 * Inheritance is per key. A key set on a Leaf user is frozen there ("once a configuration is set at
 * the Leaf User level, it will not change even if the API Owner's configuration is subsequently
 * modified", legacy-docs `configurations_overview.md`); a key not set follows the owner.
 */

// ---------------------------------------------------------------------------------------------
// Value types

export type OrganizationDataSync = 'ALL' | 'SELECTED_ONLY';
export type UnitMeasurement = 'METRIC' | 'IMPERIAL' | 'DEFAULT';
export type Optionality = 'optional' | 'required';
export type GeoimagesShape = 'SQUARE' | 'ROUND';
export type GeoimagesProjection = 'EPSG:3857' | 'EPSG:4326';
export type SummaryGeometry = 'BUFFER' | 'CONVEX_HULL';

/** Leaf's `cleanupRules` properties and whether their rules compare numbers or text (§4.1). */
export const CLEANUP_RULE_PROPERTIES = {
  wetMass: 'number',
  wetMassPerArea: 'number',
  wetVolume: 'number',
  wetVolumePerArea: 'number',
  harvestMoisture: 'number',
  appliedRate: 'number',
  seedRate: 'number',
  tillageDepthActual: 'number',
  area: 'number',
  products: 'number',
  recordingStatus: 'text',
  crop: 'text',
} as const;
export type CleanupRuleProperty = keyof typeof CLEANUP_RULE_PROPERTIES;

/** Operators of rules on numeric properties. */
export const CLEANUP_NUMBER_OPERATORS = ['GT', 'GTE', 'LT', 'LTE'] as const;
/** Operators of rules on text properties (`recordingStatus`, `crop`). */
export const CLEANUP_TEXT_OPERATORS = ['EQ', 'NE'] as const;
export type CleanupRule =
  | { operator: (typeof CLEANUP_NUMBER_OPERATORS)[number]; value: number }
  | { operator: (typeof CLEANUP_TEXT_OPERATORS)[number]; value: string };
/** Property -> rules a point must all pass; a set value replaces the whole default rule set. */
export type CleanupRules = Partial<Record<CleanupRuleProperty, CleanupRule[]>>;

/** Most rules one property may carry; Leaf's defaults use two. */
export const MAX_CLEANUP_RULES_PER_PROPERTY = 20;
/** Longest text a text rule may compare with. */
export const MAX_CLEANUP_TEXT_LENGTH = 200;

/** Percentage stops (`"0%"`..`"100%"`) and `"nv"` (no value) -> RGB or RGBA, each 0-255. */
export type ColorRamp = Record<string, number[]>;

/** The attributes Leaf can render an image of, per operation type (legacy-docs, `operationsImageAttributeCreation`). */
export const IMAGE_ATTRIBUTES = {
  harvested: [
    'area', 'distance', 'elevation', 'equipmentWidth', 'harvestMoisture', 'wetMass', 'wetMassPerArea', 'wetVolume', 'wetVolumePerArea',
    'dryMass', 'dryMassPerArea', 'dryVolume', 'dryVolumePerArea', 'speed', 'heading', 'cropFlow', 'proteinPercentage', 'fuelRate', 'fuelUsed',
  ],
  planted: ['heading', 'distance', 'elevation', 'seedRate', 'area', 'equipmentWidth', 'speed', 'seedRateTarget', 'seedDepth', 'fuelRate', 'fuelUsed', 'downForce', 'singulation'],
  applied: ['heading', 'distance', 'elevation', 'appliedRate', 'area', 'equipmentWidth', 'speed', 'appliedRateTarget', 'fuelRate', 'fuelUsed'],
  tillage: ['area', 'heading', 'distance', 'elevation', 'equipmentWidth', 'tillageDepthTarget', 'speed', 'tillageDepthActual', 'fuelRate', 'fuelUsed'],
} as const;
export type ImageAttributeFlags = { [G in keyof typeof IMAGE_ATTRIBUTES]: Record<(typeof IMAGE_ATTRIBUTES)[G][number], boolean> };

/** The full, effective configuration: what the sync and processing read. */
export interface ConfigurationValues {
  organizationDataSync: OrganizationDataSync;
  customDataSync: boolean;
  fieldsAutoSync: boolean;
  operationsAutoSync: boolean;
  implementsAutoSync: boolean;
  machinesAutoSync: boolean;
  operatorsAutoSync: boolean;
  productsAutoSync: boolean;
  zonesAutoSync: boolean;
  syncPartnerData: boolean;
  automaticFixBoundary: boolean;
  fieldsAttachIntersection: number;
  fieldsAutoMerge: boolean;
  fieldsMergeIntersection: number;
  cleanupStandardGeojson: boolean;
  cleanupRules: CleanupRules;
  originalOperationData: boolean;
  unitMeasurement: UnitMeasurement;
  enableOutsideFieldGeojson: boolean;
  enableGeoparquetOutput: boolean;
  enablePolygonOutput: boolean;
  cropOptional: { standardGeoJson: { planted: { crop: Optionality } } };
  seedRateOptional: { standardGeoJson: { planted: { seedRate: Optionality } } };
  outOfStandardOperations: boolean;
  summarizeByProductEntry: boolean;
  fieldOperationCreation: boolean;
  operationsFilteredGeojson: boolean;
  operationsRemoveOutliers: boolean;
  operationsOutliersLimit: number;
  operationsMergeRange: number;
  operationsMergeRangeHarvested: number;
  operationsProcessingRange: number;
  splitOperationsByField: boolean;
  splitOperationsByProvider: boolean;
  splitOperationsByTillType: boolean;
  enableOperationsSession: boolean;
  operationsImageCreation: boolean;
  operationsImageAsGeoTiff: boolean;
  operationsImageAttributeCreation: ImageAttributeFlags;
  irrigationProcessingRange: number;
  geoimagesResolution: number;
  geoimagesShape: GeoimagesShape;
  geoimagesProjection: GeoimagesProjection;
  geoimagesColorRamp: ColorRamp;
  generateProviderImages: boolean;
  summaryGeometry: SummaryGeometry;
  filesImageAttributeCreation: ImageAttributeFlags;
}

/** A canonical configuration key. */
export type ConfigurationKey = keyof ConfigurationValues;

/** The keys one level set itself (stored as is); every other key is inherited. */
export type ConfigurationOverrides = Partial<ConfigurationValues>;

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [P in keyof T]?: DeepPartial<T[P]> } : T;

/**
 * A checked request: the keys to change. Object-valued keys of the `object` kind may be partial
 * (merged over the current value); `null` removes a user's value so it inherits again.
 */
export type ConfigurationChanges = { [K in ConfigurationKey]?: DeepPartial<ConfigurationValues[K]> | null };

// ---------------------------------------------------------------------------------------------
// The table

/** The shape of one configuration value; the HTTP edge turns it into JSON Schema for OpenAPI. */
export type ValueSchema =
  | { type: 'boolean' }
  | { type: 'number'; integer?: boolean; minimum?: number; maximum?: number; exclusiveMinimum?: number; unit?: string }
  | { type: 'enum'; values: readonly string[] }
  /** Every property listed; requests may send some of them, which are merged over the current value. */
  | { type: 'object'; properties: Readonly<Record<string, ValueSchema>> }
  | { type: 'cleanupRules' }
  | { type: 'colorRamp' };

/** One row of the table: a key's default, value shape and description. */
export interface ConfigurationKeyDefinition<T> {
  default: T;
  schema: ValueSchema;
  /** One line for the OpenAPI document, abridged from Leaf's docs. */
  description: string;
  /** Only in older Leaf docs or the Postman collection: accepted, validated and kept. */
  historical?: boolean;
}

const BOOLEAN: ValueSchema = { type: 'boolean' };
const bool = (value: boolean, description: string, historical?: boolean): ConfigurationKeyDefinition<boolean> => ({
  default: value,
  schema: BOOLEAN,
  description,
  ...(historical === true ? { historical } : {}),
});
const percent = (value: number, description: string): ConfigurationKeyDefinition<number> => ({ default: value, schema: { type: 'number', minimum: 0, maximum: 100, unit: '%' }, description });
const whole = (value: number, unit: string, minimum: number, description: string): ConfigurationKeyDefinition<number> => ({ default: value, schema: { type: 'number', integer: true, minimum, unit }, description });
const oneOf = <T extends string>(values: readonly T[], value: T, description: string, historical?: boolean): ConfigurationKeyDefinition<T> => ({
  default: value,
  schema: { type: 'enum', values },
  description,
  ...(historical === true ? { historical } : {}),
});

const imageAttributesSchema: ValueSchema = {
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(IMAGE_ATTRIBUTES).map(([group, attributes]) => [group, { type: 'object', properties: Object.fromEntries(attributes.map((a) => [a, BOOLEAN])) }]),
  ),
};
const noImageAttributes = (): ImageAttributeFlags =>
  Object.fromEntries(Object.entries(IMAGE_ATTRIBUTES).map(([group, attributes]) => [group, Object.fromEntries(attributes.map((a) => [a, false]))])) as ImageAttributeFlags;

const OPTIONALITY: ValueSchema = { type: 'enum', values: ['optional', 'required'] };
const plantedOptionality = (attribute: string): ValueSchema => ({
  type: 'object',
  properties: { standardGeoJson: { type: 'object', properties: { planted: { type: 'object', properties: { [attribute]: OPTIONALITY } } } } },
});

/**
 * Every configuration key, in the order of `research/leaf-api.md` §4.1, with its default and the
 * shape of its value. Responses list keys in this order.
 */
export const CONFIGURATION_KEYS: { readonly [K in ConfigurationKey]: ConfigurationKeyDefinition<ConfigurationValues[K]> } = {
  organizationDataSync: oneOf(['ALL', 'SELECTED_ONLY'], 'ALL', 'Sync every provider organization, or only those marked SELECTED. Also accepted as organizationsDataSync.'),
  // Leaf's documented default is true (leaf-api.md 4.1), there to hold down per-area billing that a
  // self-hosted Furrow does not have; false means a connected account shows its fields with their
  // boundaries and files at once. README, "Differences from Leaf".
  customDataSync: bool(false, 'Fetch provider fields in PREVIEW mode first, then fully sync only the fields you choose (Furrow default false; Leaf documents true).'),
  fieldsAutoSync: bool(true, 'Sync field boundaries automatically; when false, use POST /users/{id}/fields/sync.'),
  operationsAutoSync: bool(true, 'Sync operation data from providers automatically.'),
  implementsAutoSync: bool(false, 'Sync implements.'),
  machinesAutoSync: bool(false, 'Sync machines.'),
  operatorsAutoSync: bool(false, 'Sync operators.'),
  productsAutoSync: bool(false, 'Fetch inputs/products (John Deere).'),
  zonesAutoSync: bool(false, 'Sync zones.'),
  syncPartnerData: bool(false, 'Also fetch shared/partner data (John Deere partnerships, Ag Leader shared accounts).'),
  automaticFixBoundary: bool(true, 'Try to repair invalid provider geometries.'),
  fieldsAttachIntersection: percent(0.01, 'Minimum intersection (percent, 0-100) to link an operation or file to a field.'),
  fieldsAutoMerge: bool(false, 'Merge intersecting fields into a MERGED field automatically.'),
  fieldsMergeIntersection: percent(0.01, 'Minimum intersection (percent, 0-100) to merge two fields.'),
  cleanupStandardGeojson: bool(true, 'Drop invalid points from standardGeojson, per cleanupRules.'),
  cleanupRules: {
    default: {
      harvestMoisture: [{ operator: 'GT', value: 0.0 }, { operator: 'LT', value: 100.0 }],
      tillageDepthActual: [{ operator: 'GTE', value: 0.0 }],
      recordingStatus: [{ operator: 'EQ', value: 'On' }],
      appliedRate: [{ operator: 'GT', value: 0.0 }],
      wetVolume: [{ operator: 'GT', value: 0.0 }],
      wetVolumePerArea: [{ operator: 'GT', value: 0.0 }],
      wetMass: [{ operator: 'GT', value: 0.0 }],
      seedRate: [{ operator: 'GT', value: 0.0 }],
      wetMassPerArea: [{ operator: 'GT', value: 0.0 }],
      crop: [{ operator: 'NE', value: 'unknown' }],
      products: [{ operator: 'GTE', value: 0.0 }],
    },
    schema: { type: 'cleanupRules' },
    description: 'Property -> [{operator, value}] rules a valid point passes. Setting it replaces the whole default rule set. Numeric properties take GT, GTE, LT, LTE; recordingStatus and crop take EQ, NE.',
  },
  originalOperationData: bool(true, 'Include originalOperationData (farm, field, grower, type as the source named them) in file summaries.'),
  // The docs give this default as "[Your Preferred System]" and, elsewhere, DEFAULT (source units);
  // DEFAULT is the only value that converts nothing, so it is Furrow's default.
  unitMeasurement: oneOf(['METRIC', 'IMPERIAL', 'DEFAULT'], 'DEFAULT', 'Unit system of summaries, standardGeojson and filteredGeojson; DEFAULT keeps the source units.'),
  enableOutsideFieldGeojson: bool(false, 'Keep points outside field boundaries (needs splitOperationsByField).'),
  enableGeoparquetOutput: bool(false, 'Also produce GeoParquet outputs (not retroactive).'),
  enablePolygonOutput: bool(false, 'Also produce polygon output (GeoParquet only).'),
  // The docs give the default as the word `required` and the setting as the nested object; the
  // value is always the object here, so readers never meet two shapes.
  cropOptional: { default: { standardGeoJson: { planted: { crop: 'required' } } }, schema: plantedOptionality('crop'), description: 'Make crop optional in planted standardGeojson: {"standardGeoJson":{"planted":{"crop":"optional"}}}.' },
  seedRateOptional: { default: { standardGeoJson: { planted: { seedRate: 'required' } } }, schema: plantedOptionality('seedRate'), description: 'Make seedRate optional in planted standardGeojson: {"standardGeoJson":{"planted":{"seedRate":"optional"}}}.' },
  outOfStandardOperations: bool(false, 'Accept non-standard operations and files, marked as non-standard.'),
  summarizeByProductEntry: bool(true, 'Aggregate product entries in applied summaries (sum area and totalApplied, average rate).'),
  fieldOperationCreation: bool(true, 'Create field operations.'),
  operationsFilteredGeojson: bool(true, 'Produce filteredGeojson.'),
  operationsRemoveOutliers: bool(true, 'Remove harvest outliers from filteredGeojson.'),
  operationsOutliersLimit: { default: 3, schema: { type: 'number', exclusiveMinimum: 0, unit: 'standard deviations' }, description: 'Outlier threshold in standard deviations from the mean.' },
  operationsMergeRange: whole(5, 'days', 0, 'Window (days) to merge non-harvest files into one operation.'),
  operationsMergeRangeHarvested: whole(21, 'days', 0, 'Window (days) to merge harvest files into one operation.'),
  // The docs say "[Set as needed] (Typically 12 months)"; 12 is that typical value, and the value
  // older docs gave as the default.
  operationsProcessingRange: whole(12, 'months', 1, 'Look-back (months) for fetching and processing provider operations.'),
  splitOperationsByField: bool(true, 'One operation per intersecting field boundary.'),
  splitOperationsByProvider: bool(true, 'Also group operations by provider.'),
  splitOperationsByTillType: bool(false, 'Separate operations per tillType.'),
  enableOperationsSession: bool(false, 'Build /operations/{id}/sessions (John Deere).'),
  operationsImageCreation: bool(false, 'Generate operation images (PNG).'),
  operationsImageAsGeoTiff: bool(false, 'Also generate GeoTIFF images.'),
  operationsImageAttributeCreation: { default: noImageAttributes(), schema: imageAttributesSchema, description: 'Which attribute images to render, per operation type; send only the flags to change.' },
  irrigationProcessingRange: whole(12, 'months', 1, 'Look-back (months) for irrigation data.'),
  geoimagesResolution: { default: 0.00001, schema: { type: 'number', exclusiveMinimum: 0, unit: 'degrees' }, description: 'Resolution of V1 operation images, in degrees.', historical: true },
  geoimagesShape: oneOf(['SQUARE', 'ROUND'], 'SQUARE', 'Point shape in V1 operation images.', true),
  geoimagesProjection: oneOf(['EPSG:3857', 'EPSG:4326'], 'EPSG:3857', 'Projection of V1 operation images.', true),
  geoimagesColorRamp: {
    default: { '0%': [200, 0, 0], '35%': [255, 40, 0], '45%': [255, 150, 0], '55%': [255, 240, 0], '65%': [0, 230, 0], '75%': [0, 190, 0], '100%': [0, 130, 0], nv: [0, 0, 0, 0] },
    schema: { type: 'colorRamp' },
    description: 'Colour ramp of V1 operation images: "0%".."100%" and "nv" (no value) -> RGB or RGBA. Setting it replaces the whole ramp.',
    historical: true,
  },
  generateProviderImages: bool(false, 'Generate property images for files fetched from providers (V1 images).', true),
  // An older docs page names BUFFER and CONVEX_HULL but no default; BUFFER is listed first there.
  summaryGeometry: oneOf(['BUFFER', 'CONVEX_HULL'], 'BUFFER', 'Algorithm of the coverage geometry in file summaries.', true),
  filesImageAttributeCreation: { default: noImageAttributes(), schema: imageAttributesSchema, description: 'Which attribute images to render for files, per operation type; send only the flags to change.', historical: true },
};

/** Every key, in table order. */
export const CONFIGURATION_KEY_NAMES = Object.keys(CONFIGURATION_KEYS) as ConfigurationKey[];

/**
 * Other spellings accepted on input and stored under the canonical key. Each appears in Leaf's own
 * docs: `organizationsDataSync` (a tutorial and an older docs table), `outofStandardOperations`
 * (a docs table heading), `plantedOperationsCropOptional` (legacy-docs `configurations_overview.md`
 * of 2025, the earlier name of `cropOptional`, with the same value).
 */
export const CONFIGURATION_KEY_ALIASES: Readonly<Record<string, ConfigurationKey>> = {
  organizationsDataSync: 'organizationDataSync',
  outofStandardOperations: 'outOfStandardOperations',
  plantedOperationsCropOptional: 'cropOptional',
};

/** True for a canonical key name (not an alias, not an `Object.prototype` member). */
export function isConfigurationKey(name: string): name is ConfigurationKey {
  return Object.hasOwn(CONFIGURATION_KEYS, name);
}

// ---------------------------------------------------------------------------------------------
// Validation

/** One thing wrong with a request, naming the configuration key and the exact place in its value. */
export interface ConfigurationProblem {
  /** The configuration key as sent (an alias stays an alias), or `''` for the body itself. */
  key: string;
  /** Dotted path from the body, e.g. `cleanupRules.crop[0].operator`. */
  path: string;
  /** What was expected and what was found. */
  message: string;
}

/** Who is being configured: owner values cannot be null; a user's null means "inherit again". */
export type ConfigurationLevel = 'owner' | 'user';

/** The changes to apply, or every problem found. */
export type ConfigurationCheck = { ok: true; changes: ConfigurationChanges } | { ok: false; problems: ConfigurationProblem[] };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function describeNumberRange(schema: Extract<ValueSchema, { type: 'number' }>): string {
  const kind = schema.integer === true ? 'a whole number' : 'a number';
  const unit = schema.unit === undefined ? '' : ` (${schema.unit})`;
  if (schema.minimum !== undefined && schema.maximum !== undefined) return `${kind} from ${schema.minimum} to ${schema.maximum}${unit}`;
  if (schema.exclusiveMinimum !== undefined) return `${kind} greater than ${schema.exclusiveMinimum}${unit}`;
  if (schema.minimum !== undefined) return `${kind} of at least ${schema.minimum}${unit}`;
  return `${kind}${unit}`;
}

const COLOR_RAMP_STOP = /^(?:100|[1-9]?\d)(?:\.\d+)?%$/;

/** Checks one value against its schema, pushing one problem per wrong place. */
function checkValue(schema: ValueSchema, value: unknown, key: string, path: string, problems: ConfigurationProblem[]): void {
  const problem = (at: string, message: string) => problems.push({ key, path: at, message });
  switch (schema.type) {
    case 'boolean':
      if (typeof value !== 'boolean') problem(path, `must be true or false, found ${describe(value)}`);
      return;
    case 'number': {
      const ok =
        typeof value === 'number' &&
        Number.isFinite(value) &&
        (schema.integer !== true || Number.isSafeInteger(value)) &&
        (schema.minimum === undefined || value >= schema.minimum) &&
        (schema.maximum === undefined || value <= schema.maximum) &&
        (schema.exclusiveMinimum === undefined || value > schema.exclusiveMinimum);
      if (!ok) problem(path, `must be ${describeNumberRange(schema)}, found ${describe(value)}`);
      return;
    }
    case 'enum':
      if (typeof value !== 'string' || !schema.values.includes(value)) problem(path, `must be one of ${schema.values.join(', ')}, found ${describe(value)}`);
      return;
    case 'object': {
      if (!isPlainObject(value)) {
        problem(path, `must be an object with properties ${Object.keys(schema.properties).join(', ')}, found ${describe(value)}`);
        return;
      }
      for (const [name, inner] of Object.entries(value)) {
        const innerSchema = Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
        if (innerSchema === undefined) problem(`${path}.${name}`, `is not a property of ${path}; expected one of ${Object.keys(schema.properties).join(', ')}`);
        else checkValue(innerSchema, inner, key, `${path}.${name}`, problems);
      }
      return;
    }
    case 'cleanupRules':
      checkCleanupRules(value, key, path, problems);
      return;
    case 'colorRamp':
      checkColorRamp(value, key, path, problems);
      return;
  }
}

function checkCleanupRules(value: unknown, key: string, path: string, problems: ConfigurationProblem[]): void {
  const problem = (at: string, message: string) => problems.push({ key, path: at, message });
  const allowed = Object.keys(CLEANUP_RULE_PROPERTIES).join(', ');
  if (!isPlainObject(value)) {
    problem(path, `must be an object of property -> [{operator, value}], found ${describe(value)}`);
    return;
  }
  for (const [property, rules] of Object.entries(value)) {
    const at = `${path}.${property}`;
    const kind = Object.hasOwn(CLEANUP_RULE_PROPERTIES, property) ? CLEANUP_RULE_PROPERTIES[property as CleanupRuleProperty] : undefined;
    if (kind === undefined) {
      problem(at, `is not a property cleanup rules can test; expected one of ${allowed}`);
      continue;
    }
    if (!Array.isArray(rules)) {
      problem(at, `must be an array of {operator, value}, found ${describe(rules)}`);
      continue;
    }
    if (rules.length > MAX_CLEANUP_RULES_PER_PROPERTY) problem(at, `must have at most ${MAX_CLEANUP_RULES_PER_PROPERTY} rules, found ${rules.length}`);
    const operators: readonly string[] = kind === 'number' ? CLEANUP_NUMBER_OPERATORS : CLEANUP_TEXT_OPERATORS;
    rules.slice(0, MAX_CLEANUP_RULES_PER_PROPERTY).forEach((rule, i) => {
      const ruleAt = `${at}[${i}]`;
      if (!isPlainObject(rule)) {
        problem(ruleAt, `must be an object {operator, value}, found ${describe(rule)}`);
        return;
      }
      for (const name of Object.keys(rule)) {
        if (name !== 'operator' && name !== 'value') problem(`${ruleAt}.${name}`, 'is not a property of a cleanup rule; expected operator and value');
      }
      if (typeof rule.operator !== 'string' || !operators.includes(rule.operator)) {
        problem(`${ruleAt}.operator`, `${property} is a ${kind === 'number' ? 'numeric' : 'text'} property: operator must be one of ${operators.join(', ')}, found ${describe(rule.operator)}`);
      }
      if (kind === 'number' && (typeof rule.value !== 'number' || !Number.isFinite(rule.value))) {
        problem(`${ruleAt}.value`, `must be a number, found ${describe(rule.value)}`);
      }
      if (kind === 'text' && typeof rule.value !== 'string') problem(`${ruleAt}.value`, `must be text, found ${describe(rule.value)}`);
      if (kind === 'text' && typeof rule.value === 'string' && rule.value.length > MAX_CLEANUP_TEXT_LENGTH) {
        problem(`${ruleAt}.value`, `must be at most ${MAX_CLEANUP_TEXT_LENGTH} characters long, found ${rule.value.length}`);
      }
    });
  }
}

function checkColorRamp(value: unknown, key: string, path: string, problems: ConfigurationProblem[]): void {
  const problem = (at: string, message: string) => problems.push({ key, path: at, message });
  if (!isPlainObject(value)) {
    problem(path, `must be an object of "0%".."100%" and "nv" -> [r, g, b] or [r, g, b, a], found ${describe(value)}`);
    return;
  }
  // Leaf: "The last entry in the map must contain a value for the nv key" (the colour of points without a value).
  if (!Object.hasOwn(value, 'nv')) problem(`${path}.nv`, 'is required: the colour of points without a value');
  for (const [stop, color] of Object.entries(value)) {
    const at = `${path}.${stop}`;
    if (stop !== 'nv' && !COLOR_RAMP_STOP.test(stop)) problem(at, 'is not a stop; expected a percentage from "0%" to "100%" or "nv"');
    const ok = Array.isArray(color) && (color.length === 3 || color.length === 4) && color.every((c) => Number.isInteger(c) && c >= 0 && c <= 255);
    if (!ok) problem(at, `must be [r, g, b] or [r, g, b, a] with whole numbers from 0 to 255, found ${describe(color)}`);
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Checks a request body of configuration keys. Unknown keys are ignored (Leaf ignores unknown JSON
 * fields); aliases are accepted under their canonical key; every problem is returned, each naming
 * its key, so one 400 tells the caller everything to fix.
 */
export function checkConfigurationChanges(input: unknown, level: ConfigurationLevel): ConfigurationCheck {
  if (!isPlainObject(input)) return { ok: false, problems: [{ key: '', path: '', message: `must be a JSON object of configuration keys, found ${describe(input)}` }] };
  const problems: ConfigurationProblem[] = [];
  const changes: Record<string, unknown> = {};
  const spelledAs: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    const key = isConfigurationKey(name) ? name : Object.hasOwn(CONFIGURATION_KEY_ALIASES, name) ? CONFIGURATION_KEY_ALIASES[name] : undefined;
    if (key === undefined) continue;
    const earlier = spelledAs[key];
    if (earlier !== undefined) {
      if (!sameJson(changes[key], value)) {
        problems.push({ key: name, path: name, message: `is another spelling of ${key}, and ${earlier} was also sent with a different value; send one of them` });
      }
      continue;
    }
    spelledAs[key] = name;
    if (value === null) {
      if (level === 'owner') problems.push({ key: name, path: name, message: 'cannot be null: API-owner configurations can be changed but not removed or set to null' });
      else changes[key] = null;
      continue;
    }
    const before = problems.length;
    checkValue(CONFIGURATION_KEYS[key].schema, value, name, name, problems);
    if (problems.length === before) changes[key] = value;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, changes: changes as ConfigurationChanges };
}

// ---------------------------------------------------------------------------------------------
// Merging

function mergeDeep(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const merged: Record<string, unknown> = structuredClone(base);
  for (const [name, value] of Object.entries(patch)) merged[name] = mergeDeep(merged[name], value);
  return merged;
}

/** A fresh copy of Furrow's defaults: every key. */
export function defaultConfiguration(): ConfigurationValues {
  const values: Record<string, unknown> = {};
  for (const key of CONFIGURATION_KEY_NAMES) values[key] = structuredClone(CONFIGURATION_KEYS[key].default);
  return values as unknown as ConfigurationValues;
}

/** The API owner's effective configuration: the owner's values over Furrow's defaults. */
export function ownerConfiguration(ownerOverrides: ConfigurationOverrides): ConfigurationValues {
  return { ...defaultConfiguration(), ...structuredClone(ownerOverrides) };
}

/** A Leaf user's effective configuration: the user's values over the owner's effective values. */
export function userConfiguration(owner: ConfigurationValues, userOverrides: ConfigurationOverrides): ConfigurationValues {
  return { ...structuredClone(owner), ...structuredClone(userOverrides) };
}

/**
 * The configuration that applies: defaults, then the owner's values, then the user's (when the user
 * has a configuration). What the sync and processing read at each run.
 */
export function effectiveConfiguration(ownerOverrides: ConfigurationOverrides, userOverrides: ConfigurationOverrides | undefined): ConfigurationValues {
  const owner = ownerConfiguration(ownerOverrides);
  return userOverrides === undefined ? owner : userConfiguration(owner, userOverrides);
}

/**
 * The overrides after a checked change. A partial object value is merged over the value in effect
 * before the change (`current`), so the stored value is complete and stays as it is when the
 * owner's value changes later; `cleanupRules` and the colour ramp replace the whole value, as Leaf
 * documents for `cleanupRules`; `null` removes the key so it is inherited again.
 */
export function applyConfigurationChanges(overrides: ConfigurationOverrides, changes: ConfigurationChanges, current: ConfigurationValues): ConfigurationOverrides {
  const next: Record<string, unknown> = structuredClone(overrides);
  for (const key of CONFIGURATION_KEY_NAMES) {
    if (!Object.hasOwn(changes, key)) continue;
    const change = changes[key];
    if (change === undefined) continue;
    if (change === null) delete next[key];
    else next[key] = CONFIGURATION_KEYS[key].schema.type === 'object' ? mergeDeep(current[key], change) : structuredClone(change);
  }
  return next as ConfigurationOverrides;
}

/**
 * Reads overrides stored by any release: keys this release no longer knows are dropped, object
 * values gain properties added since (at their default), and a value that fails today's rules is
 * an error naming the key, never silently used.
 */
export function parseStoredConfiguration(stored: unknown): ConfigurationOverrides {
  if (!isPlainObject(stored)) throw new Error(`A stored configuration is ${describe(stored)}, expected a JSON object.`);
  const overrides: Record<string, unknown> = {};
  const problems: ConfigurationProblem[] = [];
  for (const [name, value] of Object.entries(stored)) {
    if (!isConfigurationKey(name)) continue;
    const { schema, default: fallback } = CONFIGURATION_KEYS[name];
    checkValue(schema, value, name, name, problems);
    overrides[name] = schema.type === 'object' ? mergeDeep(fallback, value) : value;
  }
  if (problems.length > 0) throw new Error(`A stored configuration is invalid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`);
  return overrides as ConfigurationOverrides;
}
