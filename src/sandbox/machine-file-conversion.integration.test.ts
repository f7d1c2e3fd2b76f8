/**
 * A sandbox account behaves like a real grower's: every kind of machine file the `default` John
 * Deere and Climate FieldView accounts list goes through Furrow's own pipeline (zip, dataset
 * detection, reader, `convertLog`) under the default configuration, cleanup rules included, and
 * comes out processed with its operation's properties at the values the generator logged. And a
 * fresh account's files are recent enough for the default `operationsProcessingRange`.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfiguration } from '../domain/configurations.js';
import type { ConversionResult } from '../formats/convert.js';
import { byteSourceFromBytes } from '../formats/testing/file-sets.js';
import type { EmulatedMachineFile } from '../providers/provider-emulator.js';
import { providers } from '../providers/registry.js';
import type { Provider } from '../providers/provider.js';
import { formatsPipeline } from '../services/machine-files-pipeline.js';
import { decideFile, monthsBefore } from '../services/sync-files.js';
import { SandboxAccountStore } from './account-store.js';
import { SANDBOX_CROPS, dryBushelsPerAcre, type MachineFileSpec } from './machine-file-bytes.js';
import { SCENARIO_NEWEST_AGE_DAYS, SCENARIO_SPAN_DAYS, SandboxOperationData } from './operation-data.js';

const NOW = Date.UTC(2026, 10, 29, 10);
const DAY = 86_400_000;
const configuration = defaultConfiguration();
const pipeline = formatsPipeline();

/** How each provider's sync sees the account's files: Deere's per connected organization; Climate's layers have no tillage. */
const PROVIDERS = [
  { providerId: 'john-deere', lists: (f: EmulatedMachineFile, connected: ReadonlySet<string>) => connected.has(f.organizationId) },
  { providerId: 'climate-field-view', lists: (f: EmulatedMachineFile) => f.operation !== 'tillage' },
] as const;

function account(providerId: string, seed: number, now = NOW) {
  const provider = (providers as Readonly<Record<string, Provider>>)[providerId]!;
  const store = new SandboxAccountStore({ now: () => now });
  const { account } = store.create({ ownerId: 'owner', providerId, policy: provider.emulator!.oauth, scenario: 'default', seed });
  const operation = account.view.operation;
  if (!(operation instanceof SandboxOperationData)) throw new Error('expected the sandbox operation data');
  return { view: account.view, operation };
}

interface Feature {
  properties: Record<string, unknown>;
}

/** The bytes through the machine-files service's pipeline, as a provider download is processed. */
async function convert(bytes: Uint8Array, name: string): Promise<{ result: ConversionResult; features: Feature[] }[]> {
  const files = await pipeline.openUpload(byteSourceFromBytes(bytes), name);
  const datasets = await pipeline.detectDatasets(files);
  expect(datasets.filter((d) => d.unsupported === undefined), `${name}: datasets`).toHaveLength(1);
  const logs = await pipeline.openDataset(files, datasets[0]!);
  const converted = [];
  for (const log of logs) {
    const chunks: Uint8Array[] = [];
    const result = await pipeline.convertLog(
      log,
      { unitMeasurement: configuration.unitMeasurement, cleanupStandardGeojson: configuration.cleanupStandardGeojson, cleanupRules: configuration.cleanupRules },
      { standardGeojson: { write: (chunk) => void chunks.push(chunk) } },
    );
    const text = Buffer.concat(chunks).toString('utf8');
    converted.push({ result, features: text === '' ? [] : (JSON.parse(text) as { features: Feature[] }).features });
  }
  return converted;
}

/** Per unit, the factor into the unit the generator's parameters are in (kg/ha, bu/ac, seeds/ha, L/ha, cm, %). */
const INTO_SPEC_UNITS: Record<string, number> = {
  'kg/ha': 1,
  't/ha': 1000,
  'lb/ac': 0.45359237 / 0.40468564224,
  'bu/ac': 1,
  'm3/ha': (1 / 0.03523907016688) * 0.40468564224,
  'seeds/ha': 1,
  'seeds/ac': 1 / 0.40468564224,
  'L/ha': 1,
  'gal/ac': 3.785411784 / 0.40468564224,
  cm: 1,
  mm: 0.1,
  in: 2.54,
  prcnt: 1,
  percentage: 1,
  '%': 1,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of a numeric point property in the generator's units; fails when absent or in an unknown unit. */
function medianOf(features: readonly Feature[], units: Record<string, string>, property: string): number {
  const values = features.map((f) => f.properties[property]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  expect(values.length, `${property} on every point`).toBe(features.length);
  const factor = INTO_SPEC_UNITS[units[property] ?? ''];
  expect(factor, `a known unit for ${property}: ${units[property]}`).toBeDefined();
  return median(values) * factor!;
}

/** The generator varies values by at most ±15 % around the spec's, symmetrically: medians land within 10 %. */
const near = (actual: number, expected: number, what: string) => expect(Math.abs(actual / expected - 1), `${what}: ${actual} vs ${expected}`).toBeLessThan(0.1);

function expectOperationProperties(spec: MachineFileSpec, result: ConversionResult, features: readonly Feature[], label: string): void {
  const first = features[0]!.properties;
  switch (spec.operation) {
    case 'harvest': {
      expect(result.operationType, label).toBe('harvested');
      expect(features.every((f) => f.properties.crop === spec.crop), `${label}: crop`).toBe(true);
      near(medianOf(features, result.units, 'wetMassPerArea'), spec.rate, `${label} wetMassPerArea`);
      near(medianOf(features, result.units, 'harvestMoisture'), spec.moisture, `${label} harvestMoisture`);
      near(medianOf(features, result.units, 'dryVolumePerArea'), dryBushelsPerAcre(spec.rate, spec.moisture, spec.crop), `${label} dryVolumePerArea`);
      medianOf(features, result.units, 'dryMassPerArea');
      break;
    }
    case 'seeding':
      expect(result.operationType, label).toBe('planted');
      expect(features.every((f) => f.properties.crop === spec.crop), `${label}: crop`).toBe(true);
      expect(first.variety, label).toBe(spec.product);
      near(medianOf(features, result.units, 'seedRate'), spec.rate, `${label} seedRate`);
      break;
    case 'application':
      expect(result.operationType, label).toBe('applied');
      expect(first.products, label).toEqual([expect.objectContaining({ name: spec.product })]);
      near(medianOf(features, result.units, 'appliedRate'), spec.rate, `${label} appliedRate`);
      break;
    case 'tillage':
      expect(result.operationType, label).toBe('tillage');
      near(medianOf(features, result.units, 'tillageDepthActual'), spec.rate, `${label} tillageDepthActual`);
      break;
  }
}

describe.each(PROVIDERS)('the default $providerId sandbox account', ({ providerId, lists }) => {
  // A few seeds, so every file kind (format × operation) a default account can have comes up.
  const SEEDS = [1, 2, 3, 4, 5];

  it('has files of every operation, tillage as ISOXML and the others in both formats', () => {
    const kinds = new Set<string>();
    for (const seed of SEEDS) {
      const { view, operation } = account(providerId, seed);
      const connected = new Set(view.organizations.filter((o) => o.connected).map((o) => o.id));
      for (const file of operation.listFiles({ offset: 0, limit: 100 }).files) if (lists(file, connected)) kinds.add(`${file.format} ${file.operation}`);
    }
    const expected = ['isoxml harvest', 'isoxml seeding', 'isoxml application', 'shapefile harvest', 'shapefile seeding', 'shapefile application'];
    expect([...kinds].sort()).toEqual((providerId === 'john-deere' ? [...expected, 'isoxml tillage'] : expected).sort());
  });

  it("converts every listed file to standard GeoJSON under the default configuration, every point kept but an ISOXML harvest's first, with its operation's properties at the logged values", async () => {
    let converted = 0;
    for (const seed of SEEDS) {
      const { view, operation } = account(providerId, seed);
      const connected = new Set(view.organizations.filter((o) => o.connected).map((o) => o.id));
      for (const file of operation.listFiles({ offset: 0, limit: 100 }).files.filter((f) => lists(f, connected))) {
        const spec = operation.fileSpec(file.id)!;
        const label = `seed ${seed} ${file.format} ${file.operation} (${file.name})`;
        const [only, ...more] = await convert(operation.fileBytes(file), file.name);
        expect(more, label).toEqual([]);
        const { result, features } = only!;
        expect(result.status.standardGeojson, `${label}: ${JSON.stringify(result.status)}`).toEqual({ status: 'processed', message: 'ok' });
        // The default cleanup rules find nothing wrong with a sandbox point but an ISOXML harvest's
        // first: a time log has no distance column, so the first point has covered no area and
        // holds no mass, and `wetMass GT 0` drops it, as it does in any terminal's log.
        const firstDropped = spec.format === 'isoxml' && spec.operation === 'harvest' ? 1 : 0;
        expect(result.droppedCount, label).toBe(firstDropped);
        expect(result.pointCount, label).toBe(spec.points - firstDropped);
        expect(features, label).toHaveLength(spec.points - firstDropped);
        expect(Date.parse(result.startTime!), label).toBe(spec.start + firstDropped * 1000);
        expect(Date.parse(result.endTime!), label).toBe(spec.start + (spec.points - 1) * 1000);
        expect(result.warnings, label).not.toContainEqual(expect.stringMatching(/GPS UTC/));
        expect(features.every((f) => f.properties.operationType === result.operationType)).toBe(true);
        expectOperationProperties(spec, result, features, label);
        // The field the display logged it in, as the summary's original operation data.
        expect(result.summary.properties.originalOperationData, label).toMatchObject({ originalOperationField: spec.fieldName });
        converted++;
      }
    }
    expect(converted).toBeGreaterThan(SEEDS.length * 5);
  });

  it.runIf(providerId === 'john-deere')("converts a field operation's shapefile export of every non-tillage file the same way", async () => {
    const { operation } = account(providerId, 3);
    for (const file of operation.listFiles({ offset: 0, limit: 100 }).files.filter((f) => f.operation !== 'tillage')) {
      const spec = { ...operation.fileSpec(file.id)!, format: 'shapefile' as const };
      const [only] = await convert(operation.fileBytes(file, 'shapefile'), `${file.id}.zip`);
      expect(only!.result.status.standardGeojson).toEqual({ status: 'processed', message: 'ok' });
      expect(only!.result.droppedCount).toBe(0);
      expect(only!.result.pointCount).toBe(spec.points);
      expectOperationProperties(spec, only!.result, only!.features, `export of ${file.name}`);
    }
  });
});

describe("a sandbox account's file dates", () => {
  const range = defaultConfiguration().operationsProcessingRange;
  it('use a 12-month default range', () => expect(range).toBe(12));

  it.each(['default', 'large'] as const)('fall inside the default 12-month processing range for a fresh %s account', (scenario) => {
    const store = new SandboxAccountStore({ now: () => NOW });
    const policy = (providers as Readonly<Record<string, Provider>>)['john-deere']!.emulator!.oauth;
    const { account } = store.create({ ownerId: 'owner', providerId: 'john-deere', policy, scenario, seed: 11, fields: 40 });
    const { files } = account.view.operation.listFiles({ offset: 0, limit: 1000 });
    expect(files.length).toBeGreaterThan(0);
    const rules = { notBefore: monthsBefore(NOW, range), previewFields: new Set<string>() };
    for (const file of files) {
      expect(decideFile({ version: file.modifiedTime, createdTime: file.createdTime, fieldIds: [file.fieldId] }, undefined, rules), file.createdTime).toEqual({ fetch: true, reason: 'new' });
      const ageDays = (NOW - Date.parse(file.createdTime)) / DAY;
      expect(ageDays, file.createdTime).toBeGreaterThanOrEqual(SCENARIO_NEWEST_AGE_DAYS);
      expect(ageDays, file.createdTime).toBeLessThanOrEqual(SCENARIO_SPAN_DAYS.max + 1);
      // Machines run in daylight: 14:00 to 22:00 UTC is 09:00 to 17:00 in Iowa, and the file is made an hour after its last point.
      const hour = new Date(file.createdTime).getUTCHours();
      expect(hour, file.createdTime).toBeGreaterThanOrEqual(14);
      expect(hour, file.createdTime).toBeLessThanOrEqual(23);
    }
    // Spread over months, not bunched on one day, and in listing order.
    const times = files.map((f) => Date.parse(f.createdTime));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)! - times[0]!).toBeGreaterThan((SCENARIO_SPAN_DAYS.min - SCENARIO_NEWEST_AGE_DAYS) * DAY * 0.8);
  });

  it('are the same for a seed made at the same time, and shift with the creation time', () => {
    const dates = (now: number) => account('climate-field-view', 9, now).operation.listFiles({ offset: 0, limit: 100 }).files.map((f) => Date.parse(f.createdTime));
    const a = dates(NOW);
    expect(dates(NOW)).toEqual(a);
    const later = dates(NOW + 30 * DAY);
    expect(later.map((t, i) => t - a[i]!).every((d) => Math.abs(d - 30 * DAY) <= 1000)).toBe(true);
  });

  it('keeps the crop a field grows the same across its files', () => {
    const { view, operation } = account('john-deere', 4);
    const crops = new Map<string, string>();
    for (const file of operation.listFiles({ offset: 0, limit: 100 }).files) {
      const crop = operation.fileSpec(file.id)!.crop;
      expect(crops.get(file.fieldId) ?? crop).toBe(crop);
      crops.set(file.fieldId, crop);
      expect(Object.keys(SANDBOX_CROPS)).toContain(crop);
    }
    expect(crops.size).toBeGreaterThan(1);
    expect(view.fields.length).toBeGreaterThan(0);
  });
});
