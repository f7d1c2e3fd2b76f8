import { describe, expect, it } from 'vitest';
import { LARGE_SCENARIO_DEFAULT_FIELDS, buildScenarioData } from './scenario.js';
import { createSeededRandom } from './seeded-random.js';

describe('scenario data', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = buildScenarioData('default', createSeededRandom(7));
    expect(buildScenarioData('default', createSeededRandom(7))).toEqual(a);
    expect(buildScenarioData('default', createSeededRandom(8))).not.toEqual(a);
  });

  it('gives the default scenario three organizations, the last not connected, with two to four fields each', () => {
    const data = buildScenarioData('default', createSeededRandom(1));
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
    expect(buildScenarioData('large', createSeededRandom(1)).fields).toHaveLength(LARGE_SCENARIO_DEFAULT_FIELDS);
    const data = buildScenarioData('large', createSeededRandom(1), { fields: 61 });
    expect(data.fields).toHaveLength(61);
    for (const organization of data.organizations) {
      const names = data.fields.filter((f) => f.organizationId === organization.id).map((f) => f.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('leaves the empty scenario with the grower alone', () => {
    expect(buildScenarioData('empty', createSeededRandom(1))).toMatchObject({ organizations: [], fields: [] });
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
