/** @module Raven (AgSync): OpenID Connect with a sliding refresh token, growers, farms and fields. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { ravenAdapter } from './client.js';
import { ravenEmulator } from './emulator.js';
import { ravenLink } from './link.js';

/** POST body of `raven-credentials` (leaf-api.md 3.3). [I] All three required: each is needed to refresh. */
const RavenCredentialBody = Type.Object(
  {
    clientId: publicString('The client id Raven issued for your app.'),
    clientSecret: secretString('The client secret Raven issued for your app.'),
    refreshToken: secretString("The grower's refresh token (15-day sliding, 1-year absolute expiry)."),
  },
  { additionalProperties: true },
);

/** Raven's OAuth provider, which providers.md 7 takes to be the AgSync API [I]. */
export const raven = defineProvider({
  id: 'raven',
  apiName: 'Raven',
  name: 'Raven',
  userField: 'ravenCredentials',
  auth: 'oauth2_refresh_token',
  capabilities: {
    supportsRefresh: true,
    // [I] "15 day sliding refresh token time" says nothing about rotation (providers.md 7.1).
    rotatesRefreshToken: false,
    // [I] Not documented by AgSync, but its token endpoint is IdentityServer3's, whose discovery
    // document lists an RFC 7009 revocation endpoint; DELETE revokes there, best effort.
    supportsRevoke: true,
    // [I] AgSync sends `field_changed` webhooks, but how to subscribe and verify them was not
    // captured (providers.md 7.7), so sync polls until it is.
    supportsWebhooks: false,
    // Machine data comes through Raven Slingshot, not this API (providers.md 7.6).
    hasMachineFiles: false,
  },
  hierarchy: ['grower', 'farm', 'field'],
  credentialSchema: RavenCredentialBody,
  credentialExample: {
    clientId: 'your-raven-client-id',
    clientSecret: 'your-raven-client-secret',
    refreshToken: 'grower-refresh-token',
  },
  secretFields: { clientSecret: 'masked', refreshToken: 'hidden' },
  publicFields: ['clientId'],
  clientIdentityField: 'clientId',
  adapter: ravenAdapter,
  link: ravenLink,
  emulator: ravenEmulator,
});
