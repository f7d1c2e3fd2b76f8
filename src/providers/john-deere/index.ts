/** @module John Deere Operations Center: OAuth 2.0 (Okta) with organization connections. */
import { Type } from '@sinclair/typebox';
import { clientEnvironment, publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { johnDeereAdapter } from './client.js';
import { johnDeereEmulator } from './emulator.js';
import { johnDeereEvents } from './events.js';
import { johnDeereLink } from './link.js';
import { johnDeereSync } from './sync.js';

/** POST body of `john-deere-credentials` (leaf-api.md 3.3; new-docs marks all four fields required). */
const JohnDeereCredentialBody = Type.Object(
  {
    clientKey: publicString('The application id of your John Deere developer app.'),
    clientSecret: secretString('The secret of your John Deere developer app.'),
    refreshToken: secretString("The grower's refresh token (scope offline_access)."),
    clientEnvironment: clientEnvironment(),
  },
  { additionalProperties: true },
);

/** John Deere Operations Center. */
export const johnDeere = defineProvider({
  id: 'john-deere',
  apiName: 'JohnDeere',
  name: 'John Deere',
  userField: 'johnDeereCredentials',
  auth: 'oauth2_refresh_token',
  capabilities: {
    supportsRefresh: true,
    // Rotation is not documented (providers.md 1.1 [I]); services store any refresh token returned anyway.
    rotatesRefreshToken: false,
    // Okta's discovery document lists `revocation_endpoint .../v1/revoke` (providers.md 1.1).
    supportsRevoke: true,
    // Data Subscription Service `/eventSubscriptions`; Leaf requires Webhook Read/Write on the app.
    supportsWebhooks: true,
    // Orgs must be connected at connections.deere.com; Leaf's SELECTED/PREVIEW/BLOCKED (leaf-api.md 3.5).
    hasOrganizations: true,
    hasMachineFiles: true,
  },
  hierarchy: ['grower', 'farm', 'field'],
  credentialSchema: JohnDeereCredentialBody,
  credentialExample: {
    clientKey: 'johndeere-0oa9x8y7z6w5v4u3t2s1',
    clientSecret: 'jd-app-secret-3f0c6a52c1e04c3e9a55',
    refreshToken: 'jd-grower-refresh-token-8b1d2e3f',
    clientEnvironment: 'STAGE',
  },
  secretFields: { clientSecret: 'masked', refreshToken: 'hidden' },
  publicFields: ['clientKey', 'clientEnvironment'],
  clientIdentityField: 'clientKey',
  adapter: { ...johnDeereAdapter, sync: johnDeereSync, events: johnDeereEvents },
  link: johnDeereLink,
  emulator: johnDeereEmulator,
});
