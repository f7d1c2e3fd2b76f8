import { describe, expect, it } from 'vitest';
import { tokenSetFrom } from './oauth2-token-requests.js';

describe('a token answer as a token set', () => {
  it('keeps the tokens, the expiry from expires_in, the scopes, and everything else but the tokens as raw', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    const tokens = tokenSetFrom({ access_token: 'at', refresh_token: 'rt', id_token: 'it', token_type: 'bearer', expires_in: 14_400, scope: 'fields:read  asPlanted:read', user: { email: 'g@example.com' } }, now);
    expect(tokens).toEqual({ accessToken: 'at', refreshToken: 'rt', expiresAt: '2026-03-01T16:00:00.000Z', scopes: ['fields:read', 'asPlanted:read'], raw: { token_type: 'bearer', user: { email: 'g@example.com' } } });
  });

  it('leaves out what the answer does not say', () => {
    expect(tokenSetFrom({ access_token: 'at', token_type: 'bearer' }, 0)).toEqual({ accessToken: 'at', raw: { token_type: 'bearer' } });
  });
});
