/** @module Types and pure rules shared by every layer (ids, statuses, errors); imports nothing else. */
export * from './configurations.js';
export * from './credentials.js';
export * from './errors.js';
export * from './paging.js';
export * from './time.js';
export * from './users.js';
export * from './credential-record.js';
export * from './organizations.js';
export * from './machine-files.js';
export * from './field-operations.js';
export * from './geometry.js';
export * from './fields.js';
