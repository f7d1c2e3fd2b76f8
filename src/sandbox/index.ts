/** @module The sandbox: in-memory provider accounts, their faults and stats, the control API, and the mount for every provider's emulator. */
export * from './account-store.js';
export * from './consent-page.js';
export * from './emulator-context.js';
export * from './faults.js';
export * from './oauth-grants.js';
export * from './sandbox-routes.js';
export * from './scenario.js';
export * from './seeded-random.js';
