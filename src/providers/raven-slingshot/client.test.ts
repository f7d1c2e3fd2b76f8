import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../adapter-context.js';
import type { HttpResult } from '../provider.js';
import { RAVEN_SLINGSHOT_HOSTS, classifyRavenSlingshotError, decodeSharedSecret, parseTimeSpan, signedHeaders, slingshotSignature, slingshotStringToSign } from './client.js';

const result = (status: number, body = '', headers: Record<string, string> = {}): HttpResult => ({ purpose: 'api', status, headers, body });
const envelope = (status: string, info: string) => JSON.stringify({ Status: status, ErrorInfo: info, Result: null });

// The inputs of the vector Slingshot publishes (providers.md 8.1, "Generating a Signature"):
// GET, host.company.com, /absolute/path, 1234567890 and this API key give EssUFos9uCpS1FFUFaPTE3Qucz0=.
// Its access key and shared secret are cut off in every copy we have, so that output cannot be
// checked. The vectors below keep its other inputs, take the access key of the documented
// /accesskey sample, and were computed apart from this code with OpenSSL:
//   printf 'GET\r\nhost.company.com\r\n...\r\n' | openssl dgst -sha1 -mac HMAC -macopt hexkey:<secret bytes> -binary | base64
const PUBLISHED = { method: 'GET', host: 'host.company.com', path: '/absolute/path', timestamp: 1234567890, apiKey: '071X7Hc9zdfElbB2fUqQVjAQ3BsOPa4F9l3yqekl' };
const ACCESS_KEY = 'B3A3B66E-413E-4018-8782-D297F4950F12';
/** Base64 of "shared-secret-for-signing". */
const SHARED_SECRET = 'c2hhcmVkLXNlY3JldC1mb3Itc2lnbmluZw==';

describe('the Slingshot signature (providers.md 8.1)', () => {
  it('signs {Method}\\r\\n{Host}\\r\\n{URL}\\r\\n{Unix Timestamp}\\r\\n{API Key}\\r\\n{Access Key}\\r\\n', () => {
    expect(slingshotStringToSign({ ...PUBLISHED, accessKey: ACCESS_KEY })).toBe(
      'GET\r\nhost.company.com\r\n/absolute/path\r\n1234567890\r\n071X7Hc9zdfElbB2fUqQVjAQ3BsOPa4F9l3yqekl\r\nB3A3B66E-413E-4018-8782-D297F4950F12\r\n',
    );
  });

  it('puts the method in capitals, host and path in lower case without the query, and keeps the keys as generated', () => {
    expect(slingshotStringToSign({ method: 'get', host: 'API.RavenSlingshot.com', path: '/FieldComputers/460/PrescriptionMaps?page=2', timestamp: '1700000000', apiKey: 'AbC', accessKey: 'dEf' })).toBe(
      'GET\r\napi.ravenslingshot.com\r\n/fieldcomputers/460/prescriptionmaps\r\n1700000000\r\nAbC\r\ndEf\r\n',
    );
  });

  it.each([
    ['the published inputs', { ...PUBLISHED, accessKey: ACCESS_KEY }, 'Uyz8cezjqG9OAaemEIkBn2dA6E0='],
    ['the documented example path, in its documented casing', { method: 'GET', host: 'api.ravenslingshot.com', path: '/fieldcomputers/460/PrescriptionMaps', timestamp: 1700000000, apiKey: PUBLISHED.apiKey, accessKey: ACCESS_KEY }, 'IoYnQwIWeoipycvIKZnYhTkuEJA='],
    ['a non-ASCII access key, encoded as UTF-8', { method: 'GET', host: 'api.ravenslingshot.com', path: '/jobdata', timestamp: 1700000000, apiKey: PUBLISHED.apiKey, accessKey: 'clé-ÄÖ' }, 'QDs+vyqtr9OrvNXHAJZMa3WAeZM='],
  ])('matches the OpenSSL-computed HMAC-SHA1 for %s', (_name, input, expected) => {
    expect(slingshotSignature({ ...input, sharedSecret: SHARED_SECRET })).toBe(expected);
  });

  it('keys the HMAC with the Base64-decoded secret, not its text', () => {
    // OpenSSL with the secret's text as the key gives nBhLDBm1RRyAVCHvZehNSzN+DPU=.
    expect(slingshotSignature({ ...PUBLISHED, accessKey: ACCESS_KEY, sharedSecret: SHARED_SECRET })).not.toBe('nBhLDBm1RRyAVCHvZehNSzN+DPU=');
    expect(decodeSharedSecret(SHARED_SECRET).toString('utf8')).toBe('shared-secret-for-signing');
    expect(decodeSharedSecret('c2hhcmVkLXNlY3JldC1mb3Itc2lnbmluZw').toString('utf8')).toBe('shared-secret-for-signing');
  });

  it('refuses a shared secret that is not Base64', () => {
    for (const bad of ['', 'not base64!', 'abc-_def', 'a']) expect(() => decodeSharedSecret(bad)).toThrow(/not Base64/);
  });

  it('sends the four headers, with Unix seconds and the signature of the URL it calls', () => {
    const fields = { apiKey: PUBLISHED.apiKey, accessKey: ACCESS_KEY, sharedSecret: SHARED_SECRET };
    const headers = signedHeaders(fields, 'GET', new URL('https://host.company.com/absolute/path?page=1'), 1_234_567_890_999);
    expect(headers).toEqual({ 'X-SS-APIKey': PUBLISHED.apiKey, 'X-SS-AccessKey': ACCESS_KEY, 'X-SS-TimeStamp': '1234567890', 'X-SS-Signature': 'Uyz8cezjqG9OAaemEIkBn2dA6E0=' });
  });

  it('signs the host with its port when the URL has one (the sandbox on loopback)', () => {
    const fields = { apiKey: 'k', accessKey: 'a', sharedSecret: SHARED_SECRET };
    const withPort = signedHeaders(fields, 'GET', new URL('http://127.0.0.1:8080/sandbox/raven-slingshot/jobdata'), 1_700_000_000_000)['X-SS-Signature'];
    const expected = slingshotSignature({ method: 'GET', host: '127.0.0.1:8080', path: '/sandbox/raven-slingshot/jobdata', timestamp: 1700000000, apiKey: 'k', accessKey: 'a', sharedSecret: SHARED_SECRET });
    expect(withPort).toBe(expected);
  });
});

describe("classifying Slingshot's answers (providers.md 0.3 and 8)", () => {
  it.each([
    ['401 Invalid Access Key', result(401, envelope('UNAUTHORIZED', 'Invalid Access Key.')), 'auth_revoked'],
    ['401 Invalid API Key', result(401, envelope('UNAUTHORIZED', 'Invalid API Key.')), 'auth_revoked'],
    ['401 Invalid Signature', result(401, envelope('UNAUTHORIZED', 'Invalid Signature: the X-SS-Signature does not match the request.')), 'auth_revoked'],
    ['401 with no body', result(401), 'auth_revoked'],
    ['401 stale timestamp', result(401, envelope('UNAUTHORIZED', 'Request has expired: the X-SS-TimeStamp 1 is more than 120 seconds from the server time.')), 'permanent'],
    ['403', result(403, envelope('FORBIDDEN', 'no delegation')), 'forbidden_scope'],
    ['404', result(404, envelope('NOT_FOUND', 'No job data 7.')), 'not_found'],
    ['429 plain text', result(429, 'Exceeded maximum requests.'), 'rate_limited'],
    ['500', result(500), 'retry_later'],
    ['503 with an envelope', result(503, envelope('ERROR', 'down')), 'retry_later'],
    ['200 MORE_TIME_NEEDED (JSON)', result(200, envelope('MORE_TIME_NEEDED', '00:00:30')), 'retry_later'],
    ['200 MORE_TIME_NEEDED (XML)', result(200, '<slingshotresponse><status>MORE_TIME_NEEDED</status><errorinfo>00:01:00</errorinfo></slingshotresponse>'), 'retry_later'],
    ['200 NO_COVERAGE (XML)', result(200, '<slingshotresponse><status>NO_COVERAGE</status><errorinfo>No coverage available.</errorinfo><result>nil</result></slingshotresponse>'), 'not_found'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyRavenSlingshotError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified, JSON or XML', () => {
    expect(classifyRavenSlingshotError(result(200, '{"TotalCount":0,"JobData":[]}'))).toBeUndefined();
    expect(classifyRavenSlingshotError(result(200, '<slingshotindex><totalcount>0</totalcount></slingshotindex>'))).toBeUndefined();
    expect(classifyRavenSlingshotError(result(200, ''))).toBeUndefined();
  });

  it('waits the time span MORE_TIME_NEEDED names', () => {
    expect(classifyRavenSlingshotError(result(200, envelope('MORE_TIME_NEEDED', '00:00:30')))).toMatchObject({ retryAfterMs: 30_000 });
    expect(classifyRavenSlingshotError(result(200, '<slingshotresponse><status>MORE_TIME_NEEDED</status><errorinfo>00:01:00</errorinfo></slingshotresponse>'))).toMatchObject({ retryAfterMs: 60_000 });
    expect(classifyRavenSlingshotError(result(200, envelope('MORE_TIME_NEEDED', 'soon')))).toMatchObject({ retryAfterMs: 30_000 });
  });

  it('waits for Retry-After on a 429, else for the 60-second window', () => {
    expect(classifyRavenSlingshotError(result(429, 'Exceeded maximum requests.', { 'retry-after': '12' }))).toMatchObject({ retryAfterMs: 12_000 });
    expect(classifyRavenSlingshotError(result(429, 'Exceeded maximum requests.'))).toMatchObject({ retryAfterMs: 60_000, reason: 'API answered 429: Exceeded maximum requests.' });
  });

  it('says which check failed and what to do', () => {
    expect(classifyRavenSlingshotError(result(401, envelope('UNAUTHORIZED', 'Invalid Access Key.')))?.reason).toBe('API answered 401: Invalid Access Key. (the API key, shared secret or access key is no longer accepted)');
    expect(classifyRavenSlingshotError(result(401, '<slingshotresponse><status>UNAUTHORIZED</status><errorinfo>Request has expired</errorinfo></slingshotresponse>'))?.reason).toContain("check this server's clock");
  });
});

describe('.NET time spans in errorinfo', () => {
  it.each([
    ['00:00:30', 30_000],
    ['00:01:00', 60_000],
    ['01:00:00', 3_600_000],
    ['1.02:03:04', ((24 + 2) * 60 + 3) * 60_000 + 4_000],
    ['00:00:01.5', 1_500],
  ])('%s is %i ms', (text, ms) => {
    expect(parseTimeSpan(text)).toBe(ms);
  });

  it('reads nothing else', () => {
    for (const text of ['', '30', 'soon', '00:60', '-00:00:30']) expect(parseTimeSpan(text)).toBeUndefined();
  });
});

describe("Slingshot's host", () => {
  it('is api.ravenslingshot.com over TLS, with no test host', () => {
    expect(resolveBaseUrl(RAVEN_SLINGSHOT_HOSTS.api, { providerId: 'raven-slingshot', environment: 'PRODUCTION' })).toBe('https://api.ravenslingshot.com');
    expect(resolveBaseUrl(RAVEN_SLINGSHOT_HOSTS.api, { providerId: 'raven-slingshot', environment: 'PRODUCTION', sandboxBaseUrl: 'http://127.0.0.1:9/sandbox' })).toBe('http://127.0.0.1:9/sandbox/raven-slingshot');
  });
});
