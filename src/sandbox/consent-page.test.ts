import { describe, expect, it } from 'vitest';
import { checkAuthorizeRequest, escapeHtml, renderConsentPage, withParameters, type AuthorizeParameters } from './consent-page.js';

const ACCOUNT = { id: 'account-1' };
const options = { findAccount: (id: string) => (id === 'client-1' ? ACCOUNT : undefined), knownScopes: ['ag1', 'ag2', 'offline_access'], defaultScopes: ['ag1', 'offline_access'] };
const valid: AuthorizeParameters = { client_id: 'client-1', redirect_uri: 'https://app.example.com/cb', response_type: 'code', state: 's1' };

describe('checking an authorize request', () => {
  it('accepts a plain request and grants the default scopes', () => {
    expect(checkAuthorizeRequest(valid, options)).toEqual({ ok: true, account: ACCOUNT, redirectUri: 'https://app.example.com/cb', scopes: ['ag1', 'offline_access'], state: 's1', codeChallenge: undefined });
  });

  it.each([
    ['an unknown client', { client_id: 'nobody' }, /No sandbox account has client_id "nobody"/],
    ['a missing redirect_uri', { redirect_uri: undefined }, /absolute http or https URL/],
    ['a relative redirect_uri', { redirect_uri: '/cb' }, /absolute http or https URL/],
    ['a redirect_uri with a fragment', { redirect_uri: 'https://app.example.com/cb#x' }, /without a fragment/],
    ['a javascript: redirect_uri', { redirect_uri: 'javascript:alert(1)' }, /absolute http or https URL/],
  ])('shows an error page, never redirects, for %s (RFC 6749 section 4.1.2.1)', (_name, change, message) => {
    const result = checkAuthorizeRequest({ ...valid, ...change }, options);
    expect(result).toMatchObject({ ok: false, show: expect.stringMatching(message) });
  });

  it.each([
    ['response_type other than code', { response_type: 'token' }, 'unsupported_response_type'],
    ['the plain PKCE method', { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
    ['a challenge without its method', { code_challenge: 'x'.repeat(43) }, 'invalid_request'],
    ['a short challenge', { code_challenge: 'abc', code_challenge_method: 'S256' }, 'invalid_request'],
    ['an unknown scope', { scope: 'ag1 eq9' }, 'invalid_scope'],
  ])('redirects back with an error for %s', (_name, change, error) => {
    const result = checkAuthorizeRequest({ ...valid, ...change }, options);
    expect(result.ok).toBe(false);
    const redirect = new URL((result as { redirect: string }).redirect);
    expect(redirect.origin + redirect.pathname).toBe('https://app.example.com/cb');
    expect(redirect.searchParams.get('error')).toBe(error);
    expect(redirect.searchParams.get('state')).toBe('s1');
  });

  it('requires the parameters a provider names', () => {
    expect(checkAuthorizeRequest(valid, { ...options, requireParameters: ['page'] })).toMatchObject({ ok: false, redirect: expect.stringContaining('error=invalid_request') });
  });

  it('keeps the requested scopes and the S256 challenge', () => {
    const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
    expect(checkAuthorizeRequest({ ...valid, scope: 'ag2', code_challenge: challenge, code_challenge_method: 'S256' }, options)).toMatchObject({ ok: true, scopes: ['ag2'], codeChallenge: challenge });
  });
});

describe('the consent page', () => {
  it('escapes everything it echoes and posts every parameter back', () => {
    const html = renderConsentPage({ providerName: 'John Deere', clientId: 'c<1>', growerName: 'Ada "A" Anderson', growerEmail: 'ada@example.com', scopes: ['ag1'], params: { ...valid, state: '"><script>alert(1)</script>' } });
    expect(html).not.toContain('<script>');
    expect(html).toContain('name="state" value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(html).toContain('name="redirect_uri" value="https://app.example.com/cb"');
    expect(html).toContain('value="approve"');
    expect(html).toContain('c&lt;1&gt;');
  });

  it('adds parameters to a redirect URI that already has a query, leaving absent ones out', () => {
    expect(withParameters('https://app.example.com/cb?x=1', { code: 'abc', state: undefined })).toBe('https://app.example.com/cb?x=1&code=abc');
    expect(escapeHtml(`<a href='x'>&</a>`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  });
});
