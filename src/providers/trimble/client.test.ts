import { describe, expect, it } from 'vitest';
import { createAdapterContext } from '../adapter-context.js';
import type { HttpResult } from '../provider.js';
import { classifyTrimbleError, organizationAuthorizationUrl, trimbleAuthorizeUrl, trimblePageOf } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });
const production = createAdapterContext({ providerId: 'trimble', environment: 'PRODUCTION', fetch: () => Promise.reject(new Error('no network in a pure test')), onExchange: () => undefined });
const ORG = '0b7a3c1e-3f5d-4e2a-9c1b-2d4e6f8a0b1c';

describe("classifying Trimble's answers (providers.md 0.3 and 5.1)", () => {
  it.each([
    ['token 400 invalid_grant (a single-use refresh token presented again)', result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token was already redeemed"}'), 'auth_revoked'],
    ['token 401 invalid_client', result('token', 401, '{"error":"invalid_client"}'), 'auth_revoked'],
    ['token 400 invalid_scope (the application name)', result('token', 400, '{"error":"invalid_scope"}'), 'forbidden_scope'],
    ['token 400 invalid_request', result('token', 400, '{"error":"invalid_request"}'), 'permanent'],
    ['token 503', result('token', 503), 'retry_later'],
    ['API 401', result('api', 401, '{"code":"invalid_token","message":"expired"}'), 'auth_expired'],
    ['API 403 without an organization', result('api', 403, '{"code":"Forbidden","message":"no"}'), 'forbidden_scope'],
    ['API 404', result('api', 404), 'not_found'],
    ['API 429', result('api', 429), 'rate_limited'],
    ['API 500', result('api', 500), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyTrimbleError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    for (const status of [200, 204, 304]) expect(classifyTrimbleError(result('api', status))).toBeUndefined();
  });

  it("calls a 403 on an organization's resources org_not_connected, naming where the grower authorizes it, unless the scope is missing", () => {
    const withdrawn = classifyTrimbleError(result('api', 403, '{"code":"organization_not_authorized","message":"Organization is not authorized"}'), { organizationId: ORG });
    expect(withdrawn?.errorClass).toBe('org_not_connected');
    expect(withdrawn?.reason).toBe(`API answered 403: Organization is not authorized (organization ${ORG} is not authorized for this application; the grower authorizes it on trimbleag.com, /ThirdPartyAccess/ThirdPartyAuthorizationRedirect)`);
    expect(classifyTrimbleError(result('api', 403, '{"code":"insufficient_scope","message":"scope"}'), { organizationId: ORG })?.errorClass).toBe('forbidden_scope');
  });

  it('keeps Retry-After on 429 and 5xx, and adds the message to the reason', () => {
    expect(classifyTrimbleError(result('api', 429, '{"code":"TooManyRequests","message":"Slow down"}', { 'retry-after': '12' }))).toEqual({ errorClass: 'rate_limited', reason: 'API answered 429: Slow down', retryAfterMs: 12_000 });
    expect(classifyTrimbleError(result('token', 503, '', { 'retry-after': '1' }))).toMatchObject({ errorClass: 'retry_later', retryAfterMs: 1_000 });
    expect(classifyTrimbleError(result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token expired"}'))?.reason).toBe('token endpoint answered 400 invalid_grant: The refresh token expired');
  });
});

describe("reading Trimble's { result, bookmark } envelope (providers.md 5.2)", () => {
  it("takes moreResults as Trimble's sample types it, a string, and as a boolean", () => {
    expect(trimblePageOf({ result: [{ id: 'a' }], bookmark: { token: 'b1', moreResults: 'true' } }, '/x', 200)).toEqual({ result: [{ id: 'a' }], bookmark: 'b1', moreResults: true });
    expect(trimblePageOf({ result: [], bookmark: { token: 'b1', moreResults: 'True' } }, '/x', 200).moreResults).toBe(true);
    expect(trimblePageOf({ result: [], bookmark: { token: 'b1', moreResults: true } }, '/x', 200).moreResults).toBe(true);
    expect(trimblePageOf({ result: [], bookmark: { token: null, moreResults: 'false' } }, '/x', 200)).toEqual({ result: [], bookmark: undefined, moreResults: false });
  });

  it('reads a page without a bookmark as the last one', () => {
    expect(trimblePageOf({ result: [{ id: 'a' }] }, '/x', 200)).toEqual({ result: [{ id: 'a' }], bookmark: undefined, moreResults: false });
  });

  it('refuses a body without a result list, naming the path', () => {
    expect(() => trimblePageOf({ organizations: [] }, '/config/organizations', 200)).toThrow('expected { result: [...], bookmark } from /config/organizations');
  });
});

describe("Trimble's browser pages", () => {
  it('sends the grower to TID with the application name as scope (providers.md 5.1)', () => {
    const url = new URL(trimbleAuthorizeUrl(production, { clientId: 'c-1', applicationName: 'MyFarmApp', redirectUri: 'https://app.example.com/cb', state: 's' }));
    expect(`${url.origin}${url.pathname}`).toBe('https://id.trimble.com/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({ response_type: 'code', client_id: 'c-1', redirect_uri: 'https://app.example.com/cb', scope: 'openid MyFarmApp', state: 's' });
  });

  it('sends the grower to the organization authorization page, with or without a way back', () => {
    expect(organizationAuthorizationUrl(production, 'c-1')).toBe('https://www.trimbleag.com/ThirdPartyAccess/ThirdPartyAuthorizationRedirect?clientid=c-1');
    expect(organizationAuthorizationUrl(production, 'c-1', 'https://app.example.com/orgs')).toBe(
      'https://www.trimbleag.com/ThirdPartyAccess/ThirdPartyAuthorizationRedirect?clientid=c-1&redirectionUrl=https%3A%2F%2Fapp.example.com%2Forgs',
    );
  });
});
