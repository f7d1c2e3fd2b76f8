/** @module Field index and point allocation: which field a machine point lies in, per-field shares and swath coverage; no I/O. */
export { FieldIndex, sphericalRingArea, type FieldShape } from './field-index.js';
export { allocatePoints, fieldsToAttach, type AllocateOptions, type Allocation, type AllocationBatch, type FieldAllocation } from './allocation.js';
export { fieldCoverage, SwathRaster, type CoverageResult, type FieldCoverage, type SwathBatch } from './coverage.js';
