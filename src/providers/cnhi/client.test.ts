import { describe, expect, it } from 'vitest';
import { createAdapterContext } from '../adapter-context.js';
import type { Environment, HttpResult } from '../provider.js';
import { classifyCnhiError, cnhiAuthorizeUrl } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });
const gateway = (statusCode: number, message: string) => JSON.stringify({ statusCode, message });
const jsonApi = (status: number, detail: string) => JSON.stringify({ errors: [{ status: String(status), title: 'Error', detail }] });
const NOW = Date.parse('2026-03-01T12:00:00Z');
const contextFor = (environment: Environment) => createAdapterContext({ providerId: 'cnhi', environment, fetch: () => Promise.reject(new Error('no network in a pure test')), onExchange: () => undefined });

describe("classifying CNH's answers (providers.md 0.3 and 4.1)", () => {
  it.each([
    ['Auth0 403 invalid_grant (an unknown or revoked refresh token)', result('token', 403, '{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}'), 'auth_revoked'],
    ['Auth0 401 access_denied (a bad client secret)', result('token', 401, '{"error":"access_denied","error_description":"Unauthorized"}'), 'auth_revoked'],
    ['Auth0 403 unauthorized_client', result('token', 403, '{"error":"unauthorized_client","error_description":"Grant type refresh_token not allowed for the client."}'), 'auth_revoked'],
    ['Auth0 400 invalid_request', result('token', 400, '{"error":"invalid_request","error_description":"Missing required parameter: refresh_token"}'), 'permanent'],
    ['Auth0 429', result('token', 429, '{"error":"too_many_requests","error_description":"Global limit has been reached"}'), 'rate_limited'],
    ['gateway 401 missing subscription key', result('api', 401, gateway(401, 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.')), 'auth_revoked'],
    ['gateway 401 invalid subscription key', result('api', 401, gateway(401, 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.')), 'auth_revoked'],
    ['gateway 401 invalid JWT', result('api', 401, gateway(401, 'Unauthorized. Access token is missing or invalid.')), 'auth_expired'],
    ['gateway 403 call volume quota', result('api', 403, gateway(403, 'Out of call volume quota. Quota will be replenished in 00:00:30.')), 'rate_limited'],
    ['gateway 429 rate limit', result('api', 429, gateway(429, 'Rate limit is exceeded. Try again in 7 seconds.')), 'rate_limited'],
    ['API 403 JSON:API', result('api', 403, jsonApi(403, 'The access token lacks the read:ag-data permission.')), 'forbidden_scope'],
    ['API 404 JSON:API', result('api', 404, jsonApi(404, 'No such company')), 'not_found'],
    ['API 503', result('api', 503, jsonApi(503, 'Service Unavailable')), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyCnhiError(answer, NOW)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    for (const status of [200, 204]) expect(classifyCnhiError(result('api', status), NOW)).toBeUndefined();
  });

  it('says why a data call was refused for the subscription key', () => {
    expect(classifyCnhiError(result('api', 401, gateway(401, 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.')), NOW)?.reason).toBe(
      'API answered 401: Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API. (the Ocp-Apim-Subscription-Key was missing or not accepted; the developer fixes it)',
    );
  });

  it('takes the wait from Retry-After first, then from the message, then from Auth0\'s x-ratelimit-reset', () => {
    expect(classifyCnhiError(result('api', 429, gateway(429, 'Rate limit is exceeded. Try again in 7 seconds.'), { 'retry-after': '3' }), NOW)?.retryAfterMs).toBe(3_000);
    expect(classifyCnhiError(result('api', 429, gateway(429, 'Rate limit is exceeded. Try again in 7 seconds.')), NOW)?.retryAfterMs).toBe(7_000);
    expect(classifyCnhiError(result('api', 403, gateway(403, 'Out of call volume quota. Quota will be replenished in 01:02:03.')), NOW)?.retryAfterMs).toBe(3_723_000);
    expect(classifyCnhiError(result('api', 403, gateway(403, 'Out of call volume quota. Quota will be replenished in 2.00:00:10.')), NOW)?.retryAfterMs).toBe(172_810_000);
    expect(classifyCnhiError(result('token', 429, '{"error":"too_many_requests"}', { 'x-ratelimit-reset': String(NOW / 1000 + 42) }), NOW)?.retryAfterMs).toBe(42_000);
    expect(classifyCnhiError(result('api', 503, jsonApi(503, 'busy'), { 'retry-after': '1' }), NOW)).toMatchObject({ errorClass: 'retry_later', retryAfterMs: 1_000, reason: 'API answered 503: busy' });
  });
});

describe("CNH's authorize URL (providers.md 4.1)", () => {
  it('names the API as audience and the enterprise connection, per environment', () => {
    const production = new URL(cnhiAuthorizeUrl(contextFor('PRODUCTION'), { clientId: 'c-1', redirectUri: 'https://app.example.com/cb', state: '123' }));
    expect(`${production.origin}${production.pathname}`).toBe('https://identity.cnhind.com/authorize');
    expect(Object.fromEntries(production.searchParams)).toEqual({
      client_id: 'c-1',
      response_type: 'code',
      redirect_uri: 'https://app.example.com/cb',
      scope: 'offline_access',
      connection: 'PROD-ADFS-CONN',
      state: '123',
      audience: 'https://ag.api.cnhind.com',
    });
    const stage = new URL(cnhiAuthorizeUrl(contextFor('STAGE'), { clientId: 'c-1', redirectUri: 'https://app.example.com/cb', state: '123' }));
    expect(stage.origin).toBe('https://stg.identity.cnhind.com');
    expect(stage.searchParams.get('connection')).toBe('STG-ADFS-CONN');
  });
});
