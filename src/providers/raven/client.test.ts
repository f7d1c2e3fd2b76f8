import { describe, expect, it } from 'vitest';
import { createAdapterContext, resolveBaseUrl } from '../adapter-context.js';
import type { HttpResult } from '../provider.js';
import { RAVEN_HOSTS, classifyRavenError, ravenAuthorizeUrl } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });

describe("classifying AgSync's answers (providers.md 0.3; bodies are IdentityServer's and ASP.NET's [I])", () => {
  it.each([
    ['token 400 invalid_grant (15 days unused, a year over, or revoked)', result('token', 400, '{"error":"invalid_grant"}'), 'auth_revoked'],
    ['token 400 invalid_client', result('token', 400, '{"error":"invalid_client"}'), 'auth_revoked'],
    ['token 400 unauthorized_client', result('token', 400, '{"error":"unauthorized_client"}'), 'auth_revoked'],
    ['token 400 invalid_scope', result('token', 400, '{"error":"invalid_scope"}'), 'forbidden_scope'],
    ['token 400 unsupported_grant_type', result('token', 400, '{"error":"unsupported_grant_type"}'), 'permanent'],
    ['token 503', result('token', 503), 'retry_later'],
    ['API 401', result('api', 401, '{"Message":"Authorization has been denied for this request."}'), 'auth_expired'],
    ['API 403', result('api', 403, '{"Message":"The access token lacks the fields scope."}'), 'forbidden_scope'],
    ['API 404', result('api', 404, '{"Message":"No grower 1."}'), 'not_found'],
    ['API 429', result('api', 429), 'rate_limited'],
    ['API 500', result('api', 500), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyRavenError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    expect(classifyRavenError(result('api', 200, '[]'))).toBeUndefined();
  });

  it("adds IdentityServer's error_description or ASP.NET's Message to the reason", () => {
    expect(classifyRavenError(result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token was revoked."}'))?.reason).toBe(
      'token endpoint answered 400 invalid_grant: The refresh token was revoked.',
    );
    expect(classifyRavenError(result('api', 403, '{"Message":"The access token lacks the fields scope."}'))?.reason).toBe('API answered 403: The access token lacks the fields scope.');
  });

  it('keeps Retry-After on 429 and 5xx', () => {
    expect(classifyRavenError(result('api', 429, '', { 'retry-after': '30' }))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 30_000 });
    expect(classifyRavenError(result('api', 502, '', { 'retry-after': '4' }))).toMatchObject({ errorClass: 'retry_later', retryAfterMs: 4_000 });
  });
});

describe("AgSync's hosts", () => {
  it('are auth.agsync.com/core and fields.agsync.com/api in production, both under /sandbox/raven in the sandbox', () => {
    expect(resolveBaseUrl(RAVEN_HOSTS.identity, { providerId: 'raven', environment: 'PRODUCTION' })).toBe('https://auth.agsync.com/core');
    expect(resolveBaseUrl(RAVEN_HOSTS.fields, { providerId: 'raven', environment: 'PRODUCTION' })).toBe('https://fields.agsync.com/api');
    const sandbox = { providerId: 'raven', environment: 'PRODUCTION' as const, sandboxBaseUrl: 'http://127.0.0.1:1/sandbox' };
    expect(resolveBaseUrl(RAVEN_HOSTS.identity, sandbox)).toBe('http://127.0.0.1:1/sandbox/raven/core');
    expect(resolveBaseUrl(RAVEN_HOSTS.fields, sandbox)).toBe('http://127.0.0.1:1/sandbox/raven/api');
  });

  it('send the grower to IdentityServer3 connect/authorize with the code flow and offline_access', () => {
    const ctx = createAdapterContext({ providerId: 'raven', environment: 'PRODUCTION', fetch: globalThis.fetch, onExchange: () => undefined });
    const url = new URL(ravenAuthorizeUrl(ctx, { clientId: 'my-app', redirectUri: 'https://app.example.com/cb', state: 's1' }));
    expect(url.origin + url.pathname).toBe('https://auth.agsync.com/core/connect/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: 'my-app', redirect_uri: 'https://app.example.com/cb', response_type: 'code', scope: 'openid profile offline_access fields orders', state: 's1' });
  });
});
