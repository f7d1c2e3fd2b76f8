/** @module Precision Planting Panorama: AWS Cognito tokens plus a per-grower sharing handshake. */
import { Type } from '@sinclair/typebox';
import { clientEnvironment, publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { panoramaAdapter, panoramaOneClickCredentialBody, panoramaShareUrl, type PanoramaOneClickStart } from './client.js';
import { panoramaEmulator } from './emulator.js';

/**
 * Manual POST body of `panorama-credentials` (leaf-api.md 3.3, legacy-docs
 * `credentials_panorama.md`). The one-click flow (`/one-click-integration/Panorama`) has its own
 * body, below. [I] `clientEnvironment` defaults to STAGE, as "Leaf often defaults to this
 * environment" (leaf-api.md 3.1); the docs give no default for Panorama.
 */
const PanoramaCredentialBody = Type.Object(
  {
    clientId: publicString('The Cognito app client id Precision Planting issued.'),
    username: publicString('Your partner username (email); the same for every grower.'),
    password: secretString('Your partner password.'),
    organizationCode: publicString("The grower's organization code, pre-authorized to share with your app."),
    refreshToken: secretString('The Cognito refresh token.'),
    clientEnvironment: Type.Optional(clientEnvironment({ default: 'STAGE' })),
  },
  { additionalProperties: true },
);

/**
 * The one-click start body (leaf-api.md 3.3, new-docs `/providers/panorama`): "organizationCode is
 * not required for the one-click flow"; the grower picks the operation on Panorama's share page.
 */
const PanoramaOneClickBody = Type.Object(
  {
    clientId: publicString('The Cognito app client id Precision Planting issued.'),
    username: publicString('Your partner username (email).'),
    password: secretString('Your partner password.'),
    clientEnvironment: Type.Optional(clientEnvironment({ default: 'STAGE' })),
    sharingUrlId: publicString('The UUID in your Share Initiation URL (Panorama Partner Portal, Account Details).'),
  },
  { additionalProperties: true },
);

/** Precision Planting Panorama. */
export const panorama = defineProvider({
  id: 'panorama',
  apiName: 'Panorama',
  name: 'Precision Planting Panorama',
  // [I] Not documented: leaf-api.md 2.2 lists no Panorama property; named like the documented ones.
  userField: 'panoramaCredentials',
  auth: 'cognito_user_pool',
  capabilities: {
    // Cognito InitiateAuth with REFRESH_TOKEN_AUTH (providers.md 12.1).
    supportsRefresh: true,
    // [I] Cognito normally keeps the refresh token unless the pool enables rotation.
    rotatesRefreshToken: false,
    // [I] No Cognito RevokeToken on DELETE: the refresh token is the partner's login (providers.md
    // 12.1), and a developer may have posted the same one for several growers; revoking it for one
    // would cut the others off.
    supportsRevoke: false,
    hasMachineFiles: true,
  },
  hierarchy: ['grower', 'farm', 'field'],
  credentialSchema: PanoramaCredentialBody,
  credentialExample: {
    clientId: 'your-client-id',
    username: 'partner-username',
    password: 'partner-password',
    organizationCode: 'grower-organization-code',
    refreshToken: 'cognito-refresh-token',
    clientEnvironment: 'PRODUCTION',
  },
  secretFields: { password: 'hidden', refreshToken: 'hidden' },
  publicFields: ['clientId', 'username', 'organizationCode', 'clientEnvironment'],
  clientIdentityField: 'clientId',
  adapter: panoramaAdapter,
  emulator: panoramaEmulator,
  oneClick: {
    startSchema: PanoramaOneClickBody,
    startUrl: (start, { state, callbackUrl, baseUrl }) => panoramaShareUrl(baseUrl, { sharingUrlId: (start as unknown as PanoramaOneClickStart).sharingUrlId, state, callbackUrl }),
    credentialBody: (start, callback) => panoramaOneClickCredentialBody(start as unknown as PanoramaOneClickStart, callback),
  },
});
