/**
 * The boundary operations that need polygon clipping, done with `polygon-clipping` (Martinez-Rueda
 * sweep line, robust to shared edges and touching rings): the intersection of several fields, and
 * the repair of a self-intersecting polygon for `automaticFixBoundary`.
 */
import polygonClipping, { type MultiPolygon as ClipMultiPolygon, type Polygon as ClipPolygon } from 'polygon-clipping';
import type { MultiPolygonGeometry, Position, SelfIntersectionResolver } from '../domain/index.js';

const asClip = (coordinates: Position[][][]) => coordinates as unknown as ClipMultiPolygon;

/** The area all the geometries share, as a MultiPolygon (no polygons when they do not all meet). */
export function fieldIntersection(geometries: readonly MultiPolygonGeometry[]): MultiPolygonGeometry {
  const [first, ...rest] = geometries;
  if (first === undefined) return { type: 'MultiPolygon', coordinates: [] };
  const coordinates = polygonClipping.intersection(asClip(first.coordinates), ...rest.map((g) => asClip(g.coordinates)));
  return { type: 'MultiPolygon', coordinates: coordinates as unknown as Position[][][] };
}

/**
 * A self-intersecting polygon made valid by its union with itself: the sweep splits every ring at
 * its crossings and keeps the area the rings enclose (a bow-tie becomes its two triangles). The
 * result follows the non-zero rule, so a loop that winds twice is kept once rather than dropped.
 */
export const resolveSelfIntersection: SelfIntersectionResolver = (polygon) =>
  polygonClipping.union(polygon as unknown as ClipPolygon) as unknown as Position[][][];
