/**
 * The Raven Slingshot adapter against its emulator, over real HTTP on loopback: the sandbox app on
 * port 0, the adapter through `createAdapterContext` and the global fetch. The emulator recomputes
 * every signature with its own code, so these tests check the client's signing against it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { createAdapterContext } from '../adapter-context.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import type { Exchange } from '../redact-exchange.js';
import { fetchJobDataPage, getAccessKeyDetail, listJobData, ravenSlingshotAdapter, requestJobDataFile, signedHeaders, type RavenSlingshotCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const YEAR_MS = 365 * 24 * 3_600_000;

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('raven-slingshot', options);
  const fields = account.credentials as unknown as RavenSlingshotCredentialFields;
  const secretValues = [fields.apiKey, fields.accessKey, fields.sharedSecret];
  const { ctx, exchanges } = sandbox.adapterContext('raven-slingshot', { environment: 'PRODUCTION', secretValues });
  /** A context whose clock is `skewMs` off, as a server with a drifting clock would sign. */
  const skewed = (skewMs: number) => {
    const recorded: Exchange[] = [];
    const context = createAdapterContext({ providerId: 'raven-slingshot', environment: 'PRODUCTION', sandboxBaseUrl: sandbox.sandboxBaseUrl, fetch: globalThis.fetch, onExchange: (e) => recorded.push(e), secretValues, now: () => Date.now() + skewMs });
    return { ctx: context, exchanges: recorded };
  };
  const credential = (overrides: Partial<RavenSlingshotCredentialFields> = {}): ProviderCredential<RavenSlingshotCredentialFields> => ({
    id: 'credential-1',
    environment: 'PRODUCTION',
    fields: { ...fields, ...overrides },
    tokens: undefined,
  });
  return { id: account.id, fields, ctx, exchanges, skewed, credential };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('the Raven Slingshot adapter against its emulator', () => {
  it('hands out a credential body of Base64 secret, API key and access key', async () => {
    const { fields } = await connect();
    expect(Object.keys(fields).sort()).toEqual(['accessKey', 'apiKey', 'sharedSecret']);
    expect(Buffer.from(fields.sharedSecret, 'base64').toString('base64')).toBe(fields.sharedSecret);
  });

  it('validates with two signed calls and no token request: the access key is what expires, a year out', async () => {
    const { id, fields, ctx, credential, exchanges } = await connect();
    const before = Date.now();
    const tokens = await ravenSlingshotAdapter.validate(credential(), ctx);
    expect(tokens?.accessToken).toBe(fields.accessKey);
    expect(tokens?.refreshToken).toBeUndefined();
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThan(YEAR_MS - 60_000);
    expect(tokens?.raw).toMatchObject({ isActive: true, friendlyName: expect.stringContaining('access key') });
    expect(JSON.stringify(tokens?.raw)).not.toContain(fields.accessKey);
    expect(exchanges.map((e) => [e.request.url.replace(sandbox.sandboxBaseUrl, ''), e.response?.status])).toEqual([
      ['/raven-slingshot/accesskey', 200],
      ['/raven-slingshot/jobdata?pagesize=1&page=0', 200],
    ]);
    // The four headers on every request, recorded redacted.
    for (const exchange of exchanges) {
      expect(exchange.request.headers).toMatchObject({ 'x-ss-apikey': '[redacted]', 'x-ss-accesskey': '[redacted]', 'x-ss-signature': '[redacted]', 'x-ss-timestamp': expect.stringMatching(/^\d{10}$/), accept: 'application/json' });
    }
    // The access key's first use is its activation in the sandbox's grant book; no token endpoint exists.
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 0, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 2, rateLimited: 0 });
  });

  it('refreshes by checking the key again: the same access key and expiry come back', async () => {
    const { ctx, credential } = await connect();
    const first = await ravenSlingshotAdapter.validate(credential(), ctx);
    const again = await ravenSlingshotAdapter.refresh({ ...credential(), tokens: first }, ctx);
    expect(again).toEqual(first);
  });

  it('refuses a request signed with another shared secret: 401 Invalid Signature, auth_revoked', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(ravenSlingshotAdapter.validate(credential({ sharedSecret: Buffer.from('not the shared secret').toString('base64') }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('Invalid Signature');
  });

  it('refuses an unknown API key: 401 Invalid API Key, auth_revoked', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(ravenSlingshotAdapter.validate(credential({ apiKey: 'sandbox-unknown-api-key' }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('Invalid API Key');
  });

  it('refuses a request signed more than 120 seconds off, as a clock problem (permanent), and takes one 100 seconds off', async () => {
    const { fields, skewed, credential } = await connect();
    for (const skewMs of [-121_000, 125_000]) {
      const error = await failure(ravenSlingshotAdapter.validate(credential(), skewed(skewMs).ctx));
      expect(error).toMatchObject({ errorClass: 'permanent', status: 401 });
      expect(error.reason).toContain("check this server's clock");
    }
    await expect(ravenSlingshotAdapter.validate(credential(), skewed(-100_000).ctx)).resolves.toMatchObject({ accessToken: fields.accessKey });
  });

  it('refuses a replayed request once its 120 seconds are over', async () => {
    const { fields } = await connect();
    const url = new URL(`${sandbox.sandboxBaseUrl}/raven-slingshot/accesskey`);
    const headers = { ...signedHeaders(fields, 'GET', url, Date.now() - 130_000), accept: 'application/json' };
    const response = await fetch(url, { headers });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ Status: 'UNAUTHORIZED', ErrorInfo: expect.stringContaining('Request has expired') });
    // The same headers on another path fail the signature: the path is signed.
    const elsewhere = await fetch(`${sandbox.sandboxBaseUrl}/raven-slingshot/jobdata`, { headers: { ...signedHeaders(fields, 'GET', url, Date.now()), accept: 'application/json' } });
    expect(elsewhere.status).toBe(401);
    expect(await elsewhere.json()).toMatchObject({ ErrorInfo: expect.stringContaining('Invalid Signature') });
  });

  it('names a missing header', async () => {
    const response = await fetch(`${sandbox.sandboxBaseUrl}/raven-slingshot/accesskey`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ ErrorInfo: 'Missing required headers X-SS-APIKey, X-SS-AccessKey, X-SS-TimeStamp, X-SS-Signature.' });
  });

  it('refuses a shared secret that is not Base64 before calling anyone', async () => {
    const { ctx, credential, exchanges } = await connect();
    const error = await failure(ravenSlingshotAdapter.validate(credential({ sharedSecret: 'not base64!' }), ctx));
    expect(error).toMatchObject({ errorClass: 'permanent' });
    expect(error.reason).toContain('not Base64');
    expect(exchanges).toEqual([]);
  });

  it('sees a revoked access key: /accesskey shows it inactive (auth_revoked), data calls answer 401 Invalid Access Key', async () => {
    const { id, ctx, credential, fields } = await connect();
    await ravenSlingshotAdapter.validate(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    await expect(getAccessKeyDetail(ctx, fields)).resolves.toMatchObject({ isActive: false });
    const error = await failure(ravenSlingshotAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 200 });
    expect(error.reason).toContain('no longer active');
    const data = await failure(fetchJobDataPage(ctx, fields));
    expect(data).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(data.reason).toContain('Invalid Access Key');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(3);
  });

  it('refuses a key revoked before first use with 401 Invalid Access Key', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(ravenSlingshotAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('Invalid Access Key');
  });

  it('answers 403 when the key is not delegated job data (limitedPermission): forbidden_scope, and recovers when lifted', async () => {
    const { id, ctx, credential } = await connect();
    await ravenSlingshotAdapter.validate(credential(), ctx);
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(ravenSlingshotAdapter.refresh(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
    expect(error.reason).toContain('delegation');
    await sandbox.setFaults(id, {});
    await expect(ravenSlingshotAdapter.refresh(credential(), ctx)).resolves.toBeDefined();
  });

  it('answers 429 past the rateLimitPerMinute fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential, fields } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 2 });
    await ravenSlingshotAdapter.validate(credential(), ctx); // both calls of this minute
    const error = await failure(fetchJobDataPage(ctx, fields));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.reason).toContain('Exceeded maximum requests.');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    sandbox.advanceClock(61_000);
    await expect(fetchJobDataPage(ctx, fields)).resolves.toMatchObject({ pageIndex: 0 });
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 4, rateLimited: 1 });
  });

  it("enforces Slingshot's own 30 calls a minute per API key, fault or not", async () => {
    const { ctx, fields } = await connect();
    for (let call = 0; call < 30; call++) await fetchJobDataPage(ctx, fields, { pageSize: 1 });
    const error = await failure(fetchJobDataPage(ctx, fields, { pageSize: 1 }));
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429 });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('pages job data with page and pagesize, newest first, and filters by date', async () => {
    const { ctx, fields, exchanges } = await connect({ scenario: 'large', fields: 25 });
    const items = await listJobData(ctx, fields, { pageSize: 10 });
    expect(items).toHaveLength(25);
    expect(new Set(items.map((item) => item.id)).size).toBe(25);
    const created = items.map((item) => Date.parse(item.createdAt!));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(items[0]).toMatchObject({ name: expect.stringMatching(/\.zip$/), subtype: expect.any(String), uri: expect.stringContaining('/raven-slingshot/JobData/') });
    expect(exchanges.map((e) => new URL(e.request.url).searchParams.get('page'))).toEqual(['0', '1', '2']);
    const page = await fetchJobDataPage(ctx, fields, { page: 1, pageSize: 10 });
    expect(page).toMatchObject({ pageIndex: 1, pageSize: 10, totalCount: 25, totalPages: 3, isNextPage: true });
    const recent = await listJobData(ctx, fields, { since: items[4]!.createdAt });
    expect(recent.map((item) => item.id)).toEqual(items.slice(0, 5).map((item) => item.id));
  });

  it("follows a listing's URI, whatever its casing, to the file's detail", async () => {
    const { fields } = await connect();
    const { ctx } = sandbox.adapterContext('raven-slingshot', { environment: 'PRODUCTION' });
    const [first] = await listJobData(ctx, fields);
    const url = new URL(first!.uri!);
    expect(url.pathname).toMatch(/\/JobData\/\d+$/);
    const response = await fetch(url, { headers: { ...signedHeaders(fields, 'GET', url, Date.now()), accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ ID: first!.id, Name: first!.name });
  });

  it('answers XML unless asked for JSON, in the documented slingshotindex shape', async () => {
    const { fields } = await connect();
    const url = new URL(`${sandbox.sandboxBaseUrl}/raven-slingshot/jobdata?pagesize=2`);
    const response = await fetch(url, { headers: signedHeaders(fields, 'GET', url, Date.now()) });
    expect(response.headers.get('content-type')).toContain('application/xml');
    const xml = await response.text();
    expect(xml).toContain('<slingshotindex xmlns="http://schemas.ravenslingshot.com/SlingshotIndex/2010"><totalcount>');
    expect(xml).toMatch(/<pagesize>2<\/pagesize>.*<isnextpage>true<\/isnextpage><pageindex>0<\/pageindex>/);
    expect(xml.match(/<jobdata>/g)).toHaveLength(2);
  });

  it('answers a file request with MORE_TIME_NEEDED while converting: retry_later after the 30 seconds it names', async () => {
    const { ctx, fields } = await connect();
    const [first] = await listJobData(ctx, fields);
    const error = await failure(requestJobDataFile(ctx, fields, first!.id, 'shp'));
    expect(error).toMatchObject({ errorClass: 'retry_later', status: 200, retryAfterMs: 30_000 });
    expect(error.reason).toContain('MORE_TIME_NEEDED');
    expect((await failure(requestJobDataFile(ctx, fields, '999999', 'bin'))).errorClass).toBe('not_found');
  });

  it('validates an empty account, whose listing is empty', async () => {
    const { ctx, fields, credential } = await connect({ scenario: 'empty' });
    await expect(ravenSlingshotAdapter.validate(credential(), ctx)).resolves.toBeDefined();
    expect(await listJobData(ctx, fields)).toEqual([]);
  });

  it('records every exchange redacted: no key, secret or signature value appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect({ scenario: 'large', fields: 6 });
    await ravenSlingshotAdapter.validate(credential(), ctx);
    await listJobData(ctx, fields, { pageSize: 2 });
    await getAccessKeyDetail(ctx, fields);
    expect(exchanges.length).toBeGreaterThanOrEqual(6);
    const recorded = JSON.stringify(exchanges);
    const signature = signedHeaders(fields, 'GET', new URL(`${sandbox.sandboxBaseUrl}/raven-slingshot/accesskey`), Date.now())['X-SS-Signature']!;
    for (const secret of [fields.apiKey, fields.accessKey, fields.sharedSecret, signature]) expect(recorded).not.toContain(secret);
    // The access key in the /accesskey answer is redacted by its name too.
    expect(recorded).toContain('"AccessKey\\":\\"[redacted]\\"');
  });
});
