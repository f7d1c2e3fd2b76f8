/**
 * Panorama's wire format and error classes, pure. Known-answer vectors where AWS publishes them:
 * the `InitiateAuth` request syntax of the Cognito API reference (providers.md 12.1), and the
 * error-type values Smithy's AWS protocol specification lists as all resolving to `FooError`
 * (also what AWS's SDKs test against). Panorama's own API is not public, so its vectors are
 * computed from the [I] wire format `client.ts` states; the login scheme as a whole is tested
 * against the emulator (`panorama.integration.test.ts`).
 */
import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../adapter-context.js';
import { ProviderError } from '../provider-error.js';
import type { HostUrls, HttpResult } from '../provider.js';
import {
  AMZ_JSON_1_1,
  INITIATE_AUTH_TARGET,
  PANORAMA_HOSTS,
  awsErrorType,
  classifyPanoramaError,
  initiateAuthRequest,
  panoramaOneClickCredentialBody,
  panoramaShareUrl,
  tokenSetOfAuthentication,
} from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body: unknown = '', headers: Record<string, string> = {}): HttpResult => ({
  purpose,
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const cognito = (status: number, type: string, message: string) => result('token', status, { __type: type, message }, { 'content-type': AMZ_JSON_1_1 });

describe("Cognito's InitiateAuth request (AWS API reference, known answer)", () => {
  it('posts USER_PASSWORD_AUTH as AWS JSON 1.1 with the InitiateAuth target', () => {
    const request = initiateAuthRequest('USER_PASSWORD_AUTH', '3n4b5urk1ft4fl3mg5e62d9ado', { USERNAME: 'jane@example.com', PASSWORD: 'password' });
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'AWSCognitoIdentityProviderService.InitiateAuth' });
    expect(request.body).toBe('{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"3n4b5urk1ft4fl3mg5e62d9ado","AuthParameters":{"USERNAME":"jane@example.com","PASSWORD":"password"}}');
  });

  it('posts REFRESH_TOKEN_AUTH with the refresh token alone: no SECRET_HASH for a public app client', () => {
    const request = initiateAuthRequest('REFRESH_TOKEN_AUTH', 'client-1', { REFRESH_TOKEN: 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.rt' });
    expect(JSON.parse(request.body)).toEqual({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: 'client-1', AuthParameters: { REFRESH_TOKEN: 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.rt' } });
    expect(INITIATE_AUTH_TARGET).toBe('AWSCognitoIdentityProviderService.InitiateAuth');
  });
});

describe("AWS JSON error types (Smithy's AWS protocols, known answer)", () => {
  it.each(['FooError', 'FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/', 'aws.protocoltests.restjson#FooError', 'aws.protocoltests.restjson#FooError:http://internal.amazon.com/coral/com.amazon.coral.validate/'])(
    '%s resolves to FooError, in __type, code or X-Amzn-ErrorType',
    (raw) => {
      expect(awsErrorType({ headers: {}, body: JSON.stringify({ __type: raw, message: 'm' }) })).toEqual({ type: 'FooError', message: 'm' });
      expect(awsErrorType({ headers: {}, body: JSON.stringify({ code: raw }) })?.type).toBe('FooError');
      expect(awsErrorType({ headers: { 'x-amzn-errortype': raw }, body: '' })?.type).toBe('FooError');
    },
  );

  it('prefers the X-Amzn-ErrorType header, then code, then __type, as AWS\'s Cognito client does', () => {
    expect(awsErrorType({ headers: { 'x-amzn-errortype': 'A:' }, body: JSON.stringify({ code: 'B', __type: 'C' }) })?.type).toBe('A');
    expect(awsErrorType({ headers: {}, body: JSON.stringify({ code: 'B', __type: 'C' }) })?.type).toBe('B');
    expect(awsErrorType({ headers: {}, body: JSON.stringify({ Message: 'capitalized', __type: 'C' }) })).toEqual({ type: 'C', message: 'capitalized' });
  });

  it('finds none in a body without a type', () => {
    expect(awsErrorType({ headers: {}, body: '{"message":"Internal server error"}' })).toBeUndefined();
    expect(awsErrorType({ headers: {}, body: '<html>' })).toBeUndefined();
    expect(awsErrorType({ headers: {}, body: JSON.stringify({ __type: 'ns#' }) })).toBeUndefined();
  });
});

describe("classifying Panorama's answers", () => {
  it.each([
    ['Cognito NotAuthorizedException (wrong password)', cognito(400, 'NotAuthorizedException', 'Incorrect username or password.'), 'auth_revoked'],
    ['Cognito NotAuthorizedException (revoked refresh token)', cognito(400, 'NotAuthorizedException', 'Refresh Token has been revoked'), 'auth_revoked'],
    ['Cognito NotAuthorizedException with a namespace', cognito(400, 'com.amazonaws.cognito.identity.idp.model#NotAuthorizedException', 'Refresh Token has expired'), 'auth_revoked'],
    ['Cognito UserNotFoundException', cognito(400, 'UserNotFoundException', 'User does not exist.'), 'auth_revoked'],
    ['Cognito PasswordResetRequiredException', cognito(400, 'PasswordResetRequiredException', 'Password reset required for the user'), 'auth_revoked'],
    ['Cognito ResourceNotFoundException (unknown app client)', cognito(400, 'ResourceNotFoundException', 'User pool client x does not exist.'), 'auth_revoked'],
    ['Cognito TooManyRequestsException', cognito(400, 'TooManyRequestsException', 'Rate exceeded'), 'rate_limited'],
    ['Cognito InternalErrorException', cognito(500, 'InternalErrorException', 'boom'), 'retry_later'],
    ['Cognito InvalidParameterException (flow not enabled)', cognito(400, 'InvalidParameterException', 'USER_PASSWORD_AUTH flow not enabled for this client'), 'permanent'],
    ['Cognito 503 without a type', result('token', 503, ''), 'retry_later'],
    ['an unknown Cognito type on a 500', cognito(500, 'SomethingNewException', 'new'), 'retry_later'],
    ['API 401', result('api', 401, { message: 'Unauthorized' }), 'auth_expired'],
    ['API 403 for an operation not shared', result('api', 403, { code: 'OPERATION_NOT_SHARED', message: 'not shared' }), 'org_not_connected'],
    ['API 403 otherwise', result('api', 403, { message: 'missing scope' }), 'forbidden_scope'],
    ['API 404', result('api', 404, { message: 'No operation' }), 'not_found'],
    ['API 429', result('api', 429, { message: 'Too Many Requests' }), 'rate_limited'],
    ['API 503', result('api', 503, { message: 'Service Unavailable' }), 'retry_later'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyPanoramaError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified', () => {
    expect(classifyPanoramaError(result('token', 200, { AuthenticationResult: {} }))).toBeUndefined();
    expect(classifyPanoramaError(result('api', 200, {}))).toBeUndefined();
  });

  it("says Cognito's type and message in the reason, and keeps Retry-After on the API's 429", () => {
    expect(classifyPanoramaError(cognito(400, 'NotAuthorizedException', 'Refresh Token has been revoked'))?.reason).toBe('Cognito answered 400 NotAuthorizedException: Refresh Token has been revoked');
    expect(classifyPanoramaError(result('api', 429, { message: 'Too Many Requests' }, { 'retry-after': '12' }))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 12_000, reason: 'API answered 429: Too Many Requests' });
  });
});

describe("Cognito's AuthenticationResult as a token set", () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('keeps the access token, its expiry and a refresh token, never the id token', () => {
    const tokens = tokenSetOfAuthentication({ AuthenticationResult: { AccessToken: 'at', ExpiresIn: 3600, TokenType: 'Bearer', RefreshToken: 'rt', IdToken: 'id' }, ChallengeParameters: {} }, now);
    expect(tokens).toEqual({ accessToken: 'at', refreshToken: 'rt', expiresAt: '2025-01-01T01:00:00.000Z', raw: { tokenType: 'Bearer' } });
    expect(JSON.stringify(tokens)).not.toContain('"id"');
  });

  it('has no refresh token after REFRESH_TOKEN_AUTH, which returns none', () => {
    expect(tokenSetOfAuthentication({ AuthenticationResult: { AccessToken: 'at', ExpiresIn: 3600, TokenType: 'Bearer', IdToken: 'id' } }, now).refreshToken).toBeUndefined();
  });

  it('refuses a challenge (a person must answer it): auth_revoked naming it', () => {
    const answer = { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 'SESSION', ChallengeParameters: { USER_ID_FOR_SRP: 'u' } };
    expect(() => tokenSetOfAuthentication(answer, now)).toThrow(ProviderError);
    expect(() => tokenSetOfAuthentication(answer, now)).toThrow(/auth_revoked: Cognito asks for the NEW_PASSWORD_REQUIRED challenge/);
  });

  it('calls an answer without an access token retry_later', () => {
    expect(() => tokenSetOfAuthentication({ ChallengeParameters: {} }, now)).toThrow(/^retry_later/);
    expect(() => tokenSetOfAuthentication(undefined, now)).toThrow(/^retry_later/);
  });
});

describe("Panorama's hosts and one-click", () => {
  it('use the environments of the tutorial: panorama.ag in PRODUCTION, bananorama.com in STAGE (providers.md 12.1)', () => {
    expect(resolveBaseUrl(PANORAMA_HOSTS.web, { providerId: 'panorama', environment: 'PRODUCTION' })).toBe('https://panorama.ag');
    expect(resolveBaseUrl(PANORAMA_HOSTS.web, { providerId: 'panorama', environment: 'STAGE' })).toBe('https://bananorama.com');
    expect(resolveBaseUrl(PANORAMA_HOSTS.api, { providerId: 'panorama', environment: 'STAGE' })).toBe('https://api.bananorama.com');
    expect(resolveBaseUrl(PANORAMA_HOSTS.cognito, { providerId: 'panorama', environment: 'STAGE' })).toBe('https://cognito-idp.us-east-1.amazonaws.com');
  });

  it('serve each host under its own path in the sandbox', () => {
    const sandbox = (urls: HostUrls) => resolveBaseUrl(urls, { providerId: 'panorama', environment: 'STAGE', sandboxBaseUrl: 'http://127.0.0.1:9/sandbox' });
    expect([sandbox(PANORAMA_HOSTS.cognito), sandbox(PANORAMA_HOSTS.api), sandbox(PANORAMA_HOSTS.web)]).toEqual([
      'http://127.0.0.1:9/sandbox/panorama/cognito-idp',
      'http://127.0.0.1:9/sandbox/panorama/api',
      'http://127.0.0.1:9/sandbox/panorama/web',
    ]);
  });

  it('sends the grower to the Share Initiation URL of the sharingUrlId with state and Furrow\'s callback', () => {
    const baseUrl = (urls: HostUrls) => resolveBaseUrl(urls, { providerId: 'panorama', environment: 'PRODUCTION' });
    const url = panoramaShareUrl(baseUrl, { sharingUrlId: '0f8fad5b-d9cb-469f-a165-70867728950e', state: 's t', callbackUrl: 'https://furrow.example/cb?x=1' });
    expect(url).toBe('https://panorama.ag/sharing/0f8fad5b-d9cb-469f-a165-70867728950e?state=s+t&redirect_uri=https%3A%2F%2Ffurrow.example%2Fcb%3Fx%3D1');
  });

  it("builds the credential body from the start and the callback's organizationCode, without a refresh token", () => {
    const start = { clientId: 'c', username: 'u', password: 'p', sharingUrlId: 's', clientEnvironment: 'PRODUCTION' as const };
    expect(panoramaOneClickCredentialBody(start, { state: 'x', organizationCode: 'OP-1' })).toEqual({ body: { clientId: 'c', username: 'u', password: 'p', organizationCode: 'OP-1', clientEnvironment: 'PRODUCTION' } });
    expect(panoramaOneClickCredentialBody(start, { state: 'x' })).toEqual({ missing: 'organizationCode' });
  });
});
