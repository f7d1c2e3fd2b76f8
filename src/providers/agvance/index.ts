/** @module Agvance (SSI): API key, database id and an API user's password exchanged for a session. */
import { Type } from '@sinclair/typebox';
import { clientEnvironment, publicString, secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { agvanceAdapter } from './client.js';
import { agvanceEmulator } from './emulator.js';
import { agvanceLink } from './link.js';

/**
 * POST body of `agvance-credentials` (leaf-api.md 3.3); `clientEnvironment` defaults to STAGE
 * (providers.md 0.4 and 11.1). [I] The other four are required: the login needs all of them.
 */
const AgvanceCredentialBody = Type.Object(
  {
    apiKey: secretString('Your Agvance Web API key (the development and production keys differ).'),
    clientEnvironment: Type.Optional(clientEnvironment({ default: 'STAGE' })),
    databaseId: publicString("The grower's Agvance API database id."),
    password: secretString("The Agvance API user's password."),
    username: publicString('The Agvance API user the company administrator created.'),
  },
  { additionalProperties: true },
);

/** Agvance (ag-retail ERP). */
export const agvance = defineProvider({
  id: 'agvance',
  apiName: 'AgVance',
  name: 'Agvance',
  // [I] Not documented: leaf-api.md 2.2 lists no Agvance property; named like the documented ones.
  userField: 'agvanceCredentials',
  auth: 'password_session',
  capabilities: {
    // Leaf stores a `sessionId`; renewing it means logging in again (providers.md 11.1). No
    // refresh token, so nothing rotates; no logout or revocation call is documented.
    supportsRefresh: true,
    // An ERP: growers, fields and products, no machine files (providers.md 11.6).
    hasMachineFiles: false,
  },
  hierarchy: ['grower', 'farm', 'field'],
  credentialSchema: AgvanceCredentialBody,
  credentialExample: {
    apiKey: 'agvance-api-key-4e5f6a7b8c9d',
    clientEnvironment: 'STAGE',
    databaseId: 'your-database-id',
    password: 'api-user-password',
    username: 'api-user',
  },
  secretFields: { apiKey: 'masked', password: 'hidden' },
  publicFields: ['clientEnvironment', 'databaseId', 'username'],
  clientIdentityField: 'username',
  adapter: agvanceAdapter,
  link: agvanceLink,
  emulator: agvanceEmulator,
});
