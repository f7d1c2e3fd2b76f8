import { describe, expect, it } from 'vitest';
import { requestedRange } from './emulator-sync.js';
import { deereBoundaryToGeoJson } from './sync.js';

const point = (lat: number, lon: number) => ({ '@type': 'Point', lat, lon });

describe("John Deere's boundary encoding as GeoJSON (providers.md 1.5)", () => {
  it('swaps to longitude, latitude, puts the exterior ring first and closes open rings', () => {
    const hole = { '@type': 'Ring', type: 'interior', points: [point(41.1, -93.9), point(41.1, -93.8), point(41.2, -93.8)] };
    const shell = { '@type': 'Ring', type: 'exterior', points: [point(41, -94), point(41, -93), point(42, -93), point(42, -94), point(41, -94)] };
    expect(deereBoundaryToGeoJson([{ '@type': 'Polygon', rings: [hole, shell] }])).toEqual({
      type: 'MultiPolygon',
      coordinates: [
        [
          [[-94, 41], [-93, 41], [-93, 42], [-94, 42], [-94, 41]],
          [[-93.9, 41.1], [-93.8, 41.1], [-93.8, 41.2], [-93.9, 41.1]],
        ],
      ],
    });
  });

  it('drops polygons without an exterior ring of three points, and answers undefined when none is left', () => {
    const tooShort = { rings: [{ type: 'exterior', points: [point(41, -94), point(41, -93)] }] };
    expect(deereBoundaryToGeoJson([tooShort])).toBeUndefined();
    expect(deereBoundaryToGeoJson(undefined)).toBeUndefined();
    expect(deereBoundaryToGeoJson([{ rings: [{ type: 'interior', points: [point(1, 1), point(1, 2), point(2, 2)] }] }])).toBeUndefined();
  });
});

describe("the emulator's byte ranges (RFC 9110 section 14.1.2 and Deere's offset/size)", () => {
  it.each([
    ['bytes=0-99', undefined, undefined, { start: 0, end: 99 }],
    ['bytes=950-', undefined, undefined, { start: 950, end: 999 }],
    ['bytes=-10', undefined, undefined, { start: 990, end: 999 }],
    ['bytes=900-5000', undefined, undefined, { start: 900, end: 999 }],
    ['bytes=1000-1001', undefined, undefined, 'unsatisfiable'],
    ['bytes=abc', undefined, undefined, 'unsatisfiable'],
    [undefined, '100', '50', { start: 100, end: 149 }],
    [undefined, '-1', '-1', undefined],
    [undefined, '100', '-1', { start: 100, end: 999 }],
    ['bytes=0-9', '100', '50', { start: 0, end: 9 }],
  ])('Range %s, offset %s, size %s of 1,000 bytes is %j', (range, offset, size, expected) => {
    expect(requestedRange(range, offset, size, 1000)).toEqual(expected);
  });
});
