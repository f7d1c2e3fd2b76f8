/**
 * The CNH adapter against its emulator, over real HTTP on loopback: the sandbox app on port 0,
 * the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { cnhiAdapter, cnhiAuthorizeUrl, fetchUserProfile, listCnhiCompanies, type CnhiCredentialFields } from './client.js';
import { CNHI_DATA_SCOPE } from './emulator.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('cnhi', options);
  const fields = account.credentials as unknown as CnhiCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('cnhi', { environment: 'STAGE', secretValues: [fields.clientSecret, fields.subscriptionKey, fields.refreshToken] });
  const credential = (tokens?: TokenSet, overrides: Partial<CnhiCredentialFields> = {}): ProviderCredential<CnhiCredentialFields> => ({ id: 'credential-1', environment: 'STAGE', fields: { ...fields, ...overrides }, tokens });
  const auth = (tokens: TokenSet, subscriptionKey = fields.subscriptionKey) => ({ accessToken: tokens.accessToken, subscriptionKey });
  const emulated = async () => (await sandbox.control('GET', `/accounts/${account.id}`)).body.organizations as { id: string; name: string }[];
  return { id: account.id, fields, ctx, exchanges, credential, auth, emulated };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('the CNH adapter against its emulator', () => {
  it('validates a sandbox credential: a 6-hour access token, no new refresh token, and the user profile read with the subscription key', async () => {
    const { id, ctx, credential, exchanges } = await connect();
    const before = Date.now();
    const tokens = await cnhiAdapter.validate(credential(), ctx);
    expect(tokens?.refreshToken).toBeUndefined();
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(21_600_000 - 5_000);
    expect(tokens?.scopes).toContain(CNHI_DATA_SCOPE);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
    // Auth0 style: the client secret travels in the form body, not as HTTP Basic.
    const token = exchanges.find((e) => e.request.url.endsWith('/identity/oauth/token'))!;
    expect(token.request.headers['authorization']).toBeUndefined();
    expect(token.request.body).toContain('client_secret=[redacted]');
    expect(token.request.body).toContain('grant_type=refresh_token');
    const profile = exchanges.find((e) => e.request.url.endsWith('/ag-api/v2/myUserProfile'))!;
    expect(profile.request.headers['ocp-apim-subscription-key']).toBe('[redacted]');
    expect(profile.request.headers['accept']).toBe('application/vnd.api+json');
  });

  it('refreshes to a new access token and keeps the same refresh token working: Auth0 without rotation', async () => {
    const { id, ctx, credential } = await connect();
    const first = await cnhiAdapter.refresh(credential(), ctx);
    const second = await cnhiAdapter.refresh(credential(first), ctx);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await sandbox.stats(id)).toMatchObject({ refreshes: 2, refreshTokensRedeemedTwice: 0 });
  });

  it('reads the profile with the company id, "the id of the organization at CNHi"', async () => {
    const { ctx, credential, auth, emulated } = await connect();
    const tokens = await cnhiAdapter.refresh(credential(), ctx);
    const profile = await fetchUserProfile(ctx, auth(tokens));
    expect(profile.companyId).toBe((await emulated())[0]!.id);
    expect(profile.email).toContain('@example.com');
  });

  it('lists every company over JSON:API links.next pages', async () => {
    const { ctx, credential, auth, emulated, exchanges } = await connect({ scenario: 'large', fields: 12 });
    const tokens = await cnhiAdapter.refresh(credential(), ctx);
    const companies = await listCnhiCompanies(ctx, auth(tokens));
    expect(companies).toEqual((await emulated()).map(({ id, name }) => ({ id, name })));
    expect(exchanges.filter((e) => e.request.url.includes('/v2/companies')).length).toBe(3);
  });

  it('refuses data calls without a subscription key, or with an unknown one, with 401: auth_revoked', async () => {
    const { ctx, credential, auth } = await connect();
    const tokens = await cnhiAdapter.refresh(credential(), ctx);
    const missing = await failure(fetchUserProfile(ctx, auth(tokens, '')));
    expect(missing).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(missing.reason).toContain('missing subscription key');
    const unknown = await failure(cnhiAdapter.validate(credential(undefined, { subscriptionKey: 'not-a-key' }), ctx));
    expect(unknown).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(unknown.reason).toContain('invalid subscription key');
  });

  it("refuses another account's subscription key with this account's token: auth_expired, as the gateway's JWT check answers", async () => {
    const mine = await connect();
    const other = await connect();
    const tokens = await cnhiAdapter.refresh(mine.credential(), mine.ctx);
    expect((await failure(fetchUserProfile(mine.ctx, mine.auth(tokens, other.fields.subscriptionKey)))).errorClass).toBe('auth_expired');
  });

  it('answers 403 invalid_grant (as Auth0 does) after a revoke fault: auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(cnhiAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 403 });
    expect(error.reason).toContain('invalid_grant');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('answers 401 access_denied to a wrong client secret: auth_revoked', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(cnhiAdapter.refresh(credential(undefined, { clientSecret: 'wrong-secret' }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('access_denied');
  });

  it('revokes the refresh token at /oauth/revoke with the secret in the body; the next refresh is refused', async () => {
    const { id, ctx, credential, exchanges } = await connect();
    const tokens = await cnhiAdapter.refresh(credential(), ctx);
    await cnhiAdapter.revoke!(credential(tokens), ctx);
    const revoke = exchanges.find((e) => e.request.url.endsWith('/identity/oauth/revoke'))!;
    expect(revoke.response?.status).toBe(200);
    expect(revoke.request.body).toContain('token_type_hint=refresh_token');
    expect((await failure(cnhiAdapter.refresh(credential(tokens), ctx))).errorClass).toBe('auth_revoked');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('answers 429 "Rate limit is exceeded" with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential, auth } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const tokens = await cnhiAdapter.validate(credential(), ctx); // the one call of this minute
    const error = await failure(fetchUserProfile(ctx, auth(tokens!)));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.reason).toContain('Rate limit is exceeded');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    sandbox.advanceClock(61_000);
    await expect(fetchUserProfile(ctx, auth(tokens!))).resolves.toMatchObject({ id: expect.any(String) });
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 3, rateLimited: 1 });
  });

  it('takes the data permission away with limitedPermission: a JSON:API 403, forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(cnhiAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
    expect(error.reason).toContain(CNHI_DATA_SCOPE);
  });

  it('answers 401 once the access token has expired: auth_expired', async () => {
    const { ctx, credential, auth } = await connect();
    const tokens = await cnhiAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(6 * HOUR_MS + 1_000);
    expect((await failure(fetchUserProfile(ctx, auth(tokens)))).errorClass).toBe('auth_expired');
  });

  it('serves the authorize page only with audience and connection; Approve redirects with a code the token endpoint exchanges', async () => {
    const { fields, ctx } = await connect();
    const url = cnhiAuthorizeUrl(ctx, { clientId: fields.clientId, redirectUri: 'http://127.0.0.1:9/callback', state: 'st-3' });
    expect(url).toContain('/sandbox/cnhi/identity/authorize?');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('CNH Industrial (sandbox)');

    const withoutAudience = new URL(url);
    withoutAudience.searchParams.delete('audience');
    const refused = await fetch(withoutAudience, { redirect: 'manual' });
    expect(refused.status).toBe(302);
    expect(new URL(refused.headers.get('location')!).searchParams.get('error_description')).toBe('The parameter audience is required.');

    const approved = await fetch(url.split('?')[0]!, { method: 'POST', body: new URLSearchParams({ ...Object.fromEntries(new URL(url).searchParams), decision: 'approve' }), redirect: 'manual' });
    expect(approved.status).toBe(302);
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    const response = await fetch(`${sandbox.sandboxBaseUrl}/cnhi/identity/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code', client_id: fields.clientId, client_secret: fields.clientSecret, code, redirect_uri: 'http://127.0.0.1:9/callback' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', expires_in: 21_600, refresh_token: expect.any(String), scope: 'offline_access' });
  });

  it('records every exchange redacted: no token, key or secret value appears', async () => {
    const { fields, ctx, exchanges, credential, auth } = await connect({ scenario: 'large', fields: 5 });
    const first = await cnhiAdapter.validate(credential(), ctx);
    const second = await cnhiAdapter.refresh(credential(first), ctx);
    await listCnhiCompanies(ctx, auth(second));
    await cnhiAdapter.revoke!(credential(second), ctx);
    expect(exchanges.length).toBeGreaterThanOrEqual(6);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.clientSecret, fields.subscriptionKey, fields.refreshToken, first!.accessToken, second.accessToken]) {
      expect(recorded).not.toContain(secret);
    }
  });
});
