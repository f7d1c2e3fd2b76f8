/**
 * Partfield boundaries: PFD > PLN (type 1, partfield boundary) > LSG (type 1 exterior ring,
 * type 2 interior ring) > PNT (C north, D east, WGS 84 degrees), ISO 11783-10 §6.6-6.8.
 */
import type { FileBoundary } from '../machine-data.js';
import type { TaskData } from './task-data.js';
import type { XmlElement } from './xml.js';

const PLN_PARTFIELD_BOUNDARY = '1';
const LSG_EXTERIOR = '1';
const LSG_INTERIOR = '2';

/** Every partfield's boundary as a MultiPolygon; partfields without a usable ring are left out. */
export function readBoundaries(taskData: TaskData): FileBoundary[] {
  const boundaries: FileBoundary[] = [];
  for (const pfd of taskData.all('PFD')) {
    const polygons: number[][][][] = [];
    for (const pln of pfd.children) {
      if (pln.name !== 'PLN' || pln.attributes.A !== PLN_PARTFIELD_BOUNDARY) continue;
      const holes: number[][][] = [];
      for (const lsg of pln.children) {
        if (lsg.name !== 'LSG') continue;
        const ring = readRing(lsg);
        if (ring === null) continue;
        if (lsg.attributes.A === LSG_EXTERIOR) polygons.push([ring]);
        else if (lsg.attributes.A === LSG_INTERIOR) holes.push(ring);
      }
      // A hole belongs to the exterior ring that contains it; terminals list them in any order.
      for (const hole of holes) {
        const owner = polygons.find((polygon) => containsPoint(polygon[0]!, hole[0]!));
        owner?.push(hole);
      }
    }
    if (polygons.length === 0) continue;
    boundaries.push({
      name: pfd.attributes.C ?? pfd.attributes.A ?? '',
      sourceId: pfd.attributes.A ?? '',
      geometry: { type: 'MultiPolygon', coordinates: polygons },
    });
  }
  return boundaries;
}

/** A closed ring of [lon, lat], or null when it has fewer than 3 valid distinct points. */
function readRing(lsg: XmlElement): number[][] | null {
  const ring: number[][] = [];
  for (const pnt of lsg.children) {
    if (pnt.name !== 'PNT') continue;
    const lat = Number(pnt.attributes.C);
    const lon = Number(pnt.attributes.D);
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) continue;
    const last = ring[ring.length - 1];
    if (last !== undefined && last[0] === lon && last[1] === lat) continue;
    ring.push([lon, lat]);
  }
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (first === undefined || last === undefined) return null;
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push([first[0]!, first[1]!]);
  return ring.length >= 4 ? ring : null;
}

/** Even-odd ray casting. */
function containsPoint(ring: number[][], point: number[]): boolean {
  const [x, y] = point as [number, number];
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
