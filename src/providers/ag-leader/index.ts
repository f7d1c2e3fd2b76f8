/** @module AgLeader AgFiniti: OAuth 2.0 with a public/private consumer key pair. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { agLeaderAdapter } from './client.js';
import { agLeaderEmulator } from './emulator.js';
import { agLeaderLink } from './link.js';

/**
 * POST body of `ag-leader-credentials` (leaf-api.md 3.3): new-docs requires `refreshToken`,
 * `publicKey` and `privateKey`; legacy-docs also sends `accessToken`, so it stays optional.
 */
const AgLeaderCredentialBody = Type.Object(
  {
    accessToken: Type.Optional(secretString("The grower's current access token, if you have one.")),
    refreshToken: secretString("The grower's refresh token."),
    publicKey: publicString('The public key of your AgFiniti consumer key (the OAuth client id).'),
    privateKey: secretString('The private key of your AgFiniti consumer key (the OAuth client secret).'),
  },
  { additionalProperties: true },
);

/** AgLeader AgFiniti. */
export const agLeader = defineProvider({
  id: 'ag-leader',
  apiName: 'AgLeader',
  name: 'Ag Leader',
  userField: 'agLeaderCredentials',
  auth: 'oauth2_refresh_token',
  capabilities: {
    // [I] The refresh grant is not documented; assumed standard `grant_type=refresh_token` (providers.md 6.1).
    supportsRefresh: true,
    // [I] Rotation is not documented either; a refresh token in an answer is stored all the same.
    rotatesRefreshToken: false,
    // No revocation endpoint and no webhooks are published (providers.md 6.7, 6.9).
    hasMachineFiles: true,
  },
  // Leaf only syncs machine files from AgLeader (providers.md 6.2-6.5).
  hierarchy: [],
  credentialSchema: AgLeaderCredentialBody,
  credentialExample: {
    accessToken: 'agfiniti-access-token-7c8d9e0f',
    refreshToken: 'agfiniti-refresh-token-1a2b3c4d',
    publicKey: 'your-public-key',
    privateKey: 'your-private-key-5e6f7a8b',
  },
  secretFields: { accessToken: 'hidden', refreshToken: 'hidden', privateKey: 'masked' },
  publicFields: ['publicKey'],
  clientIdentityField: 'publicKey',
  adapter: agLeaderAdapter,
  link: agLeaderLink,
  emulator: agLeaderEmulator,
});
