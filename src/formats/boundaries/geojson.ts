/**
 * GeoJSON boundary files (RFC 7946): a FeatureCollection, a Feature, or a bare Polygon or
 * MultiPolygon. The name is the feature's `name` property. Coordinates are WGS 84 by definition;
 * the obsolete `crs` member (GeoJSON 2008) is honoured only to refuse a projected one loudly.
 */
import { MachineFileError } from '../machine-data.js';
import type { NamedBoundary } from './read-boundary-files.js';

interface Feature {
  type?: unknown;
  properties?: Record<string, unknown> | null;
  geometry?: { type?: unknown; coordinates?: unknown; geometries?: unknown } | null;
}

export function readGeojsonBoundaries(text: string, fileName: string): { boundaries: NamedBoundary[]; errors: string[] } {
  let document: { type?: unknown; features?: unknown; crs?: { properties?: { name?: unknown } } } & Feature;
  try {
    document = JSON.parse(text) as typeof document;
  } catch (error) {
    throw new MachineFileError('corrupt_file', `${fileName} is not valid JSON (${(error as Error).message}); expected a GeoJSON FeatureCollection of polygons.`, { cause: error });
  }
  const crs = document.crs?.properties?.name;
  if (typeof crs === 'string' && !/(EPSG:+4326|CRS84|EPSG::4326)$/i.test(crs)) {
    throw new MachineFileError('unsupported_file_format', `${fileName} declares the coordinate system ${crs}; GeoJSON boundaries must be WGS 84 longitude/latitude (RFC 7946). Reproject it to EPSG:4326.`);
  }
  const features: Feature[] =
    document.type === 'FeatureCollection' && Array.isArray(document.features)
      ? (document.features as Feature[])
      : document.type === 'Feature'
        ? [document]
        : [{ type: 'Feature', properties: null, geometry: document as Feature['geometry'] }];
  const boundaries: NamedBoundary[] = [];
  const errors: string[] = [];
  features.forEach((feature, index) => {
    const name = nameOf(feature.properties);
    const label = `${fileName}: feature ${index + 1}${name === null ? '' : ` (${name})`}`;
    const geometry = feature?.geometry;
    if (geometry?.type === 'Polygon' || geometry?.type === 'MultiPolygon') {
      if (!Array.isArray(geometry.coordinates)) errors.push(`${label} has no coordinates.`);
      else boundaries.push({ name, geometry: { type: geometry.type, coordinates: geometry.coordinates as number[][][] } });
    } else {
      errors.push(`${label} is a ${String(geometry?.type ?? 'feature without geometry')}; field boundaries are Polygon or MultiPolygon.`);
    }
  });
  return { boundaries, errors };
}

function nameOf(properties: Record<string, unknown> | null | undefined): string | null {
  if (properties === null || properties === undefined) return null;
  const key = Object.keys(properties).find((k) => k.toLowerCase() === 'name');
  const value = key === undefined ? undefined : properties[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : null;
}
