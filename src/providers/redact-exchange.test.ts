import { describe, expect, it } from 'vitest';
import { REDACTED, isSecretName, redactExchange, type Exchange } from './redact-exchange.js';

function exchange(parts: { url?: string; requestHeaders?: Record<string, string>; requestBody?: string; responseHeaders?: Record<string, string>; responseBody?: string }): Exchange {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 12,
    request: { method: 'POST', url: parts.url ?? 'https://signin.example.com/v1/token', headers: parts.requestHeaders ?? {}, ...(parts.requestBody === undefined ? {} : { body: parts.requestBody }) },
    response: { status: 200, headers: parts.responseHeaders ?? { 'content-type': 'application/json' }, body: parts.responseBody ?? '{}' },
  };
}

describe('redacting an exchange', () => {
  it('redacts Authorization, API-key, access-key, signature and subscription-key headers, keeping the rest', () => {
    const result = redactExchange(
      exchange({
        requestHeaders: {
          authorization: 'Basic Y2xpZW50OnNlY3JldA==',
          'x-api-key': 'partner-furrow-123',
          'x-ss-apikey': 'k',
          'x-ss-accesskey': 'a',
          'x-ss-signature': 's',
          'ocp-apim-subscription-key': 'sub',
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        responseHeaders: { 'set-cookie': 'session=abc', 'content-type': 'application/json', 'retry-after': '30' },
      }),
    );
    expect(result.request.headers).toEqual({
      authorization: REDACTED,
      'x-api-key': REDACTED,
      'x-ss-apikey': REDACTED,
      'x-ss-accesskey': REDACTED,
      'x-ss-signature': REDACTED,
      'ocp-apim-subscription-key': REDACTED,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    });
    expect(result.response?.headers).toEqual({ 'set-cookie': REDACTED, 'content-type': 'application/json', 'retry-after': '30' });
  });

  it('redacts secrets in a form body pair by pair, keeping the other pairs byte for byte', () => {
    const body = 'grant_type=refresh_token&refresh_token=rt-123&client_id=app&client_secret=s%2Fx&code_verifier=v&code=c&redirect_uri=https%3A%2F%2Fx&scope=ag1+eq1';
    const result = redactExchange(exchange({ requestHeaders: { 'content-type': 'application/x-www-form-urlencoded' }, requestBody: body }));
    expect(result.request.body).toBe(
      `grant_type=refresh_token&refresh_token=${REDACTED}&client_id=app&client_secret=${REDACTED}&code_verifier=${REDACTED}&code=${REDACTED}&redirect_uri=https%3A%2F%2Fx&scope=ag1+eq1`,
    );
  });

  it('redacts secrets at any depth of a JSON body, in any spelling of the name', () => {
    const cognito = {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: 'client',
      AuthParameters: { REFRESH_TOKEN: 'rt', SECRET_HASH: 'h', USERNAME: 'partner', PASSWORD: 'pw' },
    };
    const answer = { access_token: 'at', token_type: 'Bearer', expires_in: 14400, scope: 'fields:read', user: { email: 'g@example.com' }, AuthenticationResult: { IdToken: 'id', AccessToken: 'at2' } };
    const result = redactExchange(exchange({ requestHeaders: { 'content-type': 'application/x-amz-json-1.1' }, requestBody: JSON.stringify(cognito), responseBody: JSON.stringify(answer) }));
    expect(JSON.parse(result.request.body!)).toEqual({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: 'client',
      AuthParameters: { REFRESH_TOKEN: REDACTED, SECRET_HASH: REDACTED, USERNAME: 'partner', PASSWORD: REDACTED },
    });
    expect(JSON.parse(result.response!.body!)).toEqual({
      access_token: REDACTED,
      token_type: 'Bearer',
      expires_in: 14400,
      scope: 'fields:read',
      user: { email: 'g@example.com' },
      AuthenticationResult: { IdToken: REDACTED, AccessToken: REDACTED },
    });
  });

  it('redacts an authorization code in a JSON token request, but keeps error codes and metadata keys', () => {
    const sentera = { grant_type: 'authorization_code', client_id: 'XXXX', client_secret: 'YYYY', redirect_uri: 'ZZZZ', code: 'CCCC' };
    const deereError = [{ guid: 'g', message: 'Invalid', code: 'ORG_NOT_CONNECTED', field: 'orgId' }];
    const deereEvent = [{ eventTypeId: 'fieldOperation', token: 'abc123', metadata: [{ key: 'orgId', value: '12345' }] }];
    expect(JSON.parse(redactExchange(exchange({ requestBody: JSON.stringify(sentera) })).request.body!)).toEqual({ ...sentera, client_secret: REDACTED, code: REDACTED });
    expect(JSON.parse(redactExchange(exchange({ responseBody: JSON.stringify(deereError) })).response!.body!)).toEqual(deereError);
    expect(JSON.parse(redactExchange(exchange({ requestBody: JSON.stringify(deereEvent) })).request.body!)).toEqual([
      { eventTypeId: 'fieldOperation', token: REDACTED, metadata: [{ key: 'orgId', value: '12345' }] },
    ]);
  });

  it('redacts query parameters and URL credentials', () => {
    const result = redactExchange(exchange({ url: 'https://user:pw@api.example.com/cb?client_id=a&client_secret=b&code=c&page=2' }));
    expect(result.request.url).toBe(`https://${REDACTED}@api.example.com/cb?client_id=a&client_secret=${REDACTED}&code=${REDACTED}&page=2`);
  });

  it('redacts named values in text it cannot parse: cut JSON and XML', () => {
    const cut = '{"access_token": "at-123", "refresh_token": "rt-4';
    const xml = '<accesskey><AccessKey>ak-1</AccessKey><FriendlyName>Farm</FriendlyName></accesskey>';
    expect(redactExchange(exchange({ responseBody: cut })).response?.body).toBe(`{"access_token": "${REDACTED}", "refresh_token": "rt-4`);
    const result = redactExchange(exchange({ responseHeaders: { 'content-type': 'application/xml' }, responseBody: xml }));
    expect(result.response?.body).toBe(`<accesskey><AccessKey>${REDACTED}</AccessKey><FriendlyName>Farm</FriendlyName></accesskey>`);
  });

  it('redacts known secret values wherever they appear, plain or percent-encoded', () => {
    const secret = 'my/very+secret value';
    const result = redactExchange(
      {
        ...exchange({
          url: `https://api.example.com/echo?q=${encodeURIComponent(secret)}`,
          requestBody: `note: ${secret}`,
          requestHeaders: { 'content-type': 'text/plain', 'x-debug': secret },
          responseBody: `{"message":"bad value ${secret}"}`,
        }),
        error: `failed with ${secret}`,
      },
      { secretValues: [secret, 'abc'] },
    );
    const text = JSON.stringify(result);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
    expect(result.request.body).toBe(`note: ${REDACTED}`);
    expect(result.error).toBe(`failed with ${REDACTED}`);
    // Values shorter than four characters are not searched for: "abc" is left alone.
    expect(redactExchange(exchange({ responseBody: '"abc"' }), { secretValues: ['abc'] }).response?.body).toBe('"abc"');
  });

  it('leaves the input unchanged', () => {
    const original = exchange({ requestHeaders: { authorization: 'Bearer x' }, requestBody: 'refresh_token=y' });
    const copy = structuredClone(original);
    redactExchange(original);
    expect(original).toEqual(copy);
  });
});

describe('secret names', () => {
  it('covers the names providers use for secrets, and not their ordinary fields', () => {
    for (const name of ['access_token', 'refreshToken', 'X_access_token', 'refresh_Token', 'client_secret', 'sharedSecret', 'apiKey', 'X-SS-AccessKey', 'privateKey', 'subscriptionKey', 'password', 'pwd', 'code_verifier', 'sessionId', 'Authorization', 'accessTokenClient', 'client_assertion']) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of ['client_id', 'clientKey', 'publicKey', 'token_type', 'expires_in', 'scope', 'username', 'organizationCode', 'databaseId', 'grant_type', 'content-type', 'redirect_uri', 'key', 'code']) {
      expect(isSecretName(name), name).toBe(false);
    }
  });
});
