/** @module CLAAS connect partner API: OAuth 2.0 refresh tokens, ISOXML outbox files. */
import { Type } from '@sinclair/typebox';
import { clientEnvironment, publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { claasAdapter } from './client.js';
import { claasEmulator } from './emulator.js';
import { claasLink } from './link.js';

/**
 * POST body of `claas-credentials` (leaf-api.md 3.3, new-docs `/providers/claas`): the three keys
 * required, `clientEnvironment` optional and STAGE by default (providers.md 2.1).
 */
const ClaasCredentialBody = Type.Object(
  {
    clientKey: publicString('The client key of your CLAAS partner (online file transfer) app.'),
    clientSecret: secretString('The client secret of your CLAAS partner app.'),
    refreshToken: secretString("The grower's refresh token from the CLAAS OAuth 2.0 consent flow."),
    clientEnvironment: Type.Optional(clientEnvironment({ default: 'STAGE' })),
  },
  { additionalProperties: true },
);

/** CLAAS connect. */
export const claas = defineProvider({
  id: 'claas',
  apiName: 'CLAAS',
  name: 'CLAAS',
  // [I] Not documented: leaf-api.md 2.2 lists no CLAAS property; named like the documented ones.
  userField: 'claasCredentials',
  auth: 'oauth2_refresh_token',
  capabilities: {
    supportsRefresh: true,
    // [I] Token lifetimes and rotation are not public (providers.md 2.1).
    rotatesRefreshToken: false,
    hasMachineFiles: true,
  },
  // [I] File-centric: boundaries travel inside ISOXML task data, no public hierarchy API (providers.md 2.4).
  hierarchy: [],
  credentialSchema: ClaasCredentialBody,
  // The example new-docs gives, verbatim.
  credentialExample: {
    clientKey: 'your-client-key',
    clientSecret: 'your-client-secret',
    refreshToken: 'grower-refresh-token',
    clientEnvironment: 'PRODUCTION',
  },
  secretFields: { clientSecret: 'masked', refreshToken: 'hidden' },
  publicFields: ['clientKey', 'clientEnvironment'],
  clientIdentityField: 'clientKey',
  adapter: claasAdapter,
  link: claasLink,
  emulator: claasEmulator,
});
