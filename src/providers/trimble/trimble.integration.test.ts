/**
 * The Trimble adapter against its emulator, over real HTTP on loopback: the sandbox app on port 0,
 * the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { fetchTrimblePage, listOrganizationFields, listOrganizations, organizationAuthorizationUrl, trimbleAdapter, trimbleAuthorizeUrl, type TrimbleCredentialFields } from './client.js';
import { TRIMBLE_SANDBOX_APPLICATION } from './emulator.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

type EmulatedOrganization = { id: string; number: string; name: string; connected: boolean };

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('trimble', options);
  const fields = account.credentials as unknown as TrimbleCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('trimble', { environment: 'PRODUCTION', secretValues: [fields.clientSecret, fields.refreshToken] });
  const credential = (tokens?: TokenSet): ProviderCredential<TrimbleCredentialFields> => ({ id: 'credential-1', environment: 'PRODUCTION', fields, tokens });
  const emulated = async () => (await sandbox.control('GET', `/accounts/${account.id}`)).body.organizations as EmulatedOrganization[];
  return { id: account.id, fields, ctx, exchanges, credential, emulated };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('the Trimble adapter against its emulator', () => {
  it("validates a sandbox credential: a new single-use refresh token, a 1-hour access token with the application's scope, one page of organizations", async () => {
    const { id, fields, ctx, credential } = await connect();
    const before = Date.now();
    const tokens = await trimbleAdapter.validate(credential(), ctx);
    expect(tokens?.refreshToken).toBeDefined();
    expect(tokens?.refreshToken).not.toBe(fields.refreshToken);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(HOUR_MS - 5_000);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeLessThanOrEqual(HOUR_MS + 5_000);
    expect(tokens?.scopes).toEqual(['openid', TRIMBLE_SANDBOX_APPLICATION]);
    expect(JSON.stringify(tokens?.raw)).not.toContain(tokens!.accessToken);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
  });

  it('rotates the refresh token on every refresh; refreshing in turn never redeems one twice', async () => {
    const { id, fields, ctx, credential } = await connect();
    const seen = [fields.refreshToken];
    let tokens: TokenSet | undefined;
    for (let i = 0; i < 4; i++) {
      tokens = await trimbleAdapter.refresh(credential(tokens), ctx);
      seen.push(tokens.refreshToken!);
    }
    expect(new Set(seen).size).toBe(5);
    expect(await sandbox.stats(id)).toMatchObject({ tokenRequests: 4, refreshes: 4, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0 });
  });

  it('refuses a refresh token presented a second time at once, with no grace: invalid_grant, auth_revoked, counted as redeemed twice', async () => {
    const { id, ctx, credential } = await connect();
    const first = await trimbleAdapter.refresh(credential(), ctx);
    // The same request again straight away, as a retry after a lost answer would send it.
    const error = await failure(trimbleAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('invalid_grant');
    expect(await sandbox.stats(id)).toMatchObject({ refreshes: 1, refreshTokensRedeemedTwice: 1, invalidGrantAnswers: 1 });
    // The successor is still good: single use is per token, not a revocation of the grant.
    await expect(trimbleAdapter.refresh(credential(first), ctx)).resolves.toMatchObject({ refreshToken: expect.any(String) });
  });

  it('lets an unused refresh token expire 7 days after issue, and not before', async () => {
    const { ctx, credential } = await connect();
    sandbox.advanceClock(7 * DAY_MS - HOUR_MS);
    const tokens = await trimbleAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(7 * DAY_MS + 1_000);
    expect((await failure(trimbleAdapter.refresh(credential(tokens), ctx))).errorClass).toBe('auth_revoked');
  });

  it('answers invalid_grant to the next refresh after a revoke fault: auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(trimbleAdapter.validate(credential(), ctx));
    expect(error.errorClass).toBe('auth_revoked');
    expect(error.tokens).toBeUndefined();
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('throws the rotated tokens with a validation whose data call is rate limited, so the live refresh token is not lost', async () => {
    const { id, ctx, credential } = await connect();
    const first = await trimbleAdapter.validate(credential(), ctx); // the one API call of this minute
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const error = await failure(trimbleAdapter.validate(credential(first), ctx));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.reason).toContain('Too many requests');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    const rotated = error.tokens!;
    expect(rotated.refreshToken).toBeDefined();
    expect(rotated.refreshToken).not.toBe(first!.refreshToken);
    // The token the failed validation was given is spent; the one it threw is the live one.
    expect((await failure(trimbleAdapter.refresh(credential(first), ctx))).errorClass).toBe('auth_revoked');
    await expect(trimbleAdapter.refresh(credential(rotated), ctx)).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(await sandbox.stats(id)).toMatchObject({ rateLimited: 1, refreshTokensRedeemedTwice: 1 });
  });

  it('fails every call with errorRate 1: 503 with Retry-After, retry_later, and the refresh token is not spent', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { errorRate: 1 });
    const error = await failure(trimbleAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'retry_later', status: 503, retryAfterMs: 1_000 });
    await sandbox.setFaults(id, {});
    await expect(trimbleAdapter.refresh(credential(), ctx)).resolves.toMatchObject({ refreshToken: expect.any(String) });
    expect((await sandbox.stats(id)).refreshTokensRedeemedTwice).toBe(0);
  });

  it('gives no answer while down: retry_later, and the refresh token is not spent', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { downForSeconds: 60 });
    expect((await failure(trimbleAdapter.validate(credential(), ctx))).errorClass).toBe('retry_later');
    sandbox.advanceClock(61_000);
    await expect(trimbleAdapter.validate(credential(), ctx)).resolves.toMatchObject({ refreshToken: expect.any(String) });
  });

  it("takes the application's scope away with limitedPermission: forbidden_scope, and the rotated tokens come with it", async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(trimbleAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
    expect(error.reason).toContain(TRIMBLE_SANDBOX_APPLICATION);
    expect(error.tokens?.scopes).toEqual(['openid']);
  });

  it('answers 401 once the access token has expired: auth_expired', async () => {
    const { ctx, credential } = await connect();
    const tokens = await trimbleAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(HOUR_MS + 1_000);
    expect((await failure(listOrganizations(ctx, tokens.accessToken))).errorClass).toBe('auth_expired');
  });

  it('lists only the organizations the grower authorized, all connected, managed on the authorization page', async () => {
    const { fields, ctx, credential, emulated } = await connect();
    const tokens = await trimbleAdapter.refresh(credential(), ctx);
    const organizations = await trimbleAdapter.listOrganizations!(credential(tokens), ctx);
    const authorized = (await emulated()).filter((o) => o.connected);
    expect(authorized).toHaveLength(2);
    expect(organizations.map(({ id, name }) => ({ id, name }))).toEqual(authorized.map(({ id, name }) => ({ id, name })));
    const connectUrl = organizationAuthorizationUrl(ctx, fields.clientId);
    expect(connectUrl).toContain('/sandbox/trimble/trimbleag/ThirdPartyAccess/ThirdPartyAuthorizationRedirect?clientid=');
    for (const organization of organizations) expect(organization).toMatchObject({ connected: true, connectUrl });
    expect((await failure(trimbleAdapter.listOrganizations!(credential(), ctx))).errorClass).toBe('auth_expired');
  });

  it('pages with bookmarks: moreResults "true" until the last page, then "false" and no token', async () => {
    const { ctx, credential, exchanges } = await connect({ scenario: 'large', fields: 60 });
    const tokens = await trimbleAdapter.refresh(credential(), ctx);
    const organizations = await listOrganizations(ctx, tokens.accessToken);
    expect(organizations).toHaveLength(5); // six organizations, the last not authorized
    expect(new Set(organizations.map((o) => o.id)).size).toBe(5);
    const pages = exchanges.filter((e) => e.request.url.includes('/config/organizations')).map((e) => JSON.parse(e.response!.body!) as { result: unknown[]; bookmark: { token: string | null; moreResults: string } });
    expect(pages.map((p) => [p.result.length, p.bookmark.moreResults])).toEqual([
      [2, 'true'],
      [2, 'true'],
      [1, 'false'],
    ]);
    // (The recorded bookmark token is redacted by name, as every `token` is: read the last page directly.)
    const second = await fetchTrimblePage(ctx, tokens.accessToken, '/config/organizations', { bookmark: (await fetchTrimblePage(ctx, tokens.accessToken, '/config/organizations')).bookmark });
    const last = await fetchTrimblePage(ctx, tokens.accessToken, '/config/organizations', { bookmark: second.bookmark });
    expect(last).toMatchObject({ bookmark: undefined, moreResults: false });
    const fields = await listOrganizationFields(ctx, tokens.accessToken, organizations[0]!.id);
    expect(fields).toHaveLength(10);
    expect(new Set(fields.map((f) => f['id'])).size).toBe(10);
  });

  it('refuses a bookmark from another collection with 400: permanent', async () => {
    const { ctx, credential } = await connect({ scenario: 'large', fields: 30 });
    const tokens = await trimbleAdapter.refresh(credential(), ctx);
    const first = await fetchTrimblePage(ctx, tokens.accessToken, '/config/organizations');
    const [organization] = await listOrganizations(ctx, tokens.accessToken);
    const error = await failure(fetchTrimblePage(ctx, tokens.accessToken, `/resources/${organization!.id}/fields`, { bookmark: first.bookmark }));
    expect(error).toMatchObject({ errorClass: 'permanent', status: 400 });
  });

  it("answers 403 on an unauthorized organization's fields, org_not_connected, until the grower authorizes it on trimbleag.com", async () => {
    const { fields, ctx, credential, emulated } = await connect();
    const tokens = await trimbleAdapter.refresh(credential(), ctx);
    const all = await emulated();
    const unauthorized = all.find((o) => !o.connected)!;
    const error = await failure(listOrganizationFields(ctx, tokens.accessToken, unauthorized.id));
    expect(error).toMatchObject({ errorClass: 'org_not_connected', status: 403 });
    expect(error.reason).toContain('ThirdPartyAuthorizationRedirect');

    const page = organizationAuthorizationUrl(ctx, fields.clientId, 'http://127.0.0.1:9/back');
    const shown = await fetch(page);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain(`value="${unauthorized.id}"`);
    const form = new URLSearchParams([...all.map((o): [string, string] => ['organization', o.id]), ['clientid', fields.clientId], ['redirectionUrl', 'http://127.0.0.1:9/back']]);
    const saved = await fetch(page.split('?')[0]!, { method: 'POST', body: form, redirect: 'manual' });
    expect(saved.status).toBe(302);
    expect(saved.headers.get('location')).toBe('http://127.0.0.1:9/back');
    expect((await listOrganizations(ctx, tokens.accessToken)).map((o) => o.id)).toContain(unauthorized.id);
    await expect(listOrganizationFields(ctx, tokens.accessToken, unauthorized.id)).resolves.toBeInstanceOf(Array);
  });

  it("serves TID's authorize page, whose Approve redirects with a code the token endpoint exchanges for a refresh token", async () => {
    const { fields, ctx } = await connect();
    const url = trimbleAuthorizeUrl(ctx, { clientId: fields.clientId, applicationName: TRIMBLE_SANDBOX_APPLICATION, redirectUri: 'http://127.0.0.1:9/callback', state: 'st-5' });
    expect(url).toContain('/sandbox/trimble/id/oauth/authorize?');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Trimble (sandbox)');
    const approved = await fetch(url.split('?')[0]!, { method: 'POST', body: new URLSearchParams({ ...Object.fromEntries(new URL(url).searchParams), decision: 'approve' }), redirect: 'manual' });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st-5');
    const response = await fetch(`${sandbox.sandboxBaseUrl}/trimble/id/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${fields.clientId}:${fields.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9/callback' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'bearer', expires_in: 3600, refresh_token: expect.any(String), scope: `openid ${TRIMBLE_SANDBOX_APPLICATION}` });
  });

  it('records every exchange redacted: no token or secret value appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect({ scenario: 'large', fields: 5 });
    const first = await trimbleAdapter.validate(credential(), ctx);
    const second = await trimbleAdapter.refresh(credential(first), ctx);
    await trimbleAdapter.listOrganizations!(credential(second), ctx);
    expect(exchanges.length).toBeGreaterThanOrEqual(5);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.clientSecret, fields.refreshToken, first!.accessToken, first!.refreshToken!, second.accessToken, second.refreshToken!]) {
      expect(recorded).not.toContain(secret);
    }
  });
});
