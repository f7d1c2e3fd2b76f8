/**
 * The AgLeader adapter against its emulator, over real HTTP on loopback: the sandbox app on
 * port 0, the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { agFinitiBasicAuthorization, agLeaderAdapter, agLeaderAuthorizeUrl, listAgFinitiFiles, type AgLeaderCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;

async function connect() {
  const account = await sandbox.createAccount('ag-leader');
  const fields = account.credentials as unknown as AgLeaderCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('ag-leader', { environment: 'PRODUCTION', secretValues: [fields.privateKey, fields.refreshToken, fields.accessToken!] });
  const credential = (tokens?: TokenSet, overrides: Partial<AgLeaderCredentialFields> = {}): ProviderCredential<AgLeaderCredentialFields> => ({
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

describe('the AgLeader adapter against its emulator', () => {
  it('hands out every field of the body, the access token stale', async () => {
    const { fields, ctx } = await connect();
    expect(Object.keys(fields).sort()).toEqual(['accessToken', 'privateKey', 'publicKey', 'refreshToken']);
    expect((await failure(listAgFinitiFiles(ctx, fields.accessToken!))).errorClass).toBe('auth_expired');
  });

  it('validates a sandbox credential: a refresh with the key pair as Basic, one file page read, an hour-long token', async () => {
    const { id, fields, ctx, credential, exchanges } = await connect();
    const before = Date.now();
    const tokens = await agLeaderAdapter.validate(credential(), ctx);
    expect(tokens?.accessToken).toMatch(/^sbx_at_/);
    // [I] Not rotated: the same refresh token comes back.
    expect(tokens?.refreshToken).toBe(fields.refreshToken);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(HOUR_MS - 5_000);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
    const [tokenCall, filesCall] = exchanges;
    expect(tokenCall!.request.url).toMatch(/\/sandbox\/ag-leader\/api\/token$/);
    expect(tokenCall!.request.body).toContain('grant_type=refresh_token');
    expect(filesCall!.request.url).toMatch(/\/sandbox\/ag-leader\/api\/v1\/files\?page=1&pageSize=1$/);
  });

  it('sends the key pair exactly as the tutorial builds the Basic header', async () => {
    const { fields } = await connect();
    const response = await fetch(`${sandbox.sandboxBaseUrl}/ag-leader/api/token`, {
      method: 'POST',
      headers: { authorization: agFinitiBasicAuthorization(fields.publicKey, fields.privateKey) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: fields.refreshToken }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'bearer', expires_in: 3600, refresh_token: fields.refreshToken });
  });

  it('refuses a wrong private key with 400 invalid_client: auth_revoked', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(agLeaderAdapter.validate(credential(undefined, { privateKey: 'not-the-private-key' }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('invalid_client');
  });

  it('answers invalid_grant to the next refresh after a revoke fault: auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    const tokens = await agLeaderAdapter.refresh(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(agLeaderAdapter.refresh(credential(tokens), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('invalid_grant');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
    // The grant's access tokens went with it.
    expect((await failure(listAgFinitiFiles(ctx, tokens.accessToken))).errorClass).toBe('auth_expired');
  });

  it('answers 401 once the access token has expired: auth_expired, and a refresh mends it', async () => {
    const { ctx, credential } = await connect();
    const tokens = await agLeaderAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(HOUR_MS + 1_000);
    const error = await failure(listAgFinitiFiles(ctx, tokens.accessToken));
    expect(error).toMatchObject({ errorClass: 'auth_expired', status: 401 });
    expect(error.reason).toContain('Authorization has been denied');
    const again = await agLeaderAdapter.refresh(credential(tokens), ctx);
    await expect(listAgFinitiFiles(ctx, again.accessToken)).resolves.toEqual({ files: [], totalCount: 0 });
  });

  it('takes the read scope away with limitedPermission: forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(agLeaderAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
    expect(error.reason).toContain('read scope');
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const tokens = await agLeaderAdapter.validate(credential(), ctx); // the one call of this minute
    const error = await failure(listAgFinitiFiles(ctx, tokens!.accessToken));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    sandbox.advanceClock(61_000);
    await expect(listAgFinitiFiles(ctx, tokens!.accessToken)).resolves.toMatchObject({ files: [] });
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 3, rateLimited: 1 });
  });

  it('serves the consent page at /Account/Authorize, whose Approve redirects with a code the token endpoint exchanges', async () => {
    const { fields, ctx } = await connect();
    const url = agLeaderAuthorizeUrl(ctx, { publicKey: fields.publicKey, redirectUri: 'http://127.0.0.1:9/callback', state: 'st-3' });
    expect(url).toContain('/sandbox/ag-leader/Account/Authorize?response_type=code&');
    expect(new URL(url).searchParams.get('scope')).toBe('read readwrite');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('AgLeader AgFiniti (sandbox)');
    const params = Object.fromEntries(new URL(url).searchParams);
    const approved = await fetch(url.split('?')[0]!, { method: 'POST', body: new URLSearchParams({ ...params, decision: 'approve' }), redirect: 'manual' });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st-3');
    const response = await fetch(`${sandbox.sandboxBaseUrl}/ag-leader/api/token`, {
      method: 'POST',
      headers: { authorization: agFinitiBasicAuthorization(fields.publicKey, fields.privateKey) },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9/callback' }),
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as { access_token: string; refresh_token: string };
    expect(tokens.refresh_token).not.toBe(fields.refreshToken);
    await expect(listAgFinitiFiles(ctx, tokens.access_token)).resolves.toMatchObject({ totalCount: 0 });
  });

  it('records every exchange redacted: no token or key value appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect();
    const first = await agLeaderAdapter.validate(credential(), ctx);
    const second = await agLeaderAdapter.refresh(credential(first), ctx);
    await listAgFinitiFiles(ctx, second.accessToken);
    expect(exchanges.length).toBeGreaterThanOrEqual(4);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.privateKey, fields.refreshToken, first!.accessToken, second.accessToken, agFinitiBasicAuthorization(fields.publicKey, fields.privateKey).slice(6)]) {
      expect(recorded).not.toContain(secret);
    }
    expect(recorded).toContain('[redacted]');
  });
});
