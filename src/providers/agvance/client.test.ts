/**
 * Agvance's wire format and error classes, pure. SSI publishes no login example (providers.md
 * 11.9), so there are no known-answer vectors: the login body below is computed from the [I]
 * wire format `client.ts` states, and the login itself is tested against the emulator
 * (`agvance.integration.test.ts`). The envelope's Status values are the help pages' (providers.md 11.2).
 */
import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from '../adapter-context.js';
import type { HttpResult } from '../provider.js';
import { AGVANCE_HOSTS, AGVANCE_SESSION_SECONDS, AGVANCE_STATUS, agvanceLoginBody, classifyAgvanceError } from './client.js';

const result = (purpose: HttpResult['purpose'], status: number, body: unknown = '', headers: Record<string, string> = {}): HttpResult => ({
  purpose,
  status,
  headers,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe("classifying Agvance's answers", () => {
  it.each([
    ['a login 401 (wrong password, key or database, or an inactive API user)', result('token', 401, { Status: 1, Message: 'Login failed' }), 'auth_revoked'],
    ['a login 403 (the API user has no API access)', result('token', 403, { Status: 1, Message: 'No API access' }), 'forbidden_scope'],
    ['a login 400', result('token', 400, { Status: 1, Message: 'Expected a JSON body' }), 'permanent'],
    ['a data call 401 (the session expired)', result('api', 401, { Status: 1, Message: 'Session expired' }), 'auth_expired'],
    ["a data call 403 (the API user's security hides the area)", result('api', 403, { Status: 1, Message: 'Not allowed' }), 'forbidden_scope'],
    ['a data call 404', result('api', 404), 'not_found'],
    ['429', result('api', 429), 'rate_limited'],
    ['a login 503', result('token', 503), 'retry_later'],
    ['a 200 whose envelope says Status 1', result('api', 200, { Status: AGVANCE_STATUS.error, Message: 'Customer not found' }), 'permanent'],
    ['a 200 whose envelope says Status 2', result('api', 200, { Status: AGVANCE_STATUS.otherError, Message: 'Database offline' }), 'permanent'],
  ])('%s is %s', (_name, answer, errorClass) => {
    expect(classifyAgvanceError(answer)?.errorClass).toBe(errorClass);
  });

  it('leaves successes unclassified: Status 0, and Status 3 ("descriptive message, process was successful")', () => {
    expect(classifyAgvanceError(result('api', 200, { Status: AGVANCE_STATUS.success, Message: 'OK' }))).toBeUndefined();
    expect(classifyAgvanceError(result('api', 200, { Status: AGVANCE_STATUS.successWithMessage, Message: 'Saved with warnings' }))).toBeUndefined();
    expect(classifyAgvanceError(result('api', 200, 'not json'))).toBeUndefined();
  });

  it("adds Agvance's Message to the reason and keeps Retry-After", () => {
    expect(classifyAgvanceError(result('token', 401, { Status: 1, Message: 'Login failed: invalid database id, user name or password.' }))?.reason).toBe(
      'token endpoint answered 401: Login failed: invalid database id, user name or password.',
    );
    expect(classifyAgvanceError(result('api', 200, { Status: 2, Message: 'Database offline' }))?.reason).toBe('Agvance answered 200 with Status 2: Database offline');
    expect(classifyAgvanceError(result('api', 429, '', { 'retry-after': '30' }))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 30_000 });
  });
});

describe("Agvance's login", () => {
  it('sends the database id, user name and password in PascalCase ([I] computed vector)', () => {
    expect(JSON.stringify(agvanceLoginBody({ databaseId: 'DB01', username: 'api.user', password: 'p@ss' }))).toBe('{"DatabaseID":"DB01","UserName":"api.user","Password":"p@ss"}');
  });

  it('takes a session for 20 minutes ([I] the ASP.NET default session timeout)', () => {
    expect(AGVANCE_SESSION_SECONDS).toBe(1200);
  });
});

describe("Agvance's hosts", () => {
  it('are apidev in STAGE and api in PRODUCTION (providers.md 11.2), served at /sandbox/agvance in the sandbox', () => {
    expect(resolveBaseUrl(AGVANCE_HOSTS.api, { providerId: 'agvance', environment: 'STAGE' })).toBe('https://apidev.agvance.net');
    expect(resolveBaseUrl(AGVANCE_HOSTS.api, { providerId: 'agvance', environment: 'PRODUCTION' })).toBe('https://api.agvance.net');
    expect(resolveBaseUrl(AGVANCE_HOSTS.api, { providerId: 'agvance', environment: 'STAGE', sandboxBaseUrl: 'http://127.0.0.1:9/sandbox' })).toBe('http://127.0.0.1:9/sandbox/agvance');
  });
});
