/** @module Trimble Agriculture: Trimble Identity OAuth 2.0 with single-use refresh tokens. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { trimbleAdapter } from './client.js';
import { trimbleEmulator } from './emulator.js';
import { trimbleLink } from './link.js';

/**
 * POST body of `trimble-credentials` (leaf-api.md 3.3). No `clientEnvironment`: only production
 * hosts are published (providers.md 5.2). (The docs' POST-response example shows `clientKey` and
 * `clientEnvironment`, a copy/paste slip; the request and GET examples do not.)
 */
const TrimbleCredentialBody = Type.Object(
  {
    clientId: publicString('The client id of your Trimble Identity app.'),
    clientSecret: secretString('The client secret of your Trimble Identity app.'),
    refreshToken: secretString("The grower's refresh token; single use, 7 days."),
  },
  { additionalProperties: true },
);

/** Trimble Ag Software. */
export const trimble = defineProvider({
  id: 'trimble',
  apiName: 'Trimble',
  name: 'Trimble',
  userField: 'trimbleCredentials',
  auth: 'oauth2_refresh_token',
  capabilities: {
    supportsRefresh: true,
    // "The refresh token is a single-use token that becomes invalid after use" (providers.md 5.1).
    rotatesRefreshToken: true,
    // Organizations are authorized on trimbleag.com; Leaf lists them but cannot tell connected
    // from not (leaf-api.md 3.5).
    hasOrganizations: true,
    hasMachineFiles: true,
  },
  hierarchy: ['grower', 'farm', 'field'],
  credentialSchema: TrimbleCredentialBody,
  credentialExample: {
    clientId: 'your-trimble-client-id',
    clientSecret: 'your-trimble-client-secret',
    refreshToken: 'grower-refresh-token',
  },
  secretFields: { clientSecret: 'masked', refreshToken: 'hidden' },
  publicFields: ['clientId'],
  clientIdentityField: 'clientId',
  adapter: trimbleAdapter,
  link: trimbleLink,
  emulator: trimbleEmulator,
});
