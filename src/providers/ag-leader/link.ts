/** AgLeader in Magic Link: Leaf's AgLeader app key (leaf-api.md 6.2) and AgFiniti's authorize page. */
import { Type } from '@sinclair/typebox';
import { publicString, secretString } from '../credential-fields.js';
import { authorizationCodeGrant } from '../oauth2-token-requests.js';
import { appKeyString, pickFields, type ProviderLink } from '../provider-link.js';
import { agLeaderAuthorizeUrl, classifyAgLeaderError, consumerKeyAuth, oauthSettings } from './client.js';

export const agLeaderLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      {
        privateKey: secretString('The private key of your AgFiniti consumer key.'),
        publicKey: publicString('The public key of your AgFiniti consumer key.'),
      },
      { additionalProperties: true },
    ),
    publicFields: ['publicKey'],
    fromSandboxCredential: (body) => pickFields(body, ['publicKey', 'privateKey']),
  },
  connect: {
    kind: 'oauth',
    // [I] AgFiniti documents no PKCE (providers.md 6.1).
    pkce: false,
    authorizeUrl: (appKey, request, ctx) => agLeaderAuthorizeUrl(ctx, { publicKey: appKeyString(appKey, 'publicKey'), redirectUri: request.redirectUri, state: request.state }),
    exchangeCode: (appKey, request, ctx) => {
      const publicKey = appKeyString(appKey, 'publicKey');
      const privateKey = appKeyString(appKey, 'privateKey');
      return authorizationCodeGrant(ctx, oauthSettings(ctx, { publicKey, privateKey, refreshToken: '' }), request, classifyAgLeaderError, { clientAuth: consumerKeyAuth(publicKey, privateKey) });
    },
    credentialBody: (appKey, tokens) => ({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, publicKey: appKey['publicKey'], privateKey: appKey['privateKey'] }),
  },
};
