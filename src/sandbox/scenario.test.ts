import { describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO_FILES, LARGE_SCENARIO_DEFAULT_FIELDS, buildScenarioData } from './scenario.js';
import { createSeededRandom } from './seeded-random.js';

/** When the accounts under test were made: scenario dates are relative to it. */
const createdAt = Date.UTC(2026, 10, 1);

describe('scenario data', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = buildScenarioData('default', createSeededRandom(7), { createdAt });
    expect(buildScenarioData('default', createSeededRandom(7), { createdAt })).toEqual(a);
    expect(buildScenarioData('default', createSeededRandom(8), { createdAt })).not.toEqual(a);
  });

  it('gives the default scenario three organizations, the last not connected, with two to four fields each', () => {
    const data = buildScenarioData('default', createSeededRandom(1), { createdAt });
    expect(data.organizations.map((o) => o.connected)).toEqual([true, true, false]);
    for (const organization of data.organizations) {
      const count = data.fields.filter((f) => f.organizationId === organization.id).length;
      expect(count).toBeGreaterThanOrEqual(2);
      expect(count).toBeLessThanOrEqual(4);
    }
    expect(new Set(data.organizations.map((o) => o.number)).size).toBe(3);
    expect(data.grower.email).toMatch(/^[a-z]+\.[a-z]+@example\.com$/);
  });

  it('sizes the large scenario by the field count, with unique names per organization', () => {
    expect(buildScenarioData('large', createSeededRandom(1), { createdAt }).fields).toHaveLength(LARGE_SCENARIO_DEFAULT_FIELDS);
    const data = buildScenarioData('large', createSeededRandom(1), { createdAt, fields: 61 });
    expect(data.fields).toHaveLength(61);
    for (const organization of data.organizations) {
      const names = data.fields.filter((f) => f.organizationId === organization.id).map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('leaves the empty scenario with the grower alone', () => {
    expect(buildScenarioData('empty', createSeededRandom(1), { createdAt })).toMatchObject({ organizations: [], fields: [] });
  });
});

describe('the seeded generator', () => {
  it('draws floats in [0, 1) and UUIDs of version 4', () => {
    const random = createSeededRandom(123);
    for (let i = 0; i < 1000; i++) {
      const value = random.next();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    expect(random.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(() => random.pick([])).toThrow(/non-empty/);
  });
});

describe('the operation data of a scenario', () => {
  it('gives the default scenario one grower and two farms per organization, ten files, and every field a boundary in its farm', () => {
    const data = buildScenarioData('default', createSeededRandom(2), { createdAt });
    expect(data.growers).toHaveLength(data.organizations.length);
    expect(data.farms).toHaveLength(2 * data.organizations.length);
    expect(data.operation.listFiles({ offset: 0, limit: 100 }).total).toBe(DEFAULT_SCENARIO_FILES);
    for (const field of data.fields) {
      const farm = data.farms.find((f) => f.id === field.farmId)!;
      expect(farm).toMatchObject({ organizationId: field.organizationId, growerId: field.growerId });
      const [boundary] = data.operation.boundaries(field.id);
      expect(boundary).toMatchObject({ fieldId: field.id, active: true, revision: 0 });
      const ring = boundary!.coordinates[0]![0]!;
      expect(ring[0]).toEqual(ring.at(-1));
      expect(boundary!.areaHectares).toBeGreaterThan(5);
      expect(boundary!.areaHectares).toBeLessThan(30);
      expect(data.operation.boundary(boundary!.id)).toEqual(boundary);
    }
  });

  it('makes each file the same bytes on every call, of the size its metadata says, and finds it by id and number', () => {
    const { operation } = buildScenarioData('default', createSeededRandom(3), { createdAt });
    for (const file of operation.listFiles({ offset: 0, limit: 100 }).files) {
      const bytes = operation.fileBytes(file);
      expect(bytes.length).toBe(file.size);
      expect(Buffer.from(operation.fileBytes(file)).equals(Buffer.from(bytes))).toBe(true);
      expect(operation.file(file.id)).toEqual(file);
      expect(operation.file(file.number)).toEqual(file);
    }
    expect(operation.file('400000999')).toBeUndefined();
  });

  it('sizes a large account at 2,000 fields and 10,000 files without making the files until asked', () => {
    const { fields, operation } = buildScenarioData('large', createSeededRandom(4), { createdAt });
    expect(fields).toHaveLength(LARGE_SCENARIO_DEFAULT_FIELDS);
    const { total, files } = operation.listFiles({ offset: 9_990, limit: 20 });
    expect(total).toBe(10_000);
    expect(files).toHaveLength(10);
    expect(operation.file(files[9]!.id)).toEqual(files[9]);
  });

  it('records a change under a new revision: an added file and a redrawn boundary, listed after the revision before them', () => {
    const data = buildScenarioData('default', createSeededRandom(5), { createdAt });
    const { operation } = data;
    const changes: unknown[] = [];
    operation.onChange((change) => changes.push(change));
    const field = data.fields[0]!;
    const before = operation.revision();
    const file = operation.addFile({ fieldId: field.id, format: 'shapefile', operation: 'harvest', points: 10 }, Date.UTC(2025, 5, 1));
    const boundary = operation.changeBoundary(field.id, undefined, Date.UTC(2025, 5, 2));
    expect([file.revision, boundary.revision]).toEqual([before + 1, before + 2]);
    expect(operation.listFiles({ afterRevision: before, offset: 0, limit: 10 }).files).toEqual([file]);
    expect(operation.listFiles({ afterRevision: file.revision, offset: 0, limit: 10 }).files).toEqual([]);
    expect(operation.listFiles({ organizationId: field.organizationId, operations: ['seeding'], afterRevision: before, offset: 0, limit: 10 }).total).toBe(0);
    expect(operation.boundaries(field.id).map((b) => b.active)).toEqual([false, true]);
    expect(operation.fieldRevision(field.id)).toBe(boundary.revision);
    expect(boundary.areaHectares).toBeGreaterThan(operation.boundaries(field.id)[0]!.areaHectares);
    expect(changes).toEqual([
      { kind: 'file_added', organizationId: field.organizationId, fieldId: field.id, id: file.id, revision: file.revision },
      { kind: 'boundary_changed', organizationId: field.organizationId, fieldId: field.id, id: boundary.id, revision: boundary.revision },
    ]);
    expect(() => operation.addFile({ fieldId: 'no-such-field' }, Date.now())).toThrow(/No field/);
  });
});
