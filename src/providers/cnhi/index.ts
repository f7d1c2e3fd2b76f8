/** @module CNH Industrial (AFS Connect): OAuth 2.0 on Auth0 plus an API subscription key. */
import { Type } from '@sinclair/typebox';
import { clientEnvironment, publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { cnhiAdapter } from './client.js';
import { cnhiEmulator } from './emulator.js';
import { cnhiLink } from './link.js';

/**
 * POST body of `cnhi-credentials` (leaf-api.md 3.3; new-docs marks `clientEnvironment` required).
 * Staging accounts only work in STAGE and production accounts only in PRODUCTION (providers.md 4.1).
 */
const CnhiCredentialBody = Type.Object(
  {
    clientId: publicString('The client id of your CNH developer app.'),
    clientSecret: secretString('The client secret of your CNH developer app.'),
    subscriptionKey: secretString('The environment- and API-specific subscription key (Ocp-Apim-Subscription-Key).'),
    refreshToken: secretString("The grower's refresh token (scope offline_access)."),
    clientEnvironment: clientEnvironment(),
  },
  { additionalProperties: true },
);

/** CNH Industrial AFS Connect (`cnhi`, Leaf's legacy CNHi provider). */
export const cnhi = defineProvider({
  id: 'cnhi',
  apiName: 'CNHI',
  name: 'CNH Industrial',
  userField: 'cnhiCredentials',
  auth: 'oauth2_refresh_token',
  capabilities: {
    supportsRefresh: true,
    // [I] Auth0 can rotate; CNH documents nothing (providers.md 4.9).
    rotatesRefreshToken: false,
    // Discovery lists `revocation_endpoint https://identity.cnhind.com/oauth/revoke` (providers.md 4.1).
    supportsRevoke: true,
    // [I] Webhooks are subscribed in CNH's developer portal UI, not by API, and Leaf documents them
    // for FieldOps only (leaf-api.md 3.3), so this provider polls.
    supportsWebhooks: false,
    // [I] Companies are CNH's organizations (providers.md 4.3) but have no connection state of
    // their own, and Leaf serves organizations for JohnDeere and Trimble only (leaf-api.md 3.5):
    // `client.ts` lists them for the sync, not as Leaf organizations.
    hasOrganizations: false,
    hasMachineFiles: true,
  },
  hierarchy: ['grower', 'farm', 'field'],
  credentialSchema: CnhiCredentialBody,
  credentialExample: {
    clientId: 'your-client-id',
    clientSecret: 'your-client-secret',
    subscriptionKey: 'your-subscription-key',
    refreshToken: 'grower-refresh-token',
    clientEnvironment: 'STAGE',
  },
  secretFields: { clientSecret: 'masked', subscriptionKey: 'masked', refreshToken: 'hidden' },
  publicFields: ['clientId', 'clientEnvironment'],
  clientIdentityField: 'clientId',
  adapter: cnhiAdapter,
  link: cnhiLink,
  emulator: cnhiEmulator,
});
