/**
 * Stara in Magic Link. Leaf's Stara app key is `{ user, pwd }`, the login that `/autenticacao`
 * turns into the API key (leaf-api.md 3.3). [I] Furrow stores the API key itself (`apiKey`), so it
 * never holds the integrator's Stara password; the grower types the client token.
 */
import { Type } from '@sinclair/typebox';
import { secretString } from '../credential-fields.js';
import { pickFields, type ProviderLink } from '../provider-link.js';

/**
 * The credential body requires an access and a refresh token, but validation exchanges the API key
 * and the client token for a new pair at once (`exchangeStaraTokens`), which supersedes these.
 */
const NOT_YET_ISSUED = 'not-yet-issued';

export const staraLink: ProviderLink = {
  appKey: {
    schema: Type.Object({ apiKey: secretString('The API key Stara issued for your login (from /autenticacao).') }, { additionalProperties: true }),
    publicFields: [],
    fromSandboxCredential: (body) => pickFields(body, ['apiKey']),
  },
  connect: {
    kind: 'form',
    fields: [{ name: 'accessTokenClient', label: 'Client access token (from Stara Telemetria)', secret: true }],
    credentialBody: (appKey, form) => ({ apiKey: appKey?.['apiKey'], accessTokenClient: form['accessTokenClient'], accessToken: NOT_YET_ISSUED, refreshToken: NOT_YET_ISSUED }),
  },
};
