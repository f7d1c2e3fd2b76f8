/**
 * The Raven (AgSync) adapter against its emulator, over real HTTP on loopback: the sandbox app on
 * port 0, the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { pkceS256 } from '../../sandbox/oauth-grants.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { listRavenFarms, listRavenFields, listRavenGrowers, ravenAdapter, ravenAuthorizeUrl, type RavenCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The boundary of the `field_changed` sample, verbatim (providers.md 7.7). */
const SAMPLE_WKT =
  'MULTIPOLYGON(((-91.055843383174 42.497741575417,-91.055714637139 42.498354629448,-91.055221110681 42.498584028767,-91.054105311731 42.498358584616,-91.054384261462 42.497872097102,-91.054110676146 42.497713888964,-91.0548992456 42.497381650572,-91.055264026023 42.49751612823,-91.055628806447 42.497551725208,-91.055585891105 42.497674336867,-91.055843383174 42.497741575417)))';

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('raven', options);
  const fields = account.credentials as unknown as RavenCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('raven', { environment: 'PRODUCTION', secretValues: [fields.clientSecret, fields.refreshToken] });
  const credential = (tokens?: TokenSet, overrides: Partial<RavenCredentialFields> = {}): ProviderCredential<RavenCredentialFields> => ({
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

describe('the Raven adapter against its emulator', () => {
  it('validates a sandbox credential: a refresh with client_secret_post, the growers read, an hour-long token with its scopes', async () => {
    const { id, fields, ctx, credential, exchanges } = await connect();
    const before = Date.now();
    const tokens = await ravenAdapter.validate(credential(), ctx);
    expect(tokens?.accessToken).toMatch(/^sbx_at_/);
    expect(tokens?.refreshToken).toBe(fields.refreshToken);
    expect(tokens?.scopes).toEqual(['openid', 'profile', 'offline_access', 'fields', 'orders']);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(HOUR_MS - 5_000);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 1, rateLimited: 0 });
    const [tokenCall, growersCall] = exchanges;
    expect(tokenCall!.request.url).toMatch(/\/sandbox\/raven\/core\/connect\/token$/);
    expect(tokenCall!.request.headers['authorization']).toBeUndefined();
    expect(tokenCall!.request.body).toMatch(/client_id=sandbox-[0-9a-f]+&client_secret=\[redacted\]/);
    expect(growersCall!.request.url).toMatch(/\/sandbox\/raven\/api\/Growers$/);
  });

  it('keeps the refresh token alive while it is used within 15 days (sliding), and lets it die after 15 days unused', async () => {
    const { ctx, credential } = await connect();
    let tokens: TokenSet | undefined;
    for (let i = 0; i < 3; i++) {
      sandbox.advanceClock(10 * DAY_MS);
      tokens = await ravenAdapter.refresh(credential(tokens), ctx);
    }
    sandbox.advanceClock(15 * DAY_MS + 1_000);
    const error = await failure(ravenAdapter.refresh(credential(tokens), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('expired');
  });

  it('serves growers, farms and fields, boundaries as WKT in WGS 84 like the field_changed sample', async () => {
    const { ctx, credential } = await connect({ seed: 11 });
    const tokens = await ravenAdapter.refresh(credential(), ctx);
    const growers = await listRavenGrowers(ctx, tokens.accessToken);
    expect(growers).toHaveLength(3);
    expect(growers[0]).toEqual({ Id: expect.any(String), OrganizationId: expect.any(Number), Name: expect.any(String), Status: true });
    const farms = await listRavenFarms(ctx, tokens.accessToken, growers[0]!['Id'] as string);
    expect(farms).toEqual([{ Id: expect.stringMatching(/^[0-9a-f-]{36}$/), GrowerId: growers[0]!['Id'], Name: 'Home Farm', Status: true }]);
    const fields = await listRavenFields(ctx, tokens.accessToken, farms[0]!['Id'] as string);
    expect(fields.length).toBeGreaterThanOrEqual(2);
    const [first] = fields;
    expect(first).toMatchObject({ FarmId: farms[0]!['Id'], Status: true, Boundary: { FieldId: first!.Id, Name: 'MASTER', Status: true, Area: 3.3 } });
    // The account's first field sits where the sample does; the others are moved, never overlapping it.
    expect(first!.Boundary!.Wkt).toBe(SAMPLE_WKT);
    expect(first!.Boundary!.ProjectionWkt).toContain('AUTHORITY["EPSG", "4326"]');
    expect(new Set(fields.map((f) => f.Boundary!.Wkt)).size).toBe(fields.length);
    expect((await failure(listRavenFarms(ctx, tokens.accessToken, 'no-such-grower'))).errorClass).toBe('not_found');
  });

  it('serves an empty account as no growers', async () => {
    const { ctx, credential } = await connect({ scenario: 'empty' });
    const tokens = await ravenAdapter.validate(credential(), ctx);
    await expect(listRavenGrowers(ctx, tokens!.accessToken)).resolves.toEqual([]);
  });

  it('refuses a wrong client secret with 400 invalid_client: auth_revoked', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(ravenAdapter.validate(credential(undefined, { clientSecret: 'not-the-secret' }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('invalid_client');
  });

  it('answers invalid_grant to the next refresh after a revoke fault: auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    const tokens = await ravenAdapter.refresh(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(ravenAdapter.refresh(credential(tokens), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 400 });
    expect(error.reason).toContain('invalid_grant');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('revokes the grant at the revocation endpoint, after which a refresh is auth_revoked and its access tokens are dead', async () => {
    const { ctx, credential } = await connect();
    const tokens = await ravenAdapter.refresh(credential(), ctx);
    await ravenAdapter.revoke!(credential(tokens), ctx);
    expect((await failure(ravenAdapter.refresh(credential(tokens), ctx))).errorClass).toBe('auth_revoked');
    expect((await failure(listRavenGrowers(ctx, tokens.accessToken))).errorClass).toBe('auth_expired');
  });

  it('answers 401 once the access token has expired: auth_expired', async () => {
    const { ctx, credential } = await connect();
    const tokens = await ravenAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(HOUR_MS + 1_000);
    const error = await failure(listRavenGrowers(ctx, tokens.accessToken));
    expect(error).toMatchObject({ errorClass: 'auth_expired', status: 401 });
    expect(error.reason).toContain('Authorization has been denied');
  });

  it('takes the fields scope away with limitedPermission: forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(ravenAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
    // The refresh before it succeeded, and its tokens travel with the error.
    expect(error.tokens?.accessToken).toMatch(/^sbx_at_/);
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const tokens = await ravenAdapter.validate(credential(), ctx);
    const error = await failure(listRavenGrowers(ctx, tokens!.accessToken));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 2, rateLimited: 1 });
  });

  it('publishes an OpenID discovery document pointing at its own endpoints', async () => {
    const response = await fetch(`${sandbox.sandboxBaseUrl}/raven/core/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as Record<string, unknown>;
    expect(document['issuer']).toBe(`${sandbox.sandboxBaseUrl}/raven/core`);
    expect(document['token_endpoint']).toBe(`${sandbox.sandboxBaseUrl}/raven/core/connect/token`);
    expect(document['revocation_endpoint']).toBe(`${sandbox.sandboxBaseUrl}/raven/core/connect/revocation`);
  });

  it('serves the consent page at connect/authorize, whose Approve redirects with a code exchanged with PKCE (Basic also accepted)', async () => {
    const { fields, ctx } = await connect();
    const verifier = 'v'.repeat(43);
    const url = ravenAuthorizeUrl(ctx, { clientId: fields.clientId, redirectUri: 'http://127.0.0.1:9/callback', state: 'st-9', scopes: ['openid', 'offline_access', 'fields'], codeChallenge: pkceS256(verifier) });
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Raven AgSync (sandbox)');
    const params = Object.fromEntries(new URL(url).searchParams);
    const approved = await fetch(url.split('?')[0]!, { method: 'POST', body: new URLSearchParams({ ...params, decision: 'approve' }), redirect: 'manual' });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('st-9');
    const response = await fetch(`${sandbox.sandboxBaseUrl}/raven/core/connect/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${fields.clientId}:${fields.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: location.searchParams.get('code')!, redirect_uri: 'http://127.0.0.1:9/callback', code_verifier: verifier }),
    });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as { access_token: string; scope: string };
    expect(tokens.scope).toBe('openid offline_access fields');
    await expect(listRavenGrowers(ctx, tokens.access_token)).resolves.toHaveLength(3);
  });

  it('records every exchange redacted: no token or secret value appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect();
    const first = await ravenAdapter.validate(credential(), ctx);
    const second = await ravenAdapter.refresh(credential(first), ctx);
    const [grower] = await listRavenGrowers(ctx, second.accessToken);
    const [farm] = await listRavenFarms(ctx, second.accessToken, grower!['Id'] as string);
    await listRavenFields(ctx, second.accessToken, farm!['Id'] as string);
    await ravenAdapter.revoke!(credential(second), ctx);
    expect(exchanges.length).toBeGreaterThanOrEqual(7);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.clientSecret, fields.refreshToken, first!.accessToken, second.accessToken]) expect(recorded).not.toContain(secret);
    expect(recorded).toContain('[redacted]');
  });
});
