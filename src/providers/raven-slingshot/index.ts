/** @module Raven Slingshot: API key, access key and shared secret; every request HMAC-signed, no tokens. */
import { Type } from '@sinclair/typebox';
import { secretString } from '../credential-fields.js';
import { defineProvider } from '../define-provider.js';
import { ravenSlingshotAdapter } from './client.js';
import { ravenSlingshotEmulator } from './emulator.js';
import { ravenSlingshotLink } from './link.js';

/**
 * POST body of `raven-slingshot-credentials` (leaf-api.md 3.3). All three sign every request
 * (providers.md 8.1), so all are required [I]. All three are secrets: with them anyone can call
 * the API as the grower.
 */
const RavenSlingshotCredentialBody = Type.Object(
  {
    apiKey: secretString('Your Slingshot ISV API key (X-SS-APIKey).'),
    accessKey: secretString("The access key the grower issued in the Slingshot Portal (X-SS-AccessKey)."),
    sharedSecret: secretString('Your shared secret (Base64), the HMAC-SHA1 signing key.'),
  },
  { additionalProperties: true },
);

/** Raven Slingshot (machine files). */
export const ravenSlingshot = defineProvider({
  id: 'raven-slingshot',
  apiName: 'RavenSlingshot',
  name: 'Raven Slingshot',
  userField: 'ravenSlingshotCredentials',
  auth: 'hmac_signed_keys',
  capabilities: {
    // No token to renew, but a refresh re-signs and re-checks the access key (`GET /accesskey`
    // and one job data summary), so `/refresh` and the keep-alive refresh jobs notice a revoked
    // or expired key and report it as they do for OAuth providers (SPEC section 5).
    supportsRefresh: true,
    // No revocation call: the grower revokes the access key in the Slingshot Portal (providers.md 8.1).
    supportsRevoke: false,
    // No events in the Slingshot API; job data is polled with `date` (providers.md 8.7).
    supportsWebhooks: false,
    // One tenant per access key (providers.md 8.3).
    hasOrganizations: false,
    hasMachineFiles: true,
  },
  // Job data only, no field hierarchy in the Slingshot API (providers.md 8.4).
  hierarchy: [],
  // "All calls to the API are subject to a rate limit of 30 calls per every 60 seconds" (providers.md
  // 8.2), per ISV API key. A bucket admits at most burst + rate x 60 s in any minute: 2 + 28 = 30.
  rateBudget: { requestsPerMinute: 28, burst: 2, appField: 'apiKey' },
  credentialSchema: RavenSlingshotCredentialBody,
  credentialExample: {
    apiKey: '071X7Hc9zdfElbB2fUqQVjAQ3BsOPa4F9l3yqekl',
    accessKey: 'your-grower-access-key',
    sharedSecret: 'c2hhcmVkLXNlY3JldC1mb3Itc2lnbmluZw==',
  },
  secretFields: { apiKey: 'masked', accessKey: 'masked', sharedSecret: 'masked' },
  publicFields: [],
  // No public field names the client: Leaf's alerts carry `credential` only where one exists.
  clientIdentityField: undefined,
  adapter: ravenSlingshotAdapter,
  link: ravenSlingshotLink,
  emulator: ravenSlingshotEmulator,
});
