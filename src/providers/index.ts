/** @module One folder per data provider, each a `Provider` value, and the registry that lists them all. */
export * from './adapter-context.js';
export * from './classify-http-error.js';
export * from './credential-fields.js';
export * from './credential-view.js';
export * from './define-provider.js';
export * from './provider-error.js';
export * from './provider.js';
export * from './oauth2-token-requests.js';
export * from './provider-emulator.js';
export * from './provider-http.js';
export * from './redact-exchange.js';
export * from './registry.js';
export * from './provider-link.js';
export * from './sync-data.js';
