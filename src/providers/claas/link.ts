/**
 * CLAAS in Magic Link: Leaf documents no CLAAS app key, so Furrow's has the client of the
 * credential body (`clientKey`, `clientSecret`) per environment; the authorization-code step [I].
 */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { authorizationCodeGrant } from '../oauth2-token-requests.js';
import { appKeyString, pickFields, type ProviderLink } from '../provider-link.js';
import { claasAuthorizeUrl, classifyClaasError, oauthSettings } from './client.js';

/**
 * [I] CLAAS publishes no scopes (providers.md 2.1): `offline_access` for a refresh token and the
 * read scopes of the partner API's machines and files, as the emulator names them.
 */
const SCOPES = ['offline_access', 'oft:machines:read', 'oft:files:read'];

export const claasLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      { clientKey: publicString('The client key of your CLAAS partner app.'), clientSecret: secretString('The client secret of your CLAAS partner app.') },
      { additionalProperties: true },
    ),
    publicFields: ['clientKey'],
    fromSandboxCredential: (body) => pickFields(body, ['clientKey', 'clientSecret']),
  },
  connect: {
    kind: 'oauth',
    pkce: false,
    authorizeUrl: (appKey, request, ctx) => claasAuthorizeUrl(ctx, { clientKey: appKeyString(appKey, 'clientKey'), redirectUri: request.redirectUri, scopes: SCOPES, state: request.state }),
    exchangeCode: (appKey, request, ctx) =>
      authorizationCodeGrant(ctx, oauthSettings(ctx, { clientKey: appKeyString(appKey, 'clientKey'), clientSecret: appKeyString(appKey, 'clientSecret'), refreshToken: '', clientEnvironment: ctx.environment }), request, classifyClaasError),
    credentialBody: (appKey, tokens, environment) => ({ clientKey: appKey['clientKey'], clientSecret: appKey['clientSecret'], refreshToken: tokens.refreshToken, clientEnvironment: environment }),
  },
};
