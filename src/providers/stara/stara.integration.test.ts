/**
 * The Stara adapter against its emulator, over real HTTP on loopback: the sandbox app on port 0,
 * the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { exchangeStaraTokens, listStaraFields, staraAdapter, type StaraCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('stara', options);
  const fields = account.credentials as unknown as StaraCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('stara', { environment: 'PRODUCTION', secretValues: [fields.apiKey, fields.accessToken, fields.accessTokenClient, fields.refreshToken] });
  const credential = (tokens?: TokenSet, overrides: Partial<StaraCredentialFields> = {}): ProviderCredential<StaraCredentialFields> => ({
    id: 'credential-1',
    environment: 'PRODUCTION',
    fields: { ...fields, ...overrides },
    tokens,
  });
  return { id: account.id, fields, ctx, exchanges, credential };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('the Stara adapter against its emulator', () => {
  it('hands out the four fields Leaf stores, the posted access token stale', async () => {
    const { fields, ctx } = await connect();
    expect(Object.keys(fields).sort()).toEqual(['accessToken', 'accessTokenClient', 'apiKey', 'refreshToken']);
    const error = await failure(listStaraFields(ctx, fields.accessToken));
    expect(error).toMatchObject({ errorClass: 'auth_expired', status: 401 });
  });

  it('validates a sandbox credential: one exchange at /token, the fields read with X-Access-Token', async () => {
    const { id, fields, ctx, credential, exchanges } = await connect({ seed: 5 });
    const before = Date.now();
    const tokens = await staraAdapter.validate(credential(), ctx);
    expect(tokens?.accessToken).toMatch(/^sbx_at_/);
    // The exchange answers the refresh token the body already holds: nothing rotates.
    expect(tokens?.refreshToken).toBe(fields.refreshToken);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(HOUR_MS - 5_000);
    expect(tokens?.raw).toEqual({});
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
    const [tokenCall, fieldsCall] = exchanges;
    expect(tokenCall!.request).toMatchObject({ method: 'POST', body: 'accessTokenClient=[redacted]&apiKey=[redacted]' });
    expect(tokenCall!.request.url).toMatch(/\/sandbox\/stara\/token$/);
    expect(fieldsCall!.request.url).toMatch(/\/sandbox\/stara\/talhoes$/);
    expect(fieldsCall!.request.headers['x-access-token']).toBe('[redacted]');
  });

  it('lists the grower’s fields with the access token', async () => {
    const { id, ctx, credential } = await connect({ scenario: 'large', fields: 7 });
    const tokens = await staraAdapter.refresh(credential(), ctx);
    const listed = await listStaraFields(ctx, tokens.accessToken);
    const account = (await sandbox.control('GET', `/accounts/${id}`)).body as { fieldCount: number };
    expect(listed).toHaveLength(account.fieldCount);
    expect(listed[0]).toEqual({ id: expect.any(String), nome: expect.any(String), idOrganizacao: expect.any(String) });
  });

  it('refreshes by exchanging again: a new access token each time, the old ones still good until they expire', async () => {
    const { ctx, credential } = await connect();
    const first = await staraAdapter.refresh(credential(), ctx);
    const second = await staraAdapter.refresh(credential(first), ctx);
    expect(second.accessToken).not.toBe(first.accessToken);
    await expect(listStaraFields(ctx, first.accessToken)).resolves.toBeInstanceOf(Array);
    sandbox.advanceClock(HOUR_MS + 1_000);
    expect((await failure(listStaraFields(ctx, second.accessToken))).errorClass).toBe('auth_expired');
    await expect(staraAdapter.refresh(credential(second), ctx)).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('takes the JSON body of Leaf’s docs as well as the form of Postman', async () => {
    const { fields } = await connect();
    const response = await fetch(`${sandbox.sandboxBaseUrl}/stara/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: fields.apiKey, accessTokenClient: fields.accessTokenClient }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ X_access_token: expect.any(String), refresh_Token: fields.refreshToken, expires_in: 3600 });
    const keyOnly = await fetch(`${sandbox.sandboxBaseUrl}/stara/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: fields.apiKey }) });
    expect(keyOnly.status).toBe(400);
    expect(((await keyOnly.json()) as { message: string }).message).toContain('accessTokenClient');
  });

  it('refuses an unknown API key with 401: auth_revoked', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(staraAdapter.validate(credential(undefined, { apiKey: 'sandbox-not-a-key' }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('API key inválida');
  });

  it('refuses the client token after a revoke fault: 401 at /token, auth_revoked, counted as invalid_grant', async () => {
    const { id, ctx, credential } = await connect();
    const tokens = await staraAdapter.refresh(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(exchangeStaraTokens(credential(tokens), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('Token do cliente recusado');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
    // The access tokens of the revoked client token die with it.
    expect((await failure(listStaraFields(ctx, tokens.accessToken))).errorClass).toBe('auth_expired');
  });

  it('takes telemetry access away with limitedPermission: forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(staraAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const tokens = await staraAdapter.validate(credential(), ctx);
    const error = await failure(listStaraFields(ctx, tokens!.accessToken));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 2, rateLimited: 1 });
  });

  it('records every exchange redacted: no key or token value appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect();
    const first = await staraAdapter.validate(credential(), ctx);
    const second = await staraAdapter.refresh(credential(first), ctx);
    await listStaraFields(ctx, second.accessToken);
    expect(exchanges.length).toBeGreaterThanOrEqual(4);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.apiKey, fields.accessTokenClient, fields.refreshToken, first!.accessToken, second.accessToken]) expect(recorded).not.toContain(secret);
    expect(recorded).toContain('[redacted]');
  });
});
