/**
 * The Agvance adapter against its emulator, over real HTTP on loopback: the sandbox app on port 0,
 * the adapter through `createAdapterContext` and the global fetch. The login scheme has no
 * published example (providers.md 11.9), so this is its test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { AGVANCE_LOGIN_PATH, agvanceAdapter, agvanceLogin, listAgvanceCustomers, type AgvanceCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const SESSION_MS = 20 * 60 * 1000;

async function connect(options: { scenario?: string; seed?: number } = {}) {
  const account = await sandbox.createAccount('agvance', options);
  const fields = account.credentials as unknown as AgvanceCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('agvance', { secretValues: [fields.apiKey, fields.password] });
  const credential = (overrides: Partial<AgvanceCredentialFields> = {}, tokens?: TokenSet): ProviderCredential<AgvanceCredentialFields> => ({ id: 'credential-1', environment: 'STAGE', fields: { ...fields, ...overrides }, tokens });
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

describe('the Agvance adapter against its emulator', () => {
  it('validates a sandbox credential: one login for a 20-minute session, one customer list read with it', async () => {
    const { id, fields, ctx, credential } = await connect({ seed: 3 });
    const before = Date.now();
    const session = await agvanceAdapter.validate(credential(), ctx);
    expect(session?.accessToken).toMatch(/^sbx_at_/);
    expect(session?.refreshToken).toBeUndefined();
    expect(Date.parse(session!.expiresAt!) - before).toBeGreaterThanOrEqual(SESSION_MS - 5_000);
    expect(Date.parse(session!.expiresAt!) - before).toBeLessThanOrEqual(SESSION_MS + 5_000);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
    const customers = await listAgvanceCustomers(ctx, { apiKey: fields.apiKey, sessionId: session!.accessToken });
    expect(customers.map((c) => c.Name)).toHaveLength(3);
    expect(customers[0]).toEqual({ CustomerGuid: expect.any(String), Name: expect.any(String) });
  });

  it('refreshes by logging in again: a new session each time, the password unchanged', async () => {
    const { ctx, credential } = await connect();
    const first = await agvanceAdapter.refresh(credential(), ctx);
    const second = await agvanceAdapter.refresh(credential({}, first), ctx);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).toBeUndefined();
  });

  it('sends the API key and the session as headers, and the login as PascalCase JSON', async () => {
    const { ctx, exchanges, credential } = await connect();
    await agvanceAdapter.validate(credential(), ctx);
    const [login, customers] = exchanges;
    expect(login!.request).toMatchObject({ method: 'POST', url: expect.stringMatching(new RegExp(`/sandbox/agvance${AGVANCE_LOGIN_PATH}$`)) });
    expect(login!.request.headers).toMatchObject({ apikey: '[redacted]', 'content-type': 'application/json' });
    expect(JSON.parse(login!.request.body!)).toEqual({ DatabaseID: expect.stringMatching(/^AGV/), UserName: expect.stringMatching(/^api\./), Password: '[redacted]' });
    expect(JSON.parse(login!.response!.body!)).toEqual({ Status: 0, Message: 'OK', SessionID: '[redacted]' });
    expect(customers!.request.headers).toMatchObject({ apikey: '[redacted]', sessionid: '[redacted]' });
  });

  it.each([
    ['a wrong password', { password: 'not-the-password' }],
    ['a wrong user name', { username: 'someone.else' }],
    ['a wrong database id', { databaseId: 'AGV00000000' }],
    ['an unknown API key', { apiKey: 'not-a-key' }],
  ])('refuses %s at the login: auth_revoked, 401', async (_name, overrides) => {
    const { ctx, credential } = await connect();
    expect(await failure(agvanceAdapter.validate(credential(overrides), ctx))).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
  });

  it('refuses the next login once the administrator deactivates the API user (revoke fault): auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    await agvanceAdapter.refresh(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(agvanceAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('inactive');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('answers 401 once the session is over: auth_expired, and a new login reads again', async () => {
    const { fields, ctx, credential } = await connect();
    const session = await agvanceLogin(credential(), ctx);
    sandbox.advanceClock(SESSION_MS + 1_000);
    const error = await failure(listAgvanceCustomers(ctx, { apiKey: fields.apiKey, sessionId: session.accessToken }));
    expect(error).toMatchObject({ errorClass: 'auth_expired', status: 401 });
    const again = await agvanceAdapter.refresh(credential(), ctx);
    await expect(listAgvanceCustomers(ctx, { apiKey: fields.apiKey, sessionId: again.accessToken })).resolves.toBeInstanceOf(Array);
  });

  it("refuses a session with another account's API key: auth_expired", async () => {
    const first = await connect();
    const second = await connect();
    const session = await agvanceLogin(first.credential(), first.ctx);
    expect((await failure(listAgvanceCustomers(first.ctx, { apiKey: second.fields.apiKey, sessionId: session.accessToken }))).errorClass).toBe('auth_expired');
  });

  it("takes the Customer area from the API user's security with limitedPermission: forbidden_scope", async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    expect(await failure(agvanceAdapter.validate(credential(), ctx))).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential } = await connect();
    await agvanceAdapter.validate(credential(), ctx);
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const error = await failure(agvanceAdapter.validate(credential(), ctx));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 2, rateLimited: 1 });
  });

  it('lists no customers in the empty scenario, and still validates', async () => {
    const { fields, ctx, credential } = await connect({ scenario: 'empty' });
    const session = await agvanceAdapter.validate(credential(), ctx);
    expect(await listAgvanceCustomers(ctx, { apiKey: fields.apiKey, sessionId: session!.accessToken })).toEqual([]);
  });

  it('records every exchange redacted: no key, password or session id appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect();
    const first = await agvanceAdapter.validate(credential(), ctx);
    const second = await agvanceAdapter.refresh(credential({}, first), ctx);
    await listAgvanceCustomers(ctx, { apiKey: fields.apiKey, sessionId: second.accessToken });
    await failure(agvanceAdapter.refresh(credential({ password: 'a-wrong-password-1234' }), ctx));
    expect(exchanges.length).toBe(5);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.apiKey, fields.password, first!.accessToken, second.accessToken, 'a-wrong-password-1234']) expect(recorded).not.toContain(secret);
    expect(recorded).toContain('[redacted]');
  });
});
