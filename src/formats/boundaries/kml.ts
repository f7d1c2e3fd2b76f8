/**
 * KML boundary files (OGC KML 2.2): every Placemark's Polygons (inside MultiGeometry too) become
 * one MultiPolygon named by the Placemark's `<name>`. KML coordinates are WGS 84 `lon,lat[,alt]`
 * tuples separated by white space. Only the elements a boundary needs are read, by a scanner over
 * the text; a DOCTYPE is refused, so no entity is ever expanded.
 */
import { MachineFileError } from '../machine-data.js';
import type { NamedBoundary } from './read-boundary-files.js';

const tag = (name: string) => new RegExp(`<(?:\\w+:)?${name}\\b[^>]*>([\\s\\S]*?)</(?:\\w+:)?${name}>`, 'g');

export function readKmlBoundaries(text: string, fileName: string): { boundaries: NamedBoundary[]; errors: string[] } {
  if (/<!DOCTYPE/i.test(text)) throw new MachineFileError('corrupt_file', `${fileName}: KML with a DOCTYPE declaration is refused (entities are never expanded); remove the declaration.`);
  if (!/<(?:\w+:)?kml\b/.test(text)) throw new MachineFileError('corrupt_file', `${fileName} is not KML: no <kml> element found.`);
  const boundaries: NamedBoundary[] = [];
  const errors: string[] = [];
  let index = 0;
  for (const placemark of text.matchAll(tag('Placemark'))) {
    index++;
    const body = placemark[1]!;
    const name = decodeText(/<(?:\w+:)?name\b[^>]*>([\s\S]*?)<\/(?:\w+:)?name>/.exec(body)?.[1]);
    const label = `${fileName}: placemark ${index}${name === null ? '' : ` (${name})`}`;
    const polygons: number[][][][] = [];
    for (const polygon of body.matchAll(tag('Polygon'))) {
      const outer = [...polygon[1]!.matchAll(tag('outerBoundaryIs'))].map((m) => ringOf(m[1]!));
      const inner = [...polygon[1]!.matchAll(tag('innerBoundaryIs'))].map((m) => ringOf(m[1]!));
      if (outer[0] === undefined || outer[0] === null) {
        errors.push(`${label} has a Polygon without outer boundary coordinates.`);
        continue;
      }
      polygons.push([outer[0], ...inner.filter((r): r is number[][] => r !== null)]);
    }
    if (polygons.length === 0) {
      if (!errors.some((e) => e.startsWith(label))) errors.push(`${label} has no Polygon; field boundaries are polygons.`);
      continue;
    }
    boundaries.push({ name, geometry: { type: 'MultiPolygon', coordinates: polygons } });
  }
  return { boundaries, errors };
}

function ringOf(boundary: string): number[][] | null {
  const coordinates = /<(?:\w+:)?coordinates\b[^>]*>([\s\S]*?)<\/(?:\w+:)?coordinates>/.exec(boundary)?.[1];
  if (coordinates === undefined) return null;
  const ring = coordinates
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((tuple) => tuple.split(',').slice(0, 2).map(Number));
  return ring.length === 0 ? null : ring;
}

function decodeText(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const text = raw
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
  return text === '' ? null : text;
}
