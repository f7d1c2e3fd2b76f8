/**
 * Logs are JSON lines with a request id per request, and no password, key or token reaches them,
 * even at the most verbose level, through the whole credential lifecycle.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { sqliteTestDatabase } from '../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from './testing/api-harness.js';

describe('logs', () => {
  const lines: string[] = [];
  let h: ApiHarness;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    h = await startApiHarness(sqliteTestDatabase, { sandbox: true, logger: createLogger('trace', sink) });
  });
  afterAll(async () => h?.close());

  it('carry a request id per request and never a secret', async () => {
    await h.services.apiOwners.create('logs@example.com', 'log password 123');
    const auth = await h.request({ method: 'POST', url: '/api/authenticate', token: null, payload: { username: 'logs@example.com', password: 'log password 123' } });
    const token = auth.json().id_token as string;
    const user = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', token, payload: { name: 'g' } })).json();
    const account = (await h.request({ method: 'POST', url: '/sandbox/api/accounts', token, payload: { provider: 'john-deere' } })).json();
    const base = `/services/usermanagement/api/users/${user.id}/john-deere-credentials`;
    expect((await h.request({ method: 'POST', url: base, token, payload: account.credentials })).statusCode).toBe(201);
    await h.request({ method: 'POST', url: `${base}/refresh`, token });
    await h.request({ method: 'POST', url: '/api/authenticate', token: null, payload: { username: 'logs@example.com', password: 'wrong password here' } });
    await h.request({ method: 'GET', url: base, token: 'garbage-token-value' });

    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = parsed.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(6);
    for (const r of requests) expect(r.reqId).toEqual(expect.any(String));

    const secrets = ['log password 123', 'wrong password here', token, account.credentials.clientSecret, account.credentials.refreshToken];
    for (const secret of secrets) expect(lines.join('\n')).not.toContain(secret);
  });
});
