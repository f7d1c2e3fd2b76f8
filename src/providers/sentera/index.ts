/** @module Sentera FieldAgent: username and password exchanged for a session token, then GraphQL. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { senteraAdapter } from './client.js';
import { senteraEmulator } from './emulator.js';
import { senteraLink } from './link.js';

/**
 * POST body of `sentera-credentials` (leaf-api.md 3.3); Leaf answers with `authToken` and
 * `organizationId` and never the password. [I] All three required.
 */
const SenteraCredentialBody = Type.Object(
  {
    username: publicString('The Sentera account email.'),
    password: secretString('The Sentera account password.'),
    organizationName: publicString('The Sentera organization whose data to sync.'),
  },
  { additionalProperties: true },
);

/** Sentera (imagery and analytics layers). */
export const sentera = defineProvider({
  id: 'sentera',
  apiName: 'Sentera',
  name: 'Sentera',
  // [I] Not documented: leaf-api.md 2.2 lists no Sentera property; named like the documented ones.
  userField: 'senteraCredentials',
  auth: 'password_session',
  capabilities: {
    // The legacy session `auth_token` "will expire after 3 months" (providers.md 10.1); renewing it
    // means logging in again with the stored password.
    supportsRefresh: true,
    // A new login returns a new session token; there is no refresh token to rotate.
    rotatesRefreshToken: false,
    // The legacy sessions have no documented logout; `/oauth/revoke` is for OAuth tokens only (providers.md 10.1).
    supportsRevoke: false,
    // Webhook mutations are only a third-party claim (providers.md 10.7).
    supportsWebhooks: false,
    // Imagery rather than machine files (providers.md 10.6).
    hasMachineFiles: false,
    // The credential names one organization; Sentera has no per-organization connection state to show.
    hasOrganizations: false,
  },
  // [I] Fields belong to an organization; no grower or farm level is documented (providers.md 10.3-10.4).
  hierarchy: ['field'],
  credentialSchema: SenteraCredentialBody,
  credentialExample: {
    username: 'cecil@example.com',
    password: 'password1234',
    organizationName: 'Leaf Farms',
  },
  secretFields: { password: 'hidden' },
  publicFields: ['username', 'organizationName'],
  clientIdentityField: 'username',
  adapter: senteraAdapter,
  link: senteraLink,
  emulator: senteraEmulator,
});
