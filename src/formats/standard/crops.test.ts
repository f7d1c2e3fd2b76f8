import { describe, expect, it } from 'vitest';
import { cropProperties, dryMatterFactor, kilogramsPerBushel } from './crops.js';

describe('the crops table', () => {
  it('has the test weights and standard moistures Leaf documents', () => {
    expect(cropProperties('corn')).toEqual({ poundsPerBushel: 56, standardMoisture: 15 });
    expect(cropProperties('soybeans')).toEqual({ poundsPerBushel: 60, standardMoisture: 13 });
    expect(cropProperties('wheat')).toEqual({ poundsPerBushel: 60, standardMoisture: 13.5 });
    expect(cropProperties('barley')).toEqual({ poundsPerBushel: 47.99, standardMoisture: 15 });
    expect(cropProperties('canola')).toEqual({ poundsPerBushel: 50, standardMoisture: 10 });
    expect(cropProperties('sorghum')).toEqual({ poundsPerBushel: 56, standardMoisture: 14 });
  });

  it('finds crops whatever their case and common synonyms', () => {
    expect(cropProperties(' Corn ')).toBe(cropProperties('corn'));
    expect(cropProperties('maize')).toBe(cropProperties('corn'));
    expect(cropProperties('wheat, hard red winter')).toBe(cropProperties('wheat'));
  });

  it('has no row for an unknown crop, so dry values repeat wet ones', () => {
    expect(cropProperties('quinoa')).toBeUndefined();
    expect(cropProperties(undefined)).toBeUndefined();
  });

  it('keeps dry matter constant when drying to standard moisture', () => {
    const corn = cropProperties('corn')!;
    // 1000 kg at 25 % moisture holds 750 kg dry matter; at 15 % that is 750 / 0.85 kg.
    expect(1000 * dryMatterFactor(25, corn)).toBeCloseTo(750 / 0.85, 9);
    expect(dryMatterFactor(15, corn)).toBe(1);
    expect(kilogramsPerBushel(corn)).toBeCloseTo(25.40117, 5);
  });
});
