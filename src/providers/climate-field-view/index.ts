/** @module Climate FieldView: OAuth 2.0 with rotating refresh tokens and an `X-Api-Key` on every call. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { climateFieldViewAdapter } from './client.js';
import { climateFieldViewEmulator } from './emulator.js';
import { climateFieldViewLink } from './link.js';
import { climateFieldViewSync } from './sync.js';

/**
 * POST body of `climate-field-view-credentials` (leaf-api.md 3.3). No `clientEnvironment`: Climate
 * publishes one API host, tested with developer accounts (providers.md 3.2). [I] The docs do not
 * mark required fields; all four are needed to call the API, so all are required.
 */
const ClimateFieldViewCredentialBody = Type.Object(
  {
    clientId: publicString('The client id of your Climate FieldView app.'),
    clientSecret: secretString('The client secret of your Climate FieldView app.'),
    apiKey: secretString('Your partner API key, sent as X-Api-Key on every call.'),
    refreshToken: secretString("The grower's refresh token; Climate replaces it on every refresh."),
  },
  { additionalProperties: true },
);

/** Climate FieldView (Bayer). */
export const climateFieldView = defineProvider({
  id: 'climate-field-view',
  apiName: 'ClimateFieldView',
  name: 'Climate FieldView',
  userField: 'climateFieldViewCredentials',
  auth: 'oauth2_refresh_token',
  capabilities: {
    supportsRefresh: true,
    // "the refresh token that is passed to this call is immediately set to expired one hour from now"
    // (providers.md 3.1, api-example climate.py).
    rotatesRefreshToken: true,
    // No revocation endpoint and no webhooks in the v4 spec: changes are polled with X-Next-Token.
    hasMachineFiles: true,
  },
  // No grower level (leaf-api.md 3.3 and 3.7).
  hierarchy: ['farm', 'field'],
  credentialSchema: ClimateFieldViewCredentialBody,
  credentialExample: {
    clientId: 'partner-furrow-client',
    clientSecret: 'cfv-app-secret-5e6f7a8b9c0d1e2f',
    apiKey: 'partner-furrow-6a1f0c2e-8d4b-4c3e-9a55-1c0a5d7e2b10',
    refreshToken: 'cfv-grower-refresh-token-0f1e2d3c',
  },
  secretFields: { clientSecret: 'masked', apiKey: 'masked', refreshToken: 'hidden' },
  publicFields: ['clientId'],
  clientIdentityField: 'clientId',
  adapter: { ...climateFieldViewAdapter, sync: climateFieldViewSync },
  link: climateFieldViewLink,
  emulator: climateFieldViewEmulator,
});
