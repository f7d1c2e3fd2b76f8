/** @module The master key and the keys derived from it; password hashing for API owners. */
export * from './master-key.js';
export * from './password.js';
export * from './secret-box.js';
