import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../adapter-context.js';
import type { HttpResult } from '../provider.js';
import { AG_LEADER_HOSTS, agFinitiBasicAuthorization, classifyAgLeaderError } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });

describe("classifying AgFiniti's answers (providers.md 0.3; AgFiniti's own bodies are [I])", () => {
  it.each([
    ['token 400 invalid_grant', result('token', 400, '{"error":"invalid_grant"}'), 'auth_revoked'],
    ['token 400 invalid_client (a wrong key pair)', result('token', 400, '{"error":"invalid_client"}'), 'auth_revoked'],
    ['token 401', result('token', 401), 'auth_revoked'],
    ['token 400 unsupported_grant_type', result('token', 400, '{"error":"unsupported_grant_type"}'), 'permanent'],
    ['token 503', result('token', 503), 'retry_later'],
    ['API 401', result('api', 401, '{"Message":"Authorization has been denied for this request."}'), 'auth_expired'],
    ['API 403', result('api', 403, '{"Message":"The access token lacks the read scope."}'), 'forbidden_scope'],
    ['API 404', result('api', 404), 'not_found'],
    ['API 429', result('api', 429), 'rate_limited'],
    ['API 500', result('api', 500), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyAgLeaderError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    expect(classifyAgLeaderError(result('api', 200, '{"Files":[]}'))).toBeUndefined();
  });

  it("adds OAuth's error_description or ASP.NET's Message to the reason", () => {
    expect(classifyAgLeaderError(result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token was revoked."}'))?.reason).toBe(
      'token endpoint answered 400 invalid_grant: The refresh token was revoked.',
    );
    expect(classifyAgLeaderError(result('api', 401, '{"Message":"Authorization has been denied for this request."}'))?.reason).toBe('API answered 401: Authorization has been denied for this request.');
  });

  it('keeps Retry-After on 429 and 5xx', () => {
    expect(classifyAgLeaderError(result('api', 429, '', { 'retry-after': '12' }))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 12_000 });
    expect(classifyAgLeaderError(result('token', 503, '', { 'retry-after': '3' }))).toMatchObject({ errorClass: 'retry_later', retryAfterMs: 3_000 });
  });
});

describe("AgFiniti's client authentication (providers.md 6.1)", () => {
  it("matches Leaf's tutorial vector: echo -n 'yourPublicKey:yourPrivateKey' | base64", () => {
    // Published command, answer computed from it (the tutorial prints no output).
    expect(agFinitiBasicAuthorization('yourPublicKey', 'yourPrivateKey')).toBe('Basic eW91clB1YmxpY0tleTp5b3VyUHJpdmF0ZUtleQ==');
  });

  it('joins the keys as they are, without the form-encoding of RFC 6749 section 2.3.1 (computed vector)', () => {
    expect(agFinitiBasicAuthorization('pub-key', 'priv+key/with=')).toBe('Basic cHViLWtleTpwcml2K2tleS93aXRoPQ==');
    expect(Buffer.from('cHViLWtleTpwcml2K2tleS93aXRoPQ==', 'base64').toString()).toBe('pub-key:priv+key/with=');
  });
});

describe("AgFiniti's host", () => {
  it('is www.agfiniti.com in production, with no test host, and the sandbox emulator otherwise', () => {
    expect(resolveBaseUrl(AG_LEADER_HOSTS.agfiniti, { providerId: 'ag-leader', environment: 'PRODUCTION' })).toBe('https://www.agfiniti.com');
    expect(() => resolveBaseUrl(AG_LEADER_HOSTS.agfiniti, { providerId: 'ag-leader', environment: 'STAGE' })).toThrow(/no STAGE host/);
    expect(resolveBaseUrl(AG_LEADER_HOSTS.agfiniti, { providerId: 'ag-leader', environment: 'PRODUCTION', sandboxBaseUrl: 'http://127.0.0.1:1/sandbox' })).toBe('http://127.0.0.1:1/sandbox/ag-leader');
  });
});
