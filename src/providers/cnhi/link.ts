/** CNH Industrial in Magic Link: Leaf's CNHI app key (leaf-api.md 6.2) and CNH's Auth0 authorize step. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { authorizationCodeGrant } from '../oauth2-token-requests.js';
import { appKeyString, pickFields, withCodeChallenge, type ProviderLink } from '../provider-link.js';
import { classifyCnhiError, clientAuth, cnhiAuthorizeUrl, oauthSettings } from './client.js';

/**
 * [I] CNH's authorize URL asks for `offline_access` only and Auth0 grants the API's permissions
 * through the `audience`; the permission is asked for as a scope too, which Auth0 accepts for an
 * API's own permissions, so a grower's consent covers reading data explicitly.
 */
const SCOPES = 'offline_access read:ag-data';

const fieldsOf = (appKey: Record<string, unknown>, environment: 'STAGE' | 'PRODUCTION') => ({
  clientId: appKeyString(appKey, 'clientId'),
  clientSecret: appKeyString(appKey, 'clientSecret'),
  subscriptionKey: appKeyString(appKey, 'subscriptionKey'),
  refreshToken: '',
  clientEnvironment: environment,
});

export const cnhiLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      {
        clientId: publicString('The client id of your CNH developer app.'),
        clientSecret: secretString('The client secret of your CNH developer app.'),
        subscriptionKey: secretString('Your CNH API subscription key.'),
      },
      { additionalProperties: true },
    ),
    publicFields: ['clientId'],
    fromSandboxCredential: (body) => pickFields(body, ['clientId', 'clientSecret', 'subscriptionKey']),
  },
  connect: {
    kind: 'oauth',
    // Auth0 supports PKCE S256 for regular web applications too.
    pkce: true,
    authorizeUrl: (appKey, request, ctx) => {
      const url = new URL(cnhiAuthorizeUrl(ctx, { clientId: appKeyString(appKey, 'clientId'), redirectUri: request.redirectUri, state: request.state }));
      url.searchParams.set('scope', SCOPES);
      return withCodeChallenge(url.toString(), request.codeChallenge);
    },
    exchangeCode: (appKey, request, ctx) => {
      const fields = fieldsOf(appKey, ctx.environment);
      return authorizationCodeGrant(ctx, oauthSettings(ctx, fields), request, classifyCnhiError, { clientAuth: clientAuth(fields) });
    },
    credentialBody: (appKey, tokens, environment) => ({ clientId: appKey['clientId'], clientSecret: appKey['clientSecret'], subscriptionKey: appKey['subscriptionKey'], refreshToken: tokens.refreshToken, clientEnvironment: environment }),
  },
};
