import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../adapter-context.js';
import { ProviderError } from '../provider-error.js';
import type { HttpResult } from '../provider.js';
import { SENTERA_HOSTS, classifySenteraError, findOrganization, sessionFromAnswer, sessionRequestBody } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });
const graphqlError = (message: string, code?: string) => JSON.stringify({ data: { fields: null }, errors: [{ message, ...(code === undefined ? {} : { extensions: { code } }) }] });

function thrown(fn: () => unknown): ProviderError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

// Known answers: the request and response of Sentera's legacy authentication page
// (https://api.sentera.com/api/docs/legacy_authentication/index.html, providers.md 10.1).
const DOCUMENTED_REQUEST = '{"session":{"email":"cecil@example.com","password":"password1234","platform_id":"API","version_id":"1.0.0"}}';
const DOCUMENTED_RESPONSE = {
  auth_token: 'add94235-e799-415d-94c7-55ddaab6d1a5',
  user_sentera_id: '1v0dykn_US_m01aCecilOrg_CV_deve_27da362a_171018_114020',
  user_email: 'cecil@example.com',
  status: 'active',
  device_id: 'afh53nb',
};

describe('the Sentera session login (providers.md 10.1)', () => {
  it('sends exactly the documented body', () => {
    expect(JSON.stringify(sessionRequestBody({ username: 'cecil@example.com', password: 'password1234' }))).toBe(DOCUMENTED_REQUEST);
  });

  it('reads the documented answer: the auth_token, the user, and an expiry three months (90 days) out', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(sessionFromAnswer(DOCUMENTED_RESPONSE, now)).toEqual({
      authToken: 'add94235-e799-415d-94c7-55ddaab6d1a5',
      userSenteraId: '1v0dykn_US_m01aCecilOrg_CV_deve_27da362a_171018_114020',
      userEmail: 'cecil@example.com',
      status: 'active',
      expiresAt: '2024-03-31T00:00:00.000Z',
    });
  });

  it('refuses an answer without a token, and a user who is not active', () => {
    expect(thrown(() => sessionFromAnswer({ status: 'active' }, 0))).toMatchObject({ errorClass: 'permanent' });
    expect(thrown(() => sessionFromAnswer({ ...DOCUMENTED_RESPONSE, status: 'disabled' }, 0))).toMatchObject({ errorClass: 'auth_revoked', reason: 'Sentera says the user is disabled, not active' });
  });
});

describe("classifying Sentera's answers (providers.md 0.3 and 10)", () => {
  it.each([
    ['login 401', result('token', 401, '{"error":"Invalid email or password."}'), 'auth_revoked'],
    ['login 422', result('token', 422, '{"errors":["Invalid email or password."]}'), 'auth_revoked'],
    ['login 400', result('token', 400, '{"error":"param is missing or the value is empty: session"}'), 'permanent'],
    ['login 503', result('token', 503, '{"error":"Service Unavailable"}'), 'retry_later'],
    ['GraphQL 401', result('api', 401, JSON.stringify({ errors: [{ message: 'The access token expired', extensions: { code: 'UNAUTHENTICATED' } }] })), 'auth_expired'],
    ['GraphQL 403', result('api', 403), 'forbidden_scope'],
    ['GraphQL 429', result('api', 429, '', { 'retry-after': '4' }), 'rate_limited'],
    ['GraphQL 502', result('api', 502), 'retry_later'],
    ['GraphQL 200 FORBIDDEN', result('api', 200, graphqlError('You are not authorized to view fields.', 'FORBIDDEN')), 'forbidden_scope'],
    ['GraphQL 200 "not authorized" without a code', result('api', 200, graphqlError('Not authorized to access Field')), 'forbidden_scope'],
    ['GraphQL 200 UNAUTHENTICATED', result('api', 200, graphqlError('Please log in', 'UNAUTHENTICATED')), 'auth_expired'],
    ['GraphQL 200 NOT_FOUND', result('api', 200, graphqlError('Organization x was not found.', 'NOT_FOUND')), 'not_found'],
    ['GraphQL 200 RATE_LIMITED', result('api', 200, graphqlError('Slow down', 'RATE_LIMITED')), 'rate_limited'],
    ['GraphQL 200 unknown field', result('api', 200, JSON.stringify({ errors: [{ message: "Field 'acres' doesn't exist on type 'Field'" }] })), 'permanent'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifySenteraError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves answers without errors unclassified', () => {
    expect(classifySenteraError(result('api', 200, '{"data":{"fields":{"total_count":0}}}'))).toBeUndefined();
    expect(classifySenteraError(result('api', 200, '{"data":{},"errors":[]}'))).toBeUndefined();
    expect(classifySenteraError(result('token', 200, JSON.stringify(DOCUMENTED_RESPONSE)))).toBeUndefined();
  });

  it('keeps Retry-After and says why', () => {
    expect(classifySenteraError(result('api', 429, '', { 'retry-after': '4' }))).toMatchObject({ retryAfterMs: 4_000 });
    expect(classifySenteraError(result('token', 401, '{"error":"Invalid email or password."}'))?.reason).toBe(
      'token endpoint answered 401 Invalid email or password. (Sentera refused the email and password; the grower updates them)',
    );
    expect(classifySenteraError(result('api', 200, graphqlError('You are not authorized to view fields.', 'FORBIDDEN')))?.reason).toBe('GraphQL answered with errors: You are not authorized to view fields.');
  });
});

describe('finding the organization a credential names', () => {
  const organizations = [
    { senteraId: 'org-1', name: 'Becker Farms' },
    { senteraId: 'org-2', name: 'Anderson Acres' },
    { senteraId: 'org-3', name: 'Anderson acres' },
    { senteraId: 'org-4', name: 'Twin' },
    { senteraId: 'org-5', name: 'Twin' },
  ];

  it('takes an exact match first, then one ignoring case and surrounding spaces', () => {
    expect(findOrganization(organizations, 'Anderson acres').senteraId).toBe('org-3');
    expect(findOrganization(organizations, '  becker farms ').senteraId).toBe('org-1');
  });

  it('refuses a name two organizations share rather than guess (permanent)', () => {
    expect(thrown(() => findOrganization(organizations, 'Twin'))).toMatchObject({ errorClass: 'permanent', reason: expect.stringContaining('org-4, org-5') });
    expect(thrown(() => findOrganization(organizations, 'ANDERSON ACRES'))).toMatchObject({ errorClass: 'permanent' });
  });

  it('calls a name the user cannot reach forbidden_scope, naming the first few it can', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ senteraId: `o${i}`, name: `Farm ${i}` }));
    expect(thrown(() => findOrganization(many, 'Elsewhere')).reason).toBe('the user can access no organization named "Elsewhere"; expected one of "Farm 0", "Farm 1", "Farm 2", "Farm 3", "Farm 4" and 2 more');
    expect(thrown(() => findOrganization([], 'Elsewhere')).reason).toBe('the user can access no organization named "Elsewhere"; it can access none at all');
  });
});

describe("Sentera's host", () => {
  it('is api.sentera.com, one environment', () => {
    expect(resolveBaseUrl(SENTERA_HOSTS.api, { providerId: 'sentera', environment: 'PRODUCTION' })).toBe('https://api.sentera.com');
    expect(resolveBaseUrl(SENTERA_HOSTS.api, { providerId: 'sentera', environment: 'PRODUCTION', sandboxBaseUrl: 'http://127.0.0.1:9/sandbox' })).toBe('http://127.0.0.1:9/sandbox/sentera');
  });
});
