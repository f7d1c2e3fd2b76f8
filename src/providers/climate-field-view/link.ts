/** Climate FieldView in Magic Link: Leaf's ClimateFieldView app key (leaf-api.md 6.2) and Climate's login page. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { authorizationCodeGrant } from '../oauth2-token-requests.js';
import { appKeyScopes, appKeyString, pickFields, type ProviderLink } from '../provider-link.js';
import { classifyClimateError, climateAuthorizeUrl, oauthSettings } from './client.js';

/** The scopes Leaf requires of a Climate app (leaf-api.md 3.3, new-docs tutorial). */
const DEFAULT_SCOPES = ['asHarvested:read', 'asPlanted:read', 'asApplied:read', 'fields:read', 'resourceOwners:read', 'farmOrganizations:read'];

export const climateFieldViewLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      {
        apiKey: secretString('Your Climate API key (X-Api-Key).'),
        clientId: publicString('The client id of your Climate app.'),
        clientSecret: secretString('The client secret of your Climate app.'),
        scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, description: "Climate's own scope names; Leaf's required ones when absent." })),
      },
      { additionalProperties: true },
    ),
    publicFields: ['clientId', 'scopes'],
    fromSandboxCredential: (body) => pickFields(body, ['apiKey', 'clientId', 'clientSecret']),
  },
  connect: {
    kind: 'oauth',
    // [I] Climate documents no PKCE (providers.md 3.1), so none is sent.
    pkce: false,
    authorizeUrl: (appKey, request, ctx) => climateAuthorizeUrl(ctx, { clientId: appKeyString(appKey, 'clientId'), redirectUri: request.redirectUri, scopes: appKeyScopes(appKey, DEFAULT_SCOPES), state: request.state }),
    exchangeCode: (appKey, request, ctx) =>
      authorizationCodeGrant(ctx, oauthSettings(ctx, { clientId: appKeyString(appKey, 'clientId'), clientSecret: appKeyString(appKey, 'clientSecret'), apiKey: appKeyString(appKey, 'apiKey'), refreshToken: '' }), request, classifyClimateError),
    credentialBody: (appKey, tokens) => ({ clientId: appKey['clientId'], clientSecret: appKey['clientSecret'], apiKey: appKey['apiKey'], refreshToken: tokens.refreshToken }),
  },
};
