/**
 * Raven in Magic Link: Leaf documents no Raven app key, so Furrow's has the client of the
 * credential body (`clientId`, `clientSecret`); the OpenID Connect authorization-code step with PKCE.
 */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { authorizationCodeGrant } from '../oauth2-token-requests.js';
import { appKeyString, pickFields, type ProviderLink } from '../provider-link.js';
import { classifyRavenError, clientAuth, oauthSettings, ravenAuthorizeUrl } from './client.js';

const fieldsOf = (appKey: Record<string, unknown>) => ({ clientId: appKeyString(appKey, 'clientId'), clientSecret: appKeyString(appKey, 'clientSecret'), refreshToken: '' });

export const ravenLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      { clientId: publicString('The client id Raven issued for your app.'), clientSecret: secretString('The client secret Raven issued for your app.') },
      { additionalProperties: true },
    ),
    publicFields: ['clientId'],
    fromSandboxCredential: (body) => pickFields(body, ['clientId', 'clientSecret']),
  },
  connect: {
    kind: 'oauth',
    // IdentityServer supports PKCE S256 (providers.md 7.1).
    pkce: true,
    authorizeUrl: (appKey, request, ctx) =>
      ravenAuthorizeUrl(ctx, { clientId: appKeyString(appKey, 'clientId'), redirectUri: request.redirectUri, state: request.state, ...(request.codeChallenge === undefined ? {} : { codeChallenge: request.codeChallenge }) }),
    exchangeCode: (appKey, request, ctx) => {
      const fields = fieldsOf(appKey);
      return authorizationCodeGrant(ctx, oauthSettings(ctx, fields), request, classifyRavenError, { clientAuth: clientAuth(fields) });
    },
    credentialBody: (appKey, tokens) => ({ clientId: appKey['clientId'], clientSecret: appKey['clientSecret'], refreshToken: tokens.refreshToken }),
  },
};
