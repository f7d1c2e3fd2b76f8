/** Raven Slingshot in Magic Link: Leaf's RavenSlingshot app key (leaf-api.md 6.2: "grower still types the Access Key"). */
import { Type } from '@sinclair/typebox';
import { secretString } from '../credential-fields.js';
import { pickFields, type ProviderLink } from '../provider-link.js';

export const ravenSlingshotLink: ProviderLink = {
  appKey: {
    schema: Type.Object(
      { apiKey: secretString('Your Slingshot ISV API key.'), sharedSecret: secretString('Your shared secret (Base64).') },
      { additionalProperties: true },
    ),
    publicFields: [],
    fromSandboxCredential: (body) => pickFields(body, ['apiKey', 'sharedSecret']),
  },
  connect: {
    kind: 'form',
    fields: [{ name: 'accessKey', label: 'Access key (from the Slingshot Portal)', secret: true }],
    credentialBody: (appKey, form) => ({ apiKey: appKey?.['apiKey'], sharedSecret: appKey?.['sharedSecret'], accessKey: form['accessKey'] }),
  },
};
