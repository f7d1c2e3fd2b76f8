/**
 * The Climate FieldView adapter against its emulator, over real HTTP on loopback: the sandbox app
 * on port 0, the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { climateAuthorizeUrl, climateFieldViewAdapter, fetchResultsPage, listFields, type ClimateFieldViewCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('climate-field-view', options);
  const fields = account.credentials as unknown as ClimateFieldViewCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('climate-field-view', { environment: 'PRODUCTION', secretValues: [fields.clientSecret, fields.apiKey, fields.refreshToken] });
  const credential = (tokens?: TokenSet, overrides: Partial<ClimateFieldViewCredentialFields> = {}): ProviderCredential<ClimateFieldViewCredentialFields> => ({
    id: 'credential-1',
    environment: 'PRODUCTION',
    fields: { ...fields, ...overrides },
    tokens,
  });
  return { id: account.id, fields, ctx, exchanges, credential, auth: (tokens: TokenSet) => ({ accessToken: tokens.accessToken, apiKey: fields.apiKey }) };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('the Climate FieldView adapter against its emulator', () => {
  it('validates a sandbox credential: a rotated refresh token, a 4-hour access token, and one field read with the API key', async () => {
    const { id, fields, ctx, credential } = await connect();
    const before = Date.now();
    const tokens = await climateFieldViewAdapter.validate(credential(), ctx);
    expect(tokens?.refreshToken).toBeDefined();
    expect(tokens?.refreshToken).not.toBe(fields.refreshToken);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(14_400_000 - 5_000);
    expect(tokens?.scopes).toContain('fields:read');
    // The answer's `user` is kept, the tokens never are.
    expect(tokens?.raw).toMatchObject({ user: { email: expect.stringContaining('@example.com') } });
    expect(JSON.stringify(tokens?.raw)).not.toContain(tokens!.accessToken);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
  });

  it('rotates the refresh token on every refresh; refreshing in turn never redeems one twice', async () => {
    const { id, fields, ctx, credential } = await connect();
    const seen = [fields.refreshToken];
    let tokens: TokenSet | undefined;
    for (let i = 0; i < 4; i++) {
      tokens = await climateFieldViewAdapter.refresh(credential(tokens), ctx);
      seen.push(tokens.refreshToken!);
    }
    expect(new Set(seen).size).toBe(5);
    expect(await sandbox.stats(id)).toMatchObject({ tokenRequests: 4, refreshes: 4, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0 });
  });

  it('answers a repeated redemption inside the hour with the same new pair, so the chain never forks', async () => {
    const { id, ctx, credential } = await connect();
    const first = await climateFieldViewAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(HOUR_MS / 2);
    const retried = await climateFieldViewAdapter.refresh(credential(), ctx);
    expect(retried.refreshToken).toBe(first.refreshToken);
    expect(retried.accessToken).toBe(first.accessToken);
    expect((await sandbox.stats(id)).refreshTokensRedeemedTwice).toBe(0);
  });

  it('refuses a rotated refresh token after its hour of grace: invalid_grant, auth_revoked, counted as redeemed twice', async () => {
    const { id, ctx, credential } = await connect();
    await climateFieldViewAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(HOUR_MS + 1_000);
    const error = await failure(climateFieldViewAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('invalid_grant');
    expect(await sandbox.stats(id)).toMatchObject({ refreshTokensRedeemedTwice: 1, invalidGrantAnswers: 1 });
  });

  it('refuses a rotated refresh token once its successor was used, even inside the hour (a fork)', async () => {
    const { id, ctx, credential } = await connect();
    const first = await climateFieldViewAdapter.refresh(credential(), ctx);
    await climateFieldViewAdapter.refresh(credential(first), ctx);
    expect((await failure(climateFieldViewAdapter.refresh(credential(), ctx))).errorClass).toBe('auth_revoked');
    expect((await sandbox.stats(id)).refreshTokensRedeemedTwice).toBe(1);
  });

  it('lets an unused refresh token expire 30 days after issue', async () => {
    const { ctx, credential } = await connect();
    sandbox.advanceClock(30 * 24 * HOUR_MS + 1_000);
    expect((await failure(climateFieldViewAdapter.refresh(credential(), ctx))).errorClass).toBe('auth_revoked');
  });

  it('answers invalid_grant to the next refresh after a revoke fault: auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(climateFieldViewAdapter.validate(credential(), ctx));
    expect(error.errorClass).toBe('auth_revoked');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('refuses calls without the right X-Api-Key with 403, which is auth_revoked (only the developer can fix it)', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(climateFieldViewAdapter.validate(credential(undefined, { apiKey: 'partner-unknown-key' }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 403 });
    expect(error.reason).toContain('X-Api-Key');
  });

  it('answers 429 "Too Many Requests" with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential, auth } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const tokens = await climateFieldViewAdapter.validate(credential(), ctx); // the one call of this minute
    const error = await failure(fetchResultsPage(ctx, auth(tokens!), '/v4/fields', { limit: 1 }));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.reason).toContain('Too Many Requests');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    sandbox.advanceClock(61_000);
    await expect(fetchResultsPage(ctx, auth(tokens!), '/v4/fields', { limit: 1 })).resolves.toMatchObject({ results: [expect.any(Object)] });
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 3, rateLimited: 1 });
  });

  it('takes fields:read away with limitedPermission: forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(climateFieldViewAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
    expect(error.reason).toContain('Permission error');
  });

  it('answers 401 once the access token has expired: auth_expired', async () => {
    const { ctx, credential, auth } = await connect();
    const tokens = await climateFieldViewAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(4 * HOUR_MS + 1_000);
    expect((await failure(fetchResultsPage(ctx, auth(tokens), '/v4/fields'))).errorClass).toBe('auth_expired');
  });

  it('pages with headers: 206 while more remain, 200 for the last page, 304 when polling finds nothing new', async () => {
    const { ctx, credential, auth, exchanges } = await connect({ scenario: 'large', fields: 25 });
    const tokens = await climateFieldViewAdapter.refresh(credential(), ctx);
    const listed = await listFields(ctx, auth(tokens), { pageSize: 10 });
    expect(listed.results).toHaveLength(25);
    expect(new Set(listed.results.map((f) => f['id'])).size).toBe(25);
    expect(listed.results[0]).toMatchObject({ parent: { type: 'farm' }, resourceOwnerId: expect.any(String) });
    const polled = await listFields(ctx, auth(tokens), { pageSize: 10, since: listed.nextToken });
    expect(polled).toEqual({ results: [], nextToken: listed.nextToken });
    const statuses = exchanges.filter((e) => e.request.url.endsWith('/v4/fields')).map((e) => e.response?.status);
    expect(statuses).toEqual([206, 206, 200, 304]);
  });

  it('answers an empty account with 304 at once', async () => {
    const { ctx, credential, auth } = await connect({ scenario: 'empty' });
    const tokens = await climateFieldViewAdapter.validate(credential(), ctx);
    await expect(fetchResultsPage(ctx, auth(tokens!), '/v4/fields')).resolves.toEqual({ results: [], nextToken: undefined, more: false });
  });

  it("serves Climate's login page, whose Approve redirects with a code the token endpoint exchanges", async () => {
    const { fields, ctx } = await connect();
    const url = climateAuthorizeUrl(ctx, { clientId: fields.clientId, redirectUri: 'http://127.0.0.1:9/callback', scopes: ['fields:read', 'resourceOwners:read'], state: 'st-7' });
    expect(url).toContain('/sandbox/climate-field-view/static/app-login/index.html?');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Climate FieldView (sandbox)');
    const params = Object.fromEntries(new URL(url).searchParams);
    const approved = await fetch(url.split('?')[0]!, { method: 'POST', body: new URLSearchParams({ ...params, decision: 'approve' }), redirect: 'manual' });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st-7');
    const response = await fetch(`${sandbox.sandboxBaseUrl}/climate-field-view/api/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${fields.clientId}:${fields.clientSecret}`).toString('base64')}`, accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9/callback' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', expires_in: 14_400, scope: 'fields:read resourceOwners:read', user: expect.any(Object) });
  });

  it('records every exchange redacted: no token, key or secret value appears', async () => {
    const { fields, ctx, exchanges, credential, auth } = await connect({ scenario: 'large', fields: 5 });
    const first = await climateFieldViewAdapter.validate(credential(), ctx);
    const second = await climateFieldViewAdapter.refresh(credential(first), ctx);
    await listFields(ctx, auth(second), { pageSize: 2 });
    expect(exchanges.length).toBeGreaterThanOrEqual(5);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.clientSecret, fields.apiKey, fields.refreshToken, first!.accessToken, first!.refreshToken!, second.accessToken, second.refreshToken!]) {
      expect(recorded).not.toContain(secret);
    }
  });
});
