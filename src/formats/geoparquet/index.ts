/**
 * @module GeoParquet 1.1 output of standardGeojson points (research/leaf-api.md 7.9, SPEC §7), streamed in row groups.
 */
export { GeoparquetWriter, ROW_GROUP_ROWS } from './geoparquet-writer.js';
