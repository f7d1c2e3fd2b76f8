/** John Deere in Magic Link: Leaf's JohnDeere app key (leaf-api.md 6.2) and Okta's authorization-code step. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { authorizationCodeGrant } from '../oauth2-token-requests.js';
import { appKeyScopes, appKeyString, pickFields, type ProviderLink } from '../provider-link.js';
import { classifyJohnDeereError, johnDeereAuthorizeUrl, oauthSettings } from './client.js';

/**
 * [I] Leaf names no default scopes for its widget; these are Deere's data scopes for reading fields,
 * equipment, organizations and files (providers.md 1.1), with `offline_access` for a refresh token.
 */
const DEFAULT_SCOPES = ['openid', 'profile', 'offline_access', 'ag1', 'ag2', 'ag3', 'eq1', 'org1', 'org2', 'files', 'work1'];

const settings = (ctx: Parameters<typeof oauthSettings>[0], appKey: Record<string, unknown>) =>
  oauthSettings(ctx, { clientKey: appKeyString(appKey, 'clientKey'), clientSecret: appKeyString(appKey, 'clientSecret'), refreshToken: '', clientEnvironment: ctx.environment });

export const johnDeereLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      {
        clientKey: publicString('The application id of your John Deere developer app.'),
        clientSecret: secretString('The secret of your John Deere developer app.'),
        scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, description: "Deere's own scope names; Furrow's defaults when absent." })),
      },
      { additionalProperties: true },
    ),
    publicFields: ['clientKey', 'scopes'],
    fromSandboxCredential: (body) => pickFields(body, ['clientKey', 'clientSecret']),
  },
  connect: {
    kind: 'oauth',
    pkce: true,
    authorizeUrl: (appKey, request, ctx) => johnDeereAuthorizeUrl(ctx, { clientKey: appKeyString(appKey, 'clientKey'), redirectUri: request.redirectUri, scopes: appKeyScopes(appKey, DEFAULT_SCOPES), state: request.state, codeChallenge: request.codeChallenge }),
    exchangeCode: (appKey, request, ctx) => authorizationCodeGrant(ctx, settings(ctx, appKey), request, classifyJohnDeereError),
    credentialBody: (appKey, tokens, environment) => ({ clientKey: appKey['clientKey'], clientSecret: appKey['clientSecret'], refreshToken: tokens.refreshToken, clientEnvironment: environment }),
  },
};
