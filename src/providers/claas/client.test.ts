import { describe, expect, it } from 'vitest';
import { createAdapterContext } from '../adapter-context.js';
import type { Environment, HttpResult } from '../provider.js';
import { claasAuthorizeUrl, classifyClaasError } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });
const problem = (status: number, detail: string) => JSON.stringify({ type: 'about:blank', title: 'Error', status, detail });
const contextFor = (environment: Environment) => createAdapterContext({ providerId: 'claas', environment, fetch: () => Promise.reject(new Error('no network in a pure test')), onExchange: () => undefined });

describe("classifying CLAAS's answers (providers.md 0.3; CLAAS's own are not public)", () => {
  it.each([
    ['token 400 invalid_grant', result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token was revoked."}'), 'auth_revoked'],
    ['token 401 invalid_client', result('token', 401, '{"error":"invalid_client"}'), 'auth_revoked'],
    ['token 400 invalid_scope', result('token', 400, '{"error":"invalid_scope"}'), 'forbidden_scope'],
    ['token 400 unsupported_grant_type', result('token', 400, '{"error":"unsupported_grant_type"}'), 'permanent'],
    ['token 503', result('token', 503), 'retry_later'],
    ['API 401 problem', result('api', 401, problem(401, 'The access token expired.')), 'auth_expired'],
    ['API 403 problem', result('api', 403, problem(403, 'The access token lacks the oft:machines:read scope.')), 'forbidden_scope'],
    ['API 404 problem', result('api', 404, problem(404, 'No machine 7.')), 'not_found'],
    ['API 400 problem', result('api', 400, problem(400, 'size must be 1 to 100.')), 'permanent'],
    ['API 429 problem', result('api', 429, problem(429, 'Slow down.')), 'rate_limited'],
    ['API 502', result('api', 502), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyClaasError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    for (const status of [200, 204]) expect(classifyClaasError(result('api', status))).toBeUndefined();
  });

  it("adds the problem's detail, or OAuth's description, to the reason, and keeps Retry-After", () => {
    expect(classifyClaasError(result('api', 403, problem(403, 'The access token lacks the oft:machines:read scope.')))?.reason).toBe('API answered 403: The access token lacks the oft:machines:read scope.');
    expect(classifyClaasError(result('token', 400, '{"error":"invalid_grant","error_description":"expired"}'))?.reason).toBe('token endpoint answered 400 invalid_grant: expired');
    expect(classifyClaasError(result('api', 429, problem(429, 'Slow down.'), { 'retry-after': '9' }))).toEqual({ errorClass: 'rate_limited', reason: 'API answered 429: Slow down.', retryAfterMs: 9_000 });
  });
});

describe("CLAAS's hosts per environment", () => {
  it('sends STAGE and PRODUCTION credentials to different hosts [I]', () => {
    const request = { clientKey: 'k-1', redirectUri: 'https://app.example.com/cb', scopes: ['offline_access', 'oft:machines:read'], state: 's' };
    const production = new URL(claasAuthorizeUrl(contextFor('PRODUCTION'), request));
    const stage = new URL(claasAuthorizeUrl(contextFor('STAGE'), request));
    expect(`${production.origin}${production.pathname}`).toBe('https://identity.claas.com/oauth2/authorize');
    expect(`${stage.origin}${stage.pathname}`).toBe('https://identity-stage.claas.com/oauth2/authorize');
    expect(Object.fromEntries(stage.searchParams)).toEqual({ response_type: 'code', client_id: 'k-1', redirect_uri: 'https://app.example.com/cb', scope: 'offline_access oft:machines:read', state: 's' });
  });
});
