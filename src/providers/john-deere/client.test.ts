import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../adapter-context.js';
import type { HttpResult } from '../provider.js';
import { JOHN_DEERE_HOSTS, classifyJohnDeereError, organizationConnectUrl, providerOrganizationOf, type DeereOrganization } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose, status, headers, body });
const organization = (connection: DeereOrganization['connection']): DeereOrganization => ({ id: '4321', name: 'Second Org', type: 'customer', member: true, internal: false, connection, links: [] });
const UNCONNECTED = organization({ state: 'not_connected', connectUri: 'https://connections.deere.com/connections/abc/select-organizations' });
const CONNECTED = organization({ state: 'connected', manageUri: 'https://connections.deere.com/connections/abc/connections-dialog?orgId=4321' });

describe("classifying John Deere's answers (providers.md 0.3)", () => {
  it.each([
    ['token 400 invalid_grant', result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token is invalid or expired."}'), 'auth_revoked'],
    ['token 401 invalid_client', result('token', 401, '{"error":"invalid_client"}'), 'auth_revoked'],
    ['token 400 invalid_scope', result('token', 400, '{"error":"invalid_scope"}'), 'forbidden_scope'],
    ['token 400 invalid_request', result('token', 400, '{"error":"invalid_request"}'), 'permanent'],
    ['API 401', result('api', 401, '{"errors":[{"message":"expired"}]}'), 'auth_expired'],
    ['API 403 without an organization', result('api', 403), 'forbidden_scope'],
    ['API 404', result('api', 404), 'not_found'],
    ['API 429', result('api', 429), 'rate_limited'],
    ['API 500', result('api', 500), 'retry_later'],
    ['token 503', result('token', 503), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyJohnDeereError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    expect(classifyJohnDeereError(result('api', 200))).toBeUndefined();
  });

  it('calls a 403 on an organization with a connections link org_not_connected, naming where to connect it', () => {
    const classified = classifyJohnDeereError(result('api', 403, '{"errors":[{"guid":"g","message":"Forbidden"}]}'), { organization: UNCONNECTED });
    expect(classified?.errorClass).toBe('org_not_connected');
    expect(classified?.reason).toBe('API answered 403: Forbidden (organization 4321 is not connected to this application; the grower connects it at https://connections.deere.com/connections/abc/select-organizations)');
    expect(classifyJohnDeereError(result('api', 403), { organization: CONNECTED })?.errorClass).toBe('forbidden_scope');
  });

  it('keeps Retry-After on 429 and 5xx', () => {
    expect(classifyJohnDeereError(result('api', 429, '', { 'retry-after': '17' }))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 17_000 });
    expect(classifyJohnDeereError(result('api', 503, '', { 'retry-after': '2' }))).toMatchObject({ errorClass: 'retry_later', retryAfterMs: 2_000 });
  });

  it("adds Deere's or Okta's message to the reason", () => {
    expect(classifyJohnDeereError(result('token', 400, '{"error":"invalid_grant","error_description":"The refresh token is invalid or expired."}'))?.reason).toBe(
      'token endpoint answered 400 invalid_grant: The refresh token is invalid or expired.',
    );
    expect(classifyJohnDeereError(result('api', 500, '[{"message":"Boom"}]'))?.reason).toBe('API answered 500: Boom');
  });
});

describe("John Deere's hosts", () => {
  it('are sandboxapi in STAGE, partnerapi in PRODUCTION, and one Okta issuer for both', () => {
    expect(resolveBaseUrl(JOHN_DEERE_HOSTS.api, { providerId: 'john-deere', environment: 'STAGE' })).toBe('https://sandboxapi.deere.com/platform');
    expect(resolveBaseUrl(JOHN_DEERE_HOSTS.api, { providerId: 'john-deere', environment: 'PRODUCTION' })).toBe('https://partnerapi.deere.com/platform');
    expect(JOHN_DEERE_HOSTS.signIn.STAGE).toBe(JOHN_DEERE_HOSTS.signIn.PRODUCTION);
  });

  it('send the grower to the connections link with redirect_uri, only for unconnected organizations', () => {
    expect(organizationConnectUrl(UNCONNECTED, 'https://app.example.com/done?x=1')).toBe('https://connections.deere.com/connections/abc/select-organizations?redirect_uri=https%3A%2F%2Fapp.example.com%2Fdone%3Fx%3D1');
    expect(organizationConnectUrl(CONNECTED, 'https://app.example.com/done')).toBeUndefined();
  });
});

describe("John Deere's organizations as Leaf shows them (leaf-api.md 3.5)", () => {
  it('are connected with the manage_connections page, or not connected with the connections page', () => {
    expect(providerOrganizationOf(CONNECTED)).toEqual({ id: '4321', name: 'Second Org', connected: true, connectUrl: 'https://connections.deere.com/connections/abc/connections-dialog?orgId=4321' });
    expect(providerOrganizationOf(UNCONNECTED)).toEqual({ id: '4321', name: 'Second Org', connected: false, connectUrl: 'https://connections.deere.com/connections/abc/select-organizations' });
  });

  it('count an organization without either link as not connected, with no page to send the grower to', () => {
    expect(providerOrganizationOf(organization({ state: 'unknown' }))).toEqual({ id: '4321', name: 'Second Org', connected: false });
  });
});
