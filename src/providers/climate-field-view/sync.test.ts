import { describe, expect, it } from 'vitest';
import { climateGeometryToMultiPolygon, listClimateOrganizations } from './sync.js';

const square = [[[-94, 41], [-93, 41], [-93, 42], [-94, 42], [-94, 41]]];

describe("Climate's boundary geometry as a MultiPolygon (providers.md 3.5)", () => {
  it('wraps a Polygon, keeps a MultiPolygon, and reads string coordinates as numbers', () => {
    expect(climateGeometryToMultiPolygon({ type: 'Polygon', coordinates: square })).toEqual({ type: 'MultiPolygon', coordinates: [square] });
    expect(climateGeometryToMultiPolygon({ type: 'MultiPolygon', coordinates: [square, square] })?.coordinates).toHaveLength(2);
    const asStrings = square.map((ring) => ring.map(([x, y]) => [String(x), String(y)]));
    expect(climateGeometryToMultiPolygon({ type: 'Polygon', coordinates: asStrings })).toEqual({ type: 'MultiPolygon', coordinates: [square] });
  });

  it('has no boundary for a Point, a ring of fewer than four positions, or coordinates that are not numbers', () => {
    expect(climateGeometryToMultiPolygon({ type: 'Point', coordinates: [-93, 41] })).toBeUndefined();
    expect(climateGeometryToMultiPolygon({ type: 'Polygon', coordinates: [[[-94, 41], [-93, 41], [-94, 41]]] })).toBeUndefined();
    expect(climateGeometryToMultiPolygon({ type: 'Polygon', coordinates: [[[-94, 41], ['x', 41], [-93, 42], [-94, 41]]] })).toBeUndefined();
  });
});

describe("Climate's one organization", () => {
  it("is the token answer's user, or a fixed key when the answer had none", async () => {
    const credential = (raw: unknown) => ({ id: 'c', environment: 'PRODUCTION' as const, fields: { clientId: 'a', clientSecret: 'b', apiKey: 'k', refreshToken: 'r' }, tokens: { accessToken: 't', raw } });
    expect(await listClimateOrganizations(credential({ user: { id: 'u-1', firstName: 'Ada', lastName: 'Becker' } }))).toEqual([expect.objectContaining({ providerId: 'u-1', name: 'Ada Becker', connected: true })]);
    expect(await listClimateOrganizations(credential(undefined))).toEqual([expect.objectContaining({ providerId: 'resource-owner', connected: true })]);
  });
});
