/** Sentera in Magic Link: no app key (the grower's own login is the credential), a form for it. */
import type { ProviderLink } from '../provider-link.js';

export const senteraLink: ProviderLink = {
  connect: {
    kind: 'form',
    fields: [
      { name: 'username', label: 'Email', secret: false },
      { name: 'password', label: 'Password', secret: true },
      { name: 'organizationName', label: 'Organization name', secret: false },
    ],
    credentialBody: (_appKey, form) => ({ username: form['username'], password: form['password'], organizationName: form['organizationName'] }),
  },
};
