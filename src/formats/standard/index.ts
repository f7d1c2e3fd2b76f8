/**
 * @module The standard step: Leaf's standardGeojson properties, units, crops, cleanup rules, summary
 * and coverage polygon, computed from any reader's `MachineLog` (`src/formats/convert.ts` runs it).
 */
export { PointFilter, type DropCounts } from './cleanup.js';
export { CoverageGrid, MAX_STEP_METRES } from './coverage.js';
export { CROPS, cropProperties, dryMatterFactor, type CropProperties } from './crops.js';
export { StandardGeojsonWriter } from './geojson-writer.js';
export { haversineMetres, Standardizer, type StandardBatch, type StandardField, type StandardText } from './standardize.js';
export { SummaryAccumulator, type Statistic, type Total } from './summary.js';
export { conversionFactor, outputUnit, UNITS, type Dimension } from './units.js';
