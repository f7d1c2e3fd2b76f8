import { describe, expect, it } from 'vitest';
import { PointFilter } from './cleanup.js';
import type { StandardBatch, StandardField, StandardText } from './standardize.js';

const FIELDS: StandardField[] = [
  { name: 'wetMass', unit: 't', integer: false },
  { name: 'appliedRate', unit: 'L/ha', integer: false },
];
const TEXT: StandardText = { operationType: 'harvested', crop: 'corn', productRateFromAppliedRate: false, hasRecordingStatus: true };

function batch(rows: { lon?: number; wetMass?: number; appliedRate?: number; recording?: number }[]): StandardBatch {
  const n = rows.length;
  const column = (get: (r: (typeof rows)[number]) => number | undefined) => Float64Array.from(rows, (r) => get(r) ?? Number.NaN);
  return {
    length: n,
    lon: column((r) => r.lon ?? 10),
    lat: new Float64Array(n).fill(50),
    time: new Float64Array(n),
    values: [column((r) => r.wetMass), column((r) => r.appliedRate)],
    recording: column((r) => r.recording ?? 1),
    widthMetres: new Float64Array(n),
    stepMetres: new Float64Array(n),
    prevLon: new Float64Array(n),
    prevLat: new Float64Array(n),
  };
}

const kept = (filter: PointFilter, b: StandardBatch) => {
  const keep = new Uint8Array(b.length);
  filter.apply(b, keep);
  return [...keep];
};

describe('the point filter', () => {
  it('applies GT, GTE, LT and LTE to numeric properties, failing missing values', () => {
    const rows = [{ wetMass: 0 }, { wetMass: 1 }, { wetMass: 2 }, { wetMass: 3 }, {}];
    const b = batch(rows);
    expect(kept(new PointFilter(FIELDS, TEXT, { wetMass: [{ operator: 'GT', value: 0 }] }), b)).toEqual([0, 1, 1, 1, 0]);
    expect(kept(new PointFilter(FIELDS, TEXT, { wetMass: [{ operator: 'GTE', value: 1 }, { operator: 'LT', value: 3 }] }), b)).toEqual([0, 1, 1, 0, 0]);
    expect(kept(new PointFilter(FIELDS, TEXT, { wetMass: [{ operator: 'LTE', value: 2 }] }), b)).toEqual([1, 1, 1, 0, 0]);
  });

  it('applies EQ and NE to recordingStatus and crop', () => {
    const b = batch([{ recording: 1 }, { recording: 0 }, { recording: Number.NaN }]);
    expect(kept(new PointFilter(FIELDS, TEXT, { recordingStatus: [{ operator: 'EQ', value: 'On' }] }), b)).toEqual([1, 0, 0]);
    expect(kept(new PointFilter(FIELDS, TEXT, { recordingStatus: [{ operator: 'NE', value: 'On' }] }), b)).toEqual([0, 1, 0]);
    expect(kept(new PointFilter(FIELDS, TEXT, { crop: [{ operator: 'NE', value: 'corn' }] }), b)).toEqual([0, 0, 0]);
    expect(kept(new PointFilter(FIELDS, TEXT, { crop: [{ operator: 'EQ', value: 'corn' }] }), b)).toEqual([1, 1, 1]);
  });

  it('ignores rules on properties the log does not have', () => {
    const b = batch([{ wetMass: 1 }]);
    const filter = new PointFilter(FIELDS, { ...TEXT, hasRecordingStatus: false }, { seedRate: [{ operator: 'GT', value: 0 }], recordingStatus: [{ operator: 'EQ', value: 'On' }], products: [{ operator: 'GT', value: 0 }] });
    expect(kept(filter, b)).toEqual([1]);
  });

  it('checks products rules against the single product\'s rate', () => {
    const b = batch([{ appliedRate: 0 }, { appliedRate: 5 }]);
    const filter = new PointFilter(FIELDS, { ...TEXT, productRateFromAppliedRate: true }, { products: [{ operator: 'GT', value: 0 }] });
    expect(kept(filter, b)).toEqual([0, 1]);
  });

  it('always drops points without a usable position and counts drops by property', () => {
    const filter = new PointFilter(FIELDS, TEXT, { wetMass: [{ operator: 'GT', value: 0 }] });
    expect(kept(filter, batch([{ lon: Number.NaN, wetMass: 1 }, { lon: 500, wetMass: 1 }, { wetMass: 0 }, { wetMass: 1 }]))).toEqual([0, 0, 0, 1]);
    expect(filter.drops).toEqual({ position: 2, wetMass: 1 });
  });

  it('keeps every positioned point with no rules (cleanup off)', () => {
    expect(kept(new PointFilter(FIELDS, TEXT, null), batch([{ wetMass: 0 }, { recording: 0 }]))).toEqual([1, 1]);
  });
});
