/**
 * The CLAAS adapter against its emulator, over real HTTP on loopback: the sandbox app on port 0,
 * the adapter through `createAdapterContext` and the global fetch. CLAAS's protocol is not public
 * (providers.md 2.9): these tests pin the guesses adapter and emulator share, marked [I].
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { CLAAS_HOSTS, claasAdapter, claasAuthorizeUrl, fetchMachinesPage, listMachines, type ClaasCredentialFields } from './client.js';
import { CLAAS_MACHINES_SCOPE } from './emulator.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('claas', options);
  const fields = account.credentials as unknown as ClaasCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('claas', { environment: 'STAGE', secretValues: [fields.clientSecret, fields.refreshToken] });
  const credential = (tokens?: TokenSet): ProviderCredential<ClaasCredentialFields> => ({ id: 'credential-1', environment: 'STAGE', fields, tokens });
  const emulated = async () => (await sandbox.control('GET', `/accounts/${account.id}`)).body.organizations as { id: string }[];
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

describe('the CLAAS adapter against its emulator', () => {
  it('validates a sandbox credential: a 1-hour access token and one machine read', async () => {
    const { id, fields, ctx, credential, exchanges } = await connect();
    const before = Date.now();
    const tokens = await claasAdapter.validate(credential(), ctx);
    expect(tokens?.refreshToken).toBe(fields.refreshToken);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(HOUR_MS - 5_000);
    expect(tokens?.scopes).toContain(CLAAS_MACHINES_SCOPE);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
    expect(exchanges.map((e) => new URL(e.request.url).pathname)).toEqual(['/sandbox/claas/oauth2/token', '/sandbox/claas/oft/v1/machines']);
  });

  it('refreshes to a new access token with the same refresh token: no rotation [I]', async () => {
    const { fields, ctx, credential } = await connect();
    const first = await claasAdapter.refresh(credential(), ctx);
    const second = await claasAdapter.refresh(credential(first), ctx);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toBe(fields.refreshToken);
  });

  it("keeps an idle refresh token alive for 90 days from its last use, and lets it lapse after [I]", async () => {
    const { ctx, credential } = await connect();
    sandbox.advanceClock(89 * DAY_MS);
    const tokens = await claasAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(89 * DAY_MS);
    await claasAdapter.refresh(credential(tokens), ctx);
    sandbox.advanceClock(91 * DAY_MS);
    expect((await failure(claasAdapter.refresh(credential(tokens), ctx))).errorClass).toBe('auth_revoked');
  });

  it("lists the customer organization's machines over page/size pages, the same on every call", async () => {
    const { ctx, credential, emulated, exchanges } = await connect({ scenario: 'large', fields: 6 });
    const tokens = await claasAdapter.refresh(credential(), ctx);
    const machines = await listMachines(ctx, tokens.accessToken, { pageSize: 2 });
    const organizations = await emulated();
    expect(machines.length).toBeGreaterThanOrEqual(organizations.length);
    expect(new Set(machines.map((m) => m.id)).size).toBe(machines.length);
    expect(new Set(machines.map((m) => m.organizationId))).toEqual(new Set(organizations.map((o) => o.id)));
    for (const machine of machines) expect(machine).toMatchObject({ model: expect.any(String), serialNumber: expect.stringMatching(/^C\d{7}$/) });
    expect(exchanges.filter((e) => e.request.url.includes('/machines')).length).toBe(Math.ceil(machines.length / 2));
    expect(await listMachines(ctx, tokens.accessToken)).toEqual(machines);
  });

  it('answers an empty account with an empty first page', async () => {
    const { ctx, credential } = await connect({ scenario: 'empty' });
    const tokens = await claasAdapter.validate(credential(), ctx);
    await expect(fetchMachinesPage(ctx, tokens!.accessToken)).resolves.toEqual({ content: [], number: 0, totalPages: 0 });
  });

  it('refuses a page size past the limit with a 400 problem: permanent', async () => {
    const { ctx, credential } = await connect();
    const tokens = await claasAdapter.refresh(credential(), ctx);
    const response = await fetch(`${ctx.baseUrl(CLAAS_HOSTS.api)}/machines?size=1000`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(claasAdapter.classifyError({ purpose: 'api', status: 400, headers: {}, body: await response.text() })?.errorClass).toBe('permanent');
  });

  it('answers invalid_grant to the next refresh after a revoke fault: auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    await claasAdapter.refresh(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(claasAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('invalid_grant');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const tokens = await claasAdapter.validate(credential(), ctx); // the one call of this minute
    const error = await failure(fetchMachinesPage(ctx, tokens!.accessToken));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    sandbox.advanceClock(61_000);
    await expect(fetchMachinesPage(ctx, tokens!.accessToken)).resolves.toMatchObject({ number: 0 });
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 3, rateLimited: 1 });
  });

  it('takes the machines scope away with limitedPermission: a 403 problem, forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(claasAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
    expect(error.reason).toContain(CLAAS_MACHINES_SCOPE);
  });

  it('answers 401 once the access token has expired: auth_expired', async () => {
    const { ctx, credential } = await connect();
    const tokens = await claasAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(HOUR_MS + 1_000);
    expect((await failure(fetchMachinesPage(ctx, tokens.accessToken))).errorClass).toBe('auth_expired');
  });

  it('serves the consent page, whose Approve redirects with a code the token endpoint exchanges', async () => {
    const { fields, ctx } = await connect();
    const url = claasAuthorizeUrl(ctx, { clientKey: fields.clientKey, redirectUri: 'http://127.0.0.1:9/callback', scopes: ['offline_access', CLAAS_MACHINES_SCOPE], state: 'st-1' });
    expect(url).toContain('/sandbox/claas/oauth2/authorize?');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('CLAAS (sandbox)');
    const approved = await fetch(url.split('?')[0]!, { method: 'POST', body: new URLSearchParams({ ...Object.fromEntries(new URL(url).searchParams), decision: 'approve' }), redirect: 'manual' });
    expect(approved.status).toBe(302);
    const code = new URL(approved.headers.get('location')!).searchParams.get('code')!;
    const response = await fetch(`${sandbox.sandboxBaseUrl}/claas/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${fields.clientKey}:${fields.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:9/callback' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', expires_in: 3600, refresh_token: expect.any(String), scope: `offline_access ${CLAAS_MACHINES_SCOPE}` });
  });

  it('records every exchange redacted: no token or secret value appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect({ scenario: 'large', fields: 5 });
    const first = await claasAdapter.validate(credential(), ctx);
    const second = await claasAdapter.refresh(credential(first), ctx);
    await listMachines(ctx, second.accessToken, { pageSize: 2 });
    expect(exchanges.length).toBeGreaterThanOrEqual(4);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.clientSecret, fields.refreshToken, first!.accessToken, second.accessToken]) {
      expect(recorded).not.toContain(secret);
    }
  });
});
