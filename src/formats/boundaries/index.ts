/**
 * @module Field-boundary files as the uploadservice takes them (leaf-api.md 7.1): polygon
 * shapefiles (reprojected to WGS 84 from their .prj), GeoJSON and KML/KMZ, read into named
 * polygons, one entry per file with the problems found in it. Boundary files are small (Leaf
 * allows at most 100 fields per upload), so each file is read whole, within a size limit.
 */
export { readBoundaryFiles, MAX_BOUNDARY_FILE_BYTES, type BoundaryFileEntry, type NamedBoundary } from './read-boundary-files.js';
