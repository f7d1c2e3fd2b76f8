import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_KEYS,
  CONFIGURATION_KEY_NAMES,
  applyConfigurationChanges,
  checkConfigurationChanges,
  defaultConfiguration,
  effectiveConfiguration,
  ownerConfiguration,
  parseStoredConfiguration,
  userConfiguration,
  type ConfigurationCheck,
  type ConfigurationLevel,
} from './configurations.js';

// research/leaf-api.md §4.1, copied by hand so the table cannot drift from the notes unnoticed.
const CURRENT_KEYS = [
  'organizationDataSync', 'customDataSync', 'fieldsAutoSync', 'operationsAutoSync', 'implementsAutoSync', 'machinesAutoSync', 'operatorsAutoSync',
  'productsAutoSync', 'zonesAutoSync', 'syncPartnerData', 'automaticFixBoundary', 'fieldsAttachIntersection', 'fieldsAutoMerge', 'fieldsMergeIntersection',
  'cleanupStandardGeojson', 'cleanupRules', 'originalOperationData', 'unitMeasurement', 'enableOutsideFieldGeojson', 'enableGeoparquetOutput',
  'enablePolygonOutput', 'cropOptional', 'seedRateOptional', 'outOfStandardOperations', 'summarizeByProductEntry', 'fieldOperationCreation',
  'operationsFilteredGeojson', 'operationsRemoveOutliers', 'operationsOutliersLimit', 'operationsMergeRange', 'operationsMergeRangeHarvested',
  'operationsProcessingRange', 'splitOperationsByField', 'splitOperationsByProvider', 'splitOperationsByTillType', 'enableOperationsSession',
  'operationsImageCreation', 'operationsImageAsGeoTiff', 'operationsImageAttributeCreation', 'irrigationProcessingRange',
];
const HISTORICAL_KEYS = ['geoimagesResolution', 'geoimagesShape', 'geoimagesProjection', 'geoimagesColorRamp', 'generateProviderImages', 'summaryGeometry', 'filesImageAttributeCreation'];

const DOCUMENTED_DEFAULTS: Record<string, unknown> = {
  organizationDataSync: 'ALL',
  // Furrow's one deliberate change of a documented default (README, "Where Furrow deliberately differs").
  customDataSync: false,
  fieldsAutoSync: true,
  operationsAutoSync: true,
  implementsAutoSync: false,
  machinesAutoSync: false,
  operatorsAutoSync: false,
  productsAutoSync: false,
  zonesAutoSync: false,
  syncPartnerData: false,
  automaticFixBoundary: true,
  fieldsAttachIntersection: 0.01,
  fieldsAutoMerge: false,
  fieldsMergeIntersection: 0.01,
  cleanupStandardGeojson: true,
  originalOperationData: true,
  unitMeasurement: 'DEFAULT',
  enableOutsideFieldGeojson: false,
  enableGeoparquetOutput: false,
  enablePolygonOutput: false,
  outOfStandardOperations: false,
  summarizeByProductEntry: true,
  fieldOperationCreation: true,
  operationsFilteredGeojson: true,
  operationsRemoveOutliers: true,
  operationsOutliersLimit: 3,
  operationsMergeRange: 5,
  operationsMergeRangeHarvested: 21,
  operationsProcessingRange: 12,
  splitOperationsByField: true,
  splitOperationsByProvider: true,
  splitOperationsByTillType: false,
  enableOperationsSession: false,
  operationsImageCreation: false,
  operationsImageAsGeoTiff: false,
  irrigationProcessingRange: 12,
  geoimagesResolution: 0.00001,
  geoimagesShape: 'SQUARE',
  geoimagesProjection: 'EPSG:3857',
  generateProviderImages: false,
};

function problemsOf(input: unknown, level: ConfigurationLevel = 'owner') {
  const check: ConfigurationCheck = checkConfigurationChanges(input, level);
  return check.ok ? [] : check.problems;
}

function changesOf(input: unknown, level: ConfigurationLevel = 'owner') {
  const check = checkConfigurationChanges(input, level);
  if (!check.ok) throw new Error(`expected no problems, got ${JSON.stringify(check.problems)}`);
  return check.changes;
}

const pathsOf = (input: unknown, level: ConfigurationLevel = 'owner') => problemsOf(input, level).map((p) => p.path);

describe('the configuration table', () => {
  it('holds exactly the keys of leaf-api.md 4.1, current and historical, in that order', () => {
    expect(CONFIGURATION_KEY_NAMES).toEqual([...CURRENT_KEYS, ...HISTORICAL_KEYS]);
    expect(CONFIGURATION_KEY_NAMES.filter((k) => CONFIGURATION_KEYS[k].historical === true)).toEqual(HISTORICAL_KEYS);
  });

  it('has the documented defaults', () => {
    const defaults = defaultConfiguration();
    for (const [key, value] of Object.entries(DOCUMENTED_DEFAULTS)) expect(defaults[key as keyof typeof defaults], key).toEqual(value);
    expect(defaults.cleanupRules).toEqual({
      harvestMoisture: [{ operator: 'GT', value: 0 }, { operator: 'LT', value: 100 }],
      tillageDepthActual: [{ operator: 'GTE', value: 0 }],
      recordingStatus: [{ operator: 'EQ', value: 'On' }],
      appliedRate: [{ operator: 'GT', value: 0 }],
      wetVolume: [{ operator: 'GT', value: 0 }],
      wetVolumePerArea: [{ operator: 'GT', value: 0 }],
      wetMass: [{ operator: 'GT', value: 0 }],
      seedRate: [{ operator: 'GT', value: 0 }],
      wetMassPerArea: [{ operator: 'GT', value: 0 }],
      crop: [{ operator: 'NE', value: 'unknown' }],
      products: [{ operator: 'GTE', value: 0 }],
    });
    expect(defaults.cropOptional).toEqual({ standardGeoJson: { planted: { crop: 'required' } } });
    expect(defaults.seedRateOptional).toEqual({ standardGeoJson: { planted: { seedRate: 'required' } } });
    expect(defaults.geoimagesColorRamp.nv).toEqual([0, 0, 0, 0]);
    for (const flags of [defaults.operationsImageAttributeCreation, defaults.filesImageAttributeCreation]) {
      expect(Object.keys(flags)).toEqual(['harvested', 'planted', 'applied', 'tillage']);
      expect(Object.values(flags).flatMap((group) => Object.values(group)).every((v) => v === false)).toBe(true);
    }
  });

  it('every default passes its own rules', () => {
    expect(problemsOf(defaultConfiguration())).toEqual([]);
  });

  it('hands out copies, so a caller changing one never changes the defaults', () => {
    const first = defaultConfiguration();
    first.cleanupRules.crop?.push({ operator: 'EQ', value: 'corn' });
    first.operationsImageAttributeCreation.harvested.wetMass = true;
    const second = effectiveConfiguration({}, undefined);
    expect(second.cleanupRules.crop).toEqual([{ operator: 'NE', value: 'unknown' }]);
    expect(second.operationsImageAttributeCreation.harvested.wetMass).toBe(false);
  });
});

describe('checking a partial configuration', () => {
  it('accepts a few well-typed keys and returns only them', () => {
    expect(changesOf({ fieldsAutoSync: false, unitMeasurement: 'METRIC', operationsMergeRange: 7 })).toEqual({ fieldsAutoSync: false, unitMeasurement: 'METRIC', operationsMergeRange: 7 });
  });

  it('refuses a wrong type without coercing, naming the key', () => {
    expect(problemsOf({ fieldsAutoSync: 'true' })).toEqual([{ key: 'fieldsAutoSync', path: 'fieldsAutoSync', message: 'must be true or false, found string "true"' }]);
    expect(pathsOf({ operationsMergeRange: '5' })).toEqual(['operationsMergeRange']);
    expect(pathsOf({ unitMeasurement: 1 })).toEqual(['unitMeasurement']);
    expect(pathsOf({ cleanupRules: [] })).toEqual(['cleanupRules']);
    expect(pathsOf({ operationsImageAttributeCreation: true })).toEqual(['operationsImageAttributeCreation']);
  });

  it('refuses percentages outside 0-100 and accepts both ends', () => {
    expect(pathsOf({ fieldsAttachIntersection: -0.01, fieldsMergeIntersection: 100.5 })).toEqual(['fieldsAttachIntersection', 'fieldsMergeIntersection']);
    expect(problemsOf({ fieldsAttachIntersection: 150 })[0]?.message).toBe('must be a number from 0 to 100 (%), found number 150');
    expect(changesOf({ fieldsAttachIntersection: 0, fieldsMergeIntersection: 100 })).toEqual({ fieldsAttachIntersection: 0, fieldsMergeIntersection: 100 });
  });

  it('refuses fractional day and month counts, zero ranges and a zero outlier limit', () => {
    expect(pathsOf({ operationsMergeRange: 2.5, operationsMergeRangeHarvested: -1, operationsProcessingRange: 0, irrigationProcessingRange: 1.5, operationsOutliersLimit: 0 })).toEqual([
      'operationsMergeRange',
      'operationsMergeRangeHarvested',
      'operationsProcessingRange',
      'irrigationProcessingRange',
      'operationsOutliersLimit',
    ]);
    expect(changesOf({ operationsMergeRange: 0, operationsOutliersLimit: 2.5 })).toEqual({ operationsMergeRange: 0, operationsOutliersLimit: 2.5 });
  });

  it('refuses unknown enum values, listing the allowed ones', () => {
    expect(problemsOf({ unitMeasurement: 'SI' })[0]?.message).toBe('must be one of METRIC, IMPERIAL, DEFAULT, found string "SI"');
    expect(pathsOf({ organizationDataSync: 'SELECTED', geoimagesShape: 'CIRCLE', geoimagesProjection: 'EPSG:4269', summaryGeometry: 'HULL' })).toEqual([
      'organizationDataSync',
      'geoimagesShape',
      'geoimagesProjection',
      'summaryGeometry',
    ]);
  });

  it('checks nested objects property by property, accepting a partial object', () => {
    expect(changesOf({ operationsImageAttributeCreation: { harvested: { wetMass: true } } })).toEqual({ operationsImageAttributeCreation: { harvested: { wetMass: true } } });
    expect(
      pathsOf({
        operationsImageAttributeCreation: { harvested: { wetmass: true, speed: 'yes' }, sprayed: {} },
        filesImageAttributeCreation: { planted: [] },
      }),
    ).toEqual([
      'operationsImageAttributeCreation.harvested.wetmass',
      'operationsImageAttributeCreation.harvested.speed',
      'operationsImageAttributeCreation.sprayed',
      'filesImageAttributeCreation.planted',
    ]);
  });

  it('checks cropOptional and seedRateOptional down to their one setting', () => {
    expect(changesOf({ cropOptional: { standardGeoJson: { planted: { crop: 'optional' } } } })).toEqual({ cropOptional: { standardGeoJson: { planted: { crop: 'optional' } } } });
    expect(pathsOf({ cropOptional: { standardGeoJson: { planted: { crop: 'maybe' } } }, seedRateOptional: { standardGeoJson: { planted: { crop: 'optional' } } } })).toEqual([
      'cropOptional.standardGeoJson.planted.crop',
      'seedRateOptional.standardGeoJson.planted.crop',
    ]);
    expect(pathsOf({ cropOptional: 'optional' })).toEqual(['cropOptional']);
  });

  it('accepts cleanup rules with the documented property and operator combinations', () => {
    const rules = {
      area: [{ operator: 'GTE', value: 0 }],
      wetMass: [{ operator: 'GT', value: 0 }, { operator: 'LTE', value: 100000 }],
      seedRate: [{ operator: 'LT', value: 500000 }],
      crop: [{ operator: 'EQ', value: 'corn' }],
      recordingStatus: [{ operator: 'NE', value: 'Off' }],
      products: [],
    };
    expect(changesOf({ cleanupRules: rules })).toEqual({ cleanupRules: rules });
    expect(changesOf({ cleanupRules: {} })).toEqual({ cleanupRules: {} });
  });

  it('refuses cleanup rules on unknown properties, with the wrong operator kind or value type', () => {
    const problems = problemsOf({
      cleanupRules: {
        dryMass: [{ operator: 'GT', value: 0 }],
        crop: [{ operator: 'GT', value: 'corn' }],
        wetMass: [{ operator: 'EQ', value: 0 }, { operator: 'GT', value: '0' }, 'GT 0', { operator: 'GT', value: 0, unit: 'kg' }],
        recordingStatus: [{ operator: 'EQ', value: 1 }],
        harvestMoisture: { operator: 'GT', value: 0 },
      },
    });
    expect(problems.map((p) => p.path)).toEqual([
      'cleanupRules.dryMass',
      'cleanupRules.crop[0].operator',
      'cleanupRules.wetMass[0].operator',
      'cleanupRules.wetMass[1].value',
      'cleanupRules.wetMass[2]',
      'cleanupRules.wetMass[3].unit',
      'cleanupRules.recordingStatus[0].value',
      'cleanupRules.harvestMoisture',
    ]);
    expect(problems.every((p) => p.key === 'cleanupRules')).toBe(true);
    expect(problems[1]?.message).toBe('crop is a text property: operator must be one of EQ, NE, found string "GT"');
    expect(problems[2]?.message).toBe('wetMass is a numeric property: operator must be one of GT, GTE, LT, LTE, found string "EQ"');
  });

  it('bounds the number of rules per property and the length of text values', () => {
    expect(pathsOf({ cleanupRules: { wetMass: Array.from({ length: 21 }, () => ({ operator: 'GT', value: 0 })) } })).toEqual(['cleanupRules.wetMass']);
    expect(pathsOf({ cleanupRules: { crop: [{ operator: 'EQ', value: 'x'.repeat(201) }] } })).toEqual(['cleanupRules.crop[0].value']);
  });

  it('checks a colour ramp: percentage stops, an nv entry, RGB or RGBA bytes', () => {
    expect(changesOf({ geoimagesColorRamp: { '0%': [0, 0, 0], '50.5%': [1, 2, 3, 4], nv: [0, 0, 0, 0] } })).toBeDefined();
    expect(pathsOf({ geoimagesColorRamp: { '0%': [0, 0, 0] } })).toEqual(['geoimagesColorRamp.nv']);
    expect(pathsOf({ geoimagesColorRamp: { '120%': [0, 0, 0], low: [0, 0, 0], '10%': [256, 0, 0], '20%': [0, 0], nv: [0, 0, 0.5] } })).toEqual([
      'geoimagesColorRamp.120%',
      'geoimagesColorRamp.low',
      'geoimagesColorRamp.10%',
      'geoimagesColorRamp.20%',
      'geoimagesColorRamp.nv',
    ]);
  });

  it('returns every problem of a body at once, each naming its key', () => {
    const problems = problemsOf({ fieldsAutoSync: 1, fieldsAttachIntersection: 101, unitMeasurement: 'SI', cleanupRules: { foo: [] }, customDataSync: true });
    expect(problems.map((p) => p.key)).toEqual(['fieldsAutoSync', 'fieldsAttachIntersection', 'unitMeasurement', 'cleanupRules']);
  });

  it('refuses null for the API owner and reads it as "inherit again" for a user', () => {
    expect(problemsOf({ fieldsAutoSync: null, cleanupRules: null }, 'owner')).toEqual([
      { key: 'fieldsAutoSync', path: 'fieldsAutoSync', message: 'cannot be null: API-owner configurations can be changed but not removed or set to null' },
      { key: 'cleanupRules', path: 'cleanupRules', message: 'cannot be null: API-owner configurations can be changed but not removed or set to null' },
    ]);
    expect(changesOf({ fieldsAutoSync: null, cleanupRules: null }, 'user')).toEqual({ fieldsAutoSync: null, cleanupRules: null });
  });

  it('ignores unknown keys, including names of Object.prototype members', () => {
    expect(changesOf({ fieldsAutoSynk: 'x', toString: 1, constructor: null, hasOwnProperty: {}, fieldsAutoSync: false })).toEqual({ fieldsAutoSync: false });
  });

  it('keeps the historical keys Leaf still accepts', () => {
    const historical = { geoimagesResolution: 0.0001, geoimagesShape: 'ROUND', geoimagesProjection: 'EPSG:4326', generateProviderImages: true, summaryGeometry: 'CONVEX_HULL' };
    expect(changesOf(historical)).toEqual(historical);
  });

  it('accepts organizationsDataSync and the other documented spellings under the canonical key', () => {
    expect(changesOf({ organizationsDataSync: 'SELECTED_ONLY' })).toEqual({ organizationDataSync: 'SELECTED_ONLY' });
    expect(changesOf({ outofStandardOperations: true })).toEqual({ outOfStandardOperations: true });
    expect(changesOf({ plantedOperationsCropOptional: { standardGeoJson: { planted: { crop: 'optional' } } } })).toEqual({ cropOptional: { standardGeoJson: { planted: { crop: 'optional' } } } });
    expect(changesOf({ organizationDataSync: 'ALL', organizationsDataSync: 'ALL' })).toEqual({ organizationDataSync: 'ALL' });
  });

  it('names the alias when it is wrong or disagrees with the canonical key', () => {
    expect(pathsOf({ organizationsDataSync: 'SOME' })).toEqual(['organizationsDataSync']);
    const conflict = problemsOf({ organizationDataSync: 'ALL', organizationsDataSync: 'SELECTED_ONLY' });
    expect(conflict).toHaveLength(1);
    expect(conflict[0]?.key).toBe('organizationsDataSync');
    expect(conflict[0]?.message).toContain('send one of them');
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'fieldsAutoSync', 3]) expect(pathsOf(body), JSON.stringify(body)).toEqual(['']);
  });
});

describe('inheritance', () => {
  it('merges the owner over the defaults and the user over the owner', () => {
    const owner = ownerConfiguration({ fieldsAutoSync: false, unitMeasurement: 'METRIC' });
    expect(owner).toEqual({ ...defaultConfiguration(), fieldsAutoSync: false, unitMeasurement: 'METRIC' });
    const user = userConfiguration(owner, { unitMeasurement: 'IMPERIAL', operationsMergeRange: 9 });
    expect(user).toEqual({ ...owner, unitMeasurement: 'IMPERIAL', operationsMergeRange: 9 });
    expect(effectiveConfiguration({ fieldsAutoSync: false, unitMeasurement: 'METRIC' }, { unitMeasurement: 'IMPERIAL', operationsMergeRange: 9 })).toEqual(user);
  });

  it('gives a user without a configuration the owner values', () => {
    expect(effectiveConfiguration({ customDataSync: false }, undefined)).toEqual(ownerConfiguration({ customDataSync: false }));
    expect(effectiveConfiguration({ customDataSync: false }, {})).toEqual(ownerConfiguration({ customDataSync: false }));
  });

  it('keeps a value set on the user when the owner changes, and lets an unset value follow', () => {
    const userOverrides = { unitMeasurement: 'IMPERIAL' as const };
    const before = effectiveConfiguration({ unitMeasurement: 'METRIC', fieldsAutoSync: true }, userOverrides);
    const after = effectiveConfiguration({ unitMeasurement: 'DEFAULT', fieldsAutoSync: false }, userOverrides);
    expect([before.unitMeasurement, after.unitMeasurement]).toEqual(['IMPERIAL', 'IMPERIAL']);
    expect([before.fieldsAutoSync, after.fieldsAutoSync]).toEqual([true, false]);
  });
});

describe('applying changes', () => {
  it('merges a partial nested object over the value in effect and stores the complete value', () => {
    const owner = ownerConfiguration({ operationsImageAttributeCreation: { ...defaultConfiguration().operationsImageAttributeCreation, planted: { ...defaultConfiguration().operationsImageAttributeCreation.planted, seedRate: true } } });
    const user = applyConfigurationChanges({}, changesOf({ operationsImageAttributeCreation: { harvested: { wetMass: true } } }, 'user'), owner);
    const flags = user.operationsImageAttributeCreation;
    expect(flags?.harvested.wetMass).toBe(true);
    expect(flags?.planted.seedRate).toBe(true);
    expect(flags?.harvested.speed).toBe(false);
    expect(Object.keys(flags?.tillage ?? {})).toHaveLength(10);
  });

  it('replaces the whole cleanupRules set, as Leaf documents', () => {
    const next = applyConfigurationChanges({}, changesOf({ cleanupRules: { wetMass: [{ operator: 'GT', value: 5 }] } }), defaultConfiguration());
    expect(next.cleanupRules).toEqual({ wetMass: [{ operator: 'GT', value: 5 }] });
    expect(ownerConfiguration(next).cleanupRules).toEqual({ wetMass: [{ operator: 'GT', value: 5 }] });
  });

  it('removes a user value given as null, so it is inherited again, and leaves the others', () => {
    const overrides = { fieldsAutoSync: false, unitMeasurement: 'METRIC' as const };
    const next = applyConfigurationChanges(overrides, changesOf({ fieldsAutoSync: null }, 'user'), defaultConfiguration());
    expect(next).toEqual({ unitMeasurement: 'METRIC' });
    expect(overrides).toEqual({ fieldsAutoSync: false, unitMeasurement: 'METRIC' });
  });
});

describe('reading stored overrides', () => {
  it('drops keys this release does not know and fills object values with properties added since', () => {
    const stored = { fieldsAutoSync: false, retiredKey: 1, operationsImageAttributeCreation: { harvested: { wetMass: true } } };
    const overrides = parseStoredConfiguration(stored);
    expect(Object.keys(overrides)).toEqual(['fieldsAutoSync', 'operationsImageAttributeCreation']);
    expect(overrides.operationsImageAttributeCreation?.harvested.wetMass).toBe(true);
    expect(overrides.operationsImageAttributeCreation?.applied.appliedRate).toBe(false);
  });

  it('fails loudly, naming the key, on a stored value that breaks the rules', () => {
    expect(() => parseStoredConfiguration({ fieldsAttachIntersection: 'high' })).toThrow(/fieldsAttachIntersection/);
    expect(() => parseStoredConfiguration([])).toThrow(/expected a JSON object/);
  });
});
