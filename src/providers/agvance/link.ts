/**
 * Agvance in Magic Link. Leaf documents no Agvance app key; the Web API key is the integrator's
 * (development and production keys differ), so Furrow keeps it as an app key per environment and
 * the grower types the database id and the API user's login.
 */
import { Type } from '@sinclair/typebox';
import { secretString } from '../credential-fields.js';
import { pickFields, type ProviderLink } from '../provider-link.js';

export const agvanceLink: ProviderLink = {
  appKey: {
    schema: Type.Object({ apiKey: secretString('Your Agvance Web API key for this environment.') }, { additionalProperties: true }),
    publicFields: [],
    fromSandboxCredential: (body) => pickFields(body, ['apiKey']),
  },
  connect: {
    kind: 'form',
    fields: [
      { name: 'databaseId', label: 'Database id', secret: false },
      { name: 'username', label: 'API user name', secret: false },
      { name: 'password', label: 'Password', secret: true },
    ],
    credentialBody: (appKey, form, environment) => ({ apiKey: appKey?.['apiKey'], clientEnvironment: environment, databaseId: form['databaseId'], username: form['username'], password: form['password'] }),
  },
};
