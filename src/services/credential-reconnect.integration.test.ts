/**
 * Reconnecting, for a provider whose refresh tokens die at their first use with no grace
 * (providers.md 5.1): the posted refresh token was spent by the first validation, so posting the
 * same body again continues the stored grant; and tokens a validation received before its data
 * call failed are stored, never lost. The sandbox counts every refresh token redeemed twice and
 * every `invalid_grant`: there must be none. The provider is chosen by what it does, not by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import { providers } from '../providers/registry.js';
import { testDatabases } from '../storage/testing/test-databases.js';

const databases = await testDatabases();
const singleUse = Object.values(providers).find((p) => p.adapter !== undefined && p.capabilities.rotatesRefreshToken && p.emulator?.oauth.rotation?.graceSeconds === 0);
const users = '/services/usermanagement/api/users';

describe.each(databases)('reconnecting a credential with single-use refresh tokens on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true });
  });
  afterAll(async () => h?.close());

  async function connected() {
    const provider = singleUse!;
    const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
    const account = (await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: provider.id } })).json() as { id: string; credentials: Record<string, string> };
    const url = `${users}/${userId}/${provider.credentialsPath}`;
    const faults = async (payload: Record<string, unknown>) => expect((await h.request({ method: 'POST', url: `/sandbox/api/accounts/${account.id}/faults`, payload })).statusCode).toBe(200);
    const stats = async () => (await h.request({ method: 'GET', url: `/sandbox/api/accounts/${account.id}/stats` })).json();
    return { account, url, faults, stats };
  }

  it('has such a provider', () => {
    expect(singleUse).toBeDefined();
  });

  it('continues the stored grant when the same body is posted again: nothing redeemed twice', async () => {
    const { account, url, stats } = await connected();
    const first = await h.request({ method: 'POST', url, payload: account.credentials });
    expect(first.statusCode, first.body).toBe(201);
    expect((await h.request({ method: 'POST', url: `${url}/refresh` })).json().status).toBe('OK');
    const again = await h.request({ method: 'POST', url, payload: account.credentials });
    expect(again.statusCode, again.body).toBe(201);
    expect(again.json()).toMatchObject({ id: first.json().id, status: 'OK' });
    expect((await h.request({ method: 'POST', url: `${url}/refresh` })).json().status).toBe('OK');
    expect(await stats()).toMatchObject({ refreshes: 4, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0 });
  });

  it('stores the tokens a validation received before its data call failed, so the credential recovers', async () => {
    const { account, url, faults, stats } = await connected();
    await faults({ rateLimitPerMinute: 1 });
    // The minute's one call is already used (by another client of the same app, say).
    const sandboxAccount = h.sandboxStore!.get(account.id)!;
    sandboxAccount.faults.admitted.push(h.sandboxStore!.now());
    const posted = await h.request({ method: 'POST', url, payload: account.credentials });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json().status).toBe('TEMPORARILY_UNAVAILABLE');
    await faults({});
    const later = await h.services.credentials.refresh(posted.json().id, { force: true });
    expect(later.record.status).toBe('OK');
    expect(await stats()).toMatchObject({ refreshes: 2, rateLimited: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0 });
  });

  it('keeps the rotated tokens of a repost the provider refuses, so the stored credential still refreshes', async () => {
    const { account, url, faults, stats } = await connected();
    expect((await h.request({ method: 'POST', url, payload: account.credentials })).statusCode).toBe(201);
    await faults({ limitedPermission: true });
    const refused = await h.request({ method: 'POST', url, payload: account.credentials });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errorKey).toBe('credentials_invalid');
    await faults({});
    const refreshed = await h.request({ method: 'POST', url: `${url}/refresh` });
    expect(refreshed.json().status).toBe('OK');
    expect(await stats()).toMatchObject({ refreshes: 3, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0 });
  });
});
