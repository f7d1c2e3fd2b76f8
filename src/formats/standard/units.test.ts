import { describe, expect, it } from 'vitest';
import type { Unit } from '../machine-data.js';
import { conversionFactor, outputUnit, UNITS } from './units.js';

/** Each unit in SI, from published definitions written out independently of units.ts. */
const EXPECTED_SI: Record<Unit, number> = {
  m: 1, ft: 0.3048, in: 0.0254, cm: 0.01, mm: 0.001, mi: 1609.344,
  m2: 1, ha: 10_000, ac: 4046.8564224,
  'm/s': 1, 'km/h': 0.277777778, 'mi/hr': 0.44704, 'ft/s': 0.3048,
  arcdeg: 1, prcnt: 1, s: 1,
  kg: 1, t: 1000, lb: 0.45359237,
  'kg/ha': 1e-4, 't/ha': 0.1, 'lb/ac': 0.000112085116,
  'kg/s': 1, 'lb/s': 0.45359237, 't/h': 0.277777778,
  L: 0.001, m3: 1, gal: 0.003785411784, bu: 0.03523907016688, floz: 2.95735295625e-5,
  'L/ha': 1e-7, 'm3/ha': 1e-4, 'gal/ac': 9.35395623e-7, 'bu/ac': 8.70776388e-6, 'floz/ac': 7.3077783e-9,
  seeds: 1, 'seeds/ha': 1e-4, 'seeds/ac': 2.47105381e-4,
  kgf: 9.80665, lbf: 4.4482216152605,
  count: 1,
};

describe('the unit table', () => {
  it.each(Object.entries(EXPECTED_SI) as [Unit, number][])('sizes %s against its definition', (unit, si) => {
    expect(UNITS[unit].si / si).toBeCloseTo(1, 8);
  });

  it('covers every unit readers may report', () => {
    expect(Object.keys(UNITS).sort()).toEqual(Object.keys(EXPECTED_SI).sort());
  });

  it('converts between units of a dimension, both ways', () => {
    expect(conversionFactor('kg/ha', 'lb/ac')).toBeCloseTo(0.8921791, 6);
    expect(conversionFactor('bu/ac', 'm3/ha')).toBeCloseTo(0.0870776388, 9);
    expect(conversionFactor('mi/hr', 'km/h')).toBeCloseTo(1.609344, 9);
    expect(conversionFactor('ft', 'm') * conversionFactor('m', 'ft')).toBeCloseTo(1, 12);
    expect(conversionFactor('t', 't')).toBe(1);
  });

  it('refuses to convert across dimensions', () => {
    expect(() => conversionFactor('kg', 'm3')).toThrow(/cannot convert kg/);
  });

  it('picks Leaf\'s METRIC and IMPERIAL units, keeping the source for DEFAULT', () => {
    expect(outputUnit('lb/ac', 'harvest', 'METRIC')).toBe('t/ha');
    expect(outputUnit('kg/ha', 'harvest', 'IMPERIAL')).toBe('lb/ac');
    expect(outputUnit('m3/ha', 'harvest', 'IMPERIAL')).toBe('bu/ac');
    expect(outputUnit('gal/ac', 'applied', 'METRIC')).toBe('L/ha');
    expect(outputUnit('kg/ha', 'applied', 'IMPERIAL')).toBe('lb/ac');
    expect(outputUnit('mm', 'depth', 'METRIC')).toBe('cm');
    expect(outputUnit('cm', 'depth', 'IMPERIAL')).toBe('in');
    expect(outputUnit('km/h', 'other', 'IMPERIAL')).toBe('ft/s');
    expect(outputUnit('seeds/ac', 'other', 'METRIC')).toBe('seeds/ha');
    expect(outputUnit('lbf', 'other', 'METRIC')).toBe('kgf');
    expect(outputUnit('ac', 'pointArea', 'IMPERIAL')).toBe('m2');
    expect(outputUnit('m2', 'totalArea', 'IMPERIAL')).toBe('ac');
    expect(outputUnit('lb/ac', 'harvest', 'DEFAULT')).toBe('lb/ac');
  });
});
