/** @module Stara Telemetria: an API key and the access/refresh token pair issued for it. */
import { Type } from '@sinclair/typebox';
import { secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { staraAdapter } from './client.js';
import { staraEmulator } from './emulator.js';
import { staraLink } from './link.js';

/**
 * POST body of `stara-credentials` (leaf-api.md 3.3): what Stara's `/autenticacao` and `/token`
 * calls return (providers.md 9.1). [I] All four required, as the docs list them without options.
 */
const StaraCredentialBody = Type.Object(
  {
    apiKey: secretString("The grower's Stara API key (from /autenticacao)."),
    accessToken: secretString('The access token Stara issued for the API key.'),
    accessTokenClient: secretString('The client access token sent with the API key to /token.'),
    refreshToken: secretString('The refresh token Stara issued with the access token.'),
  },
  { additionalProperties: true },
);

/** Stara. */
export const stara = defineProvider({
  id: 'stara',
  apiName: 'Stara',
  name: 'Stara',
  userField: 'staraCredentials',
  auth: 'api_key_token_pair',
  capabilities: {
    // The access token is renewed by the documented exchange of the API key and the client token
    // at /token (providers.md 9.1); [I] the refresh token it returns has no documented call.
    supportsRefresh: true,
    rotatesRefreshToken: false,
    // No revocation endpoint and no webhooks are published (providers.md 9.6-9.9).
    // Stara provides "planting operations, as-applied operations" (providers.md 9.2-9.5).
    hasMachineFiles: true,
  },
  // Fields only (leaf-api.md 3.7).
  hierarchy: ['field'],
  credentialSchema: StaraCredentialBody,
  credentialExample: {
    apiKey: 'stara-api-key-2b3c4d5e6f7a',
    accessToken: 'stara-access-token-8b9c0d1e',
    accessTokenClient: 'stara-client-token-2f3a4b5c',
    refreshToken: 'stara-refresh-token-6d7e8f9a',
  },
  // Every field is a per-grower secret (providers.md 0.4); the API key is masked like other keys.
  secretFields: { apiKey: 'masked', accessToken: 'hidden', accessTokenClient: 'hidden', refreshToken: 'hidden' },
  publicFields: [],
  clientIdentityField: undefined,
  adapter: staraAdapter,
  link: staraLink,
  emulator: staraEmulator,
});
