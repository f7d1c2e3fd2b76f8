import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../adapter-context.js';
import { ProviderError } from '../provider-error.js';
import type { HttpResult } from '../provider.js';
import { STARA_DEFAULT_ACCESS_TOKEN_SECONDS, STARA_HOSTS, classifyStaraError, staraTokenSetOf } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });
const NOW = Date.parse('2025-03-01T12:00:00Z');

describe("classifying Stara's answers (providers.md 0.3; Stara's bodies are [I])", () => {
  it.each([
    ['/token 401 (API key or client token refused)', result('token', 401, '{"message":"Token do cliente recusado"}'), 'auth_revoked'],
    ['/token 403', result('token', 403, '{"message":"API key desativada"}'), 'auth_revoked'],
    ['/token 400 (malformed request)', result('token', 400, '{"message":"Informe apiKey"}'), 'permanent'],
    ['/token 503', result('token', 503), 'retry_later'],
    ['data 401', result('api', 401, '{"message":"Token de acesso inválido ou expirado"}'), 'auth_expired'],
    ['data 403', result('api', 403), 'forbidden_scope'],
    ['data 404', result('api', 404), 'not_found'],
    ['data 429', result('api', 429), 'rate_limited'],
    ['data 500', result('api', 500), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyStaraError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    expect(classifyStaraError(result('api', 200, '[]'))).toBeUndefined();
  });

  it("adds Stara's message to the reason and keeps Retry-After", () => {
    expect(classifyStaraError(result('token', 401, '{"message":"API key inválida."}'))?.reason).toBe('token endpoint answered 401: API key inválida.');
    expect(classifyStaraError(result('api', 429, '{"message":"Limite"}', { 'retry-after': '20' }))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 20_000 });
  });
});

describe("Stara's /token answer as a token set (providers.md 9.1)", () => {
  it('reads X_access_token and refresh_Token, with the expiry from expires_in, and keeps no token in raw', () => {
    const tokens = staraTokenSetOf({ X_access_token: 'at-1', refresh_Token: 'rt-1', expires_in: 7200, usuario: 'grower' }, NOW);
    expect(tokens).toEqual({ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: '2025-03-01T14:00:00.000Z', raw: { usuario: 'grower' } });
  });

  it("takes the expiry from a JWT access token's exp claim when the answer states none (computed vector)", () => {
    // {"alg":"HS256"} . {"exp":1740834000} (2025-03-01T13:00:00Z) . signature (not checked)
    const jwt = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"exp":1740834000}').toString('base64url')}.c2ln`;
    expect(jwt).toBe('eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3NDA4MzQwMDB9.c2ln');
    expect(staraTokenSetOf({ X_access_token: jwt, refresh_Token: 'rt' }, NOW).expiresAt).toBe('2025-03-01T13:00:00.000Z');
  });

  it('assumes the default lifetime for an opaque token without expires_in [I]', () => {
    const tokens = staraTokenSetOf({ X_access_token: 'opaque', refresh_Token: 'rt' }, NOW);
    expect(Date.parse(tokens.expiresAt!) - NOW).toBe(STARA_DEFAULT_ACCESS_TOKEN_SECONDS * 1000);
    expect(staraTokenSetOf({ X_access_token: 'opaque', expires_in: '600' }, NOW).expiresAt).toBe('2025-03-01T12:10:00.000Z');
  });

  it('has no refresh token when Stara sends none, and refuses an answer without an access token, naming what it found', () => {
    expect(staraTokenSetOf({ X_access_token: 'at' }, NOW).refreshToken).toBeUndefined();
    const error = (() => {
      try {
        staraTokenSetOf({ access_token: 'at', refresh_token: 'rt' }, NOW);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).errorClass).toBe('permanent');
    expect((error as ProviderError).reason).toBe("expected X_access_token in Stara's /token answer; found access_token, refresh_token");
  });
});

describe("Stara's host", () => {
  it('is v2apitelemetria.telemetriastara.com.br, with no test host', () => {
    expect(resolveBaseUrl(STARA_HOSTS.telemetria, { providerId: 'stara', environment: 'PRODUCTION' })).toBe('https://v2apitelemetria.telemetriastara.com.br');
    expect(resolveBaseUrl(STARA_HOSTS.telemetria, { providerId: 'stara', environment: 'PRODUCTION', sandboxBaseUrl: 'http://127.0.0.1:1/sandbox' })).toBe('http://127.0.0.1:1/sandbox/stara');
  });
});
