/** Trimble in Magic Link: Leaf's Trimble app key (leaf-api.md 6.2) and Trimble Identity's authorize step. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { authorizationCodeGrant } from '../oauth2-token-requests.js';
import { appKeyString, pickFields, withCodeChallenge, type ProviderLink } from '../provider-link.js';
import { classifyTrimbleError, oauthSettings, trimbleAuthorizeUrl } from './client.js';
import { TRIMBLE_SANDBOX_APPLICATION } from './emulator.js';

export const trimbleLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      {
        applicationName: publicString('The name of your Trimble application (its scope).'),
        clientId: publicString('The client id of your Trimble application.'),
        clientSecret: secretString('The client secret of your Trimble application.'),
      },
      { additionalProperties: true },
    ),
    publicFields: ['applicationName', 'clientId'],
    fromSandboxCredential: (body) => ({ ...pickFields(body, ['clientId', 'clientSecret']), applicationName: TRIMBLE_SANDBOX_APPLICATION }),
  },
  connect: {
    kind: 'oauth',
    // Trimble Identity supports PKCE S256 for the authorization-code grant (providers.md 5.1 [3P]).
    pkce: true,
    authorizeUrl: (appKey, request, ctx) =>
      withCodeChallenge(trimbleAuthorizeUrl(ctx, { clientId: appKeyString(appKey, 'clientId'), applicationName: appKeyString(appKey, 'applicationName'), redirectUri: request.redirectUri, state: request.state }), request.codeChallenge),
    exchangeCode: (appKey, request, ctx) =>
      authorizationCodeGrant(ctx, oauthSettings(ctx, { clientId: appKeyString(appKey, 'clientId'), clientSecret: appKeyString(appKey, 'clientSecret'), refreshToken: '' }), request, classifyTrimbleError),
    credentialBody: (appKey, tokens) => ({ clientId: appKey['clientId'], clientSecret: appKey['clientSecret'], refreshToken: tokens.refreshToken }),
  },
};
