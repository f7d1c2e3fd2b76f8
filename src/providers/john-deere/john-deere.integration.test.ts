/**
 * The John Deere adapter against its emulator, over real HTTP on loopback: the sandbox app on
 * port 0, the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { pkceS256 } from '../../sandbox/oauth-grants.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import type { TokenSet } from '../../domain/index.js';
import { johnDeereAdapter, listOrganizationCollection, listOrganizations, organizationConnectUrl, type JohnDeereCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

async function connect(options: { scenario?: string; seed?: number } = {}) {
  const account = await sandbox.createAccount('john-deere', options);
  const fields = account.credentials as unknown as JohnDeereCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('john-deere', { secretValues: [fields.clientSecret, fields.refreshToken] });
  const credential = (tokens?: TokenSet): ProviderCredential<JohnDeereCredentialFields> => ({ id: 'credential-1', environment: 'STAGE', fields, tokens });
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

describe('the John Deere adapter against its emulator', () => {
  it('validates a sandbox credential: refreshes, lists organizations over nextPage links, and returns 12-hour tokens', async () => {
    const { id, ctx, credential } = await connect();
    const before = Date.now();
    const tokens = await johnDeereAdapter.validate(credential(), ctx);
    expect(tokens?.accessToken).toMatch(/^sbx_at_/);
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(43_200_000 - 5_000);
    expect(tokens?.scopes).toContain('ag1');
    // Three organizations at two a page: two API calls.
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 2, rateLimited: 0 });
  });

  it('refreshes to a new access token and gets the same refresh token back: Deere does not rotate', async () => {
    const { fields, ctx, credential } = await connect();
    const first = await johnDeereAdapter.refresh(credential(), ctx);
    const second = await johnDeereAdapter.refresh(credential(first), ctx);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(first.refreshToken).toBe(fields.refreshToken);
    expect(second.refreshToken).toBe(fields.refreshToken);
  });

  it('lists organizations with their connection state; the unconnected one carries a connections link', async () => {
    const { ctx, credential } = await connect({ seed: 7 });
    const tokens = await johnDeereAdapter.refresh(credential(), ctx);
    const organizations = await listOrganizations(ctx, tokens.accessToken);
    expect(organizations.map((o) => o.connection.state)).toEqual(['connected', 'connected', 'not_connected']);
    const [connected, , unconnected] = organizations;
    expect(connected!.connection).toMatchObject({ manageUri: expect.stringContaining('/sandbox/john-deere/connections/') });
    expect(organizationConnectUrl(unconnected!, 'https://app.example.com/back')).toMatch(/select-organizations\?redirect_uri=https%3A%2F%2Fapp.example.com%2Fback$/);
    expect(organizationConnectUrl(connected!, 'https://app.example.com/back')).toBeUndefined();
  });

  it("lists organizations through the adapter with the credential's access token, as Leaf shows them", async () => {
    const { id, ctx, credential } = await connect();
    const tokens = await johnDeereAdapter.refresh(credential(), ctx);
    const organizations = await johnDeereAdapter.listOrganizations!(credential(tokens), ctx);
    const emulated = (await sandbox.control('GET', `/accounts/${id}`)).body as { organizations: { number: string; name: string; connected: boolean }[] };
    expect(organizations.map(({ id: orgId, name, connected }) => ({ number: orgId, name, connected }))).toEqual(emulated.organizations.map(({ number, name, connected }) => ({ number, name, connected })));
    expect(organizations[2]!.connectUrl).toContain('select-organizations');
    expect(organizations[0]!.connectUrl).toContain('connections-dialog');
    expect((await failure(johnDeereAdapter.listOrganizations!(credential(), ctx))).errorClass).toBe('auth_expired');
  });

  it("answers 403 on an unconnected organization's fields, classified org_not_connected, and lists a connected one's", async () => {
    const { ctx, credential } = await connect();
    const tokens = await johnDeereAdapter.refresh(credential(), ctx);
    const [connected, , unconnected] = await listOrganizations(ctx, tokens.accessToken);
    expect((await listOrganizationCollection(ctx, tokens.accessToken, connected!, 'fields')).length).toBeGreaterThanOrEqual(2);
    const error = await failure(listOrganizationCollection(ctx, tokens.accessToken, unconnected!, 'fields'));
    expect(error.errorClass).toBe('org_not_connected');
    expect(error.status).toBe(403);
    expect(error.reason).toContain('select-organizations');
  });

  it('lets the fields of an organization through once the grower connects it on the connections page', async () => {
    const { ctx, credential } = await connect();
    const tokens = await johnDeereAdapter.refresh(credential(), ctx);
    const organizations = await listOrganizations(ctx, tokens.accessToken);
    const unconnected = organizations.find((o) => o.connection.state === 'not_connected')!;
    const connectUrl = organizationConnectUrl(unconnected, 'http://127.0.0.1:9/back')!;
    const page = await fetch(connectUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`value="${unconnected.id}"`);
    const form = new URLSearchParams([...organizations.map((o): [string, string] => ['organization', o.id]), ['redirect_uri', 'http://127.0.0.1:9/back']]);
    const saved = await fetch(connectUrl.split('?')[0]!, { method: 'POST', body: form, redirect: 'manual' });
    expect(saved.status).toBe(302);
    expect(saved.headers.get('location')).toBe('http://127.0.0.1:9/back');
    const [again] = (await listOrganizations(ctx, tokens.accessToken)).filter((o) => o.id === unconnected.id);
    expect(again!.connection.state).toBe('connected');
    await expect(listOrganizationCollection(ctx, tokens.accessToken, again!, 'fields')).resolves.toBeInstanceOf(Array);
  });

  it('answers invalid_grant to the next refresh after a revoke fault: auth_revoked', async () => {
    const { id, ctx, credential } = await connect();
    await johnDeereAdapter.refresh(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    const error = await failure(johnDeereAdapter.refresh(credential(), ctx));
    expect(error.errorClass).toBe('auth_revoked');
    expect(error.status).toBe(400);
    expect(error.reason).toContain('invalid_grant');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('revokes the grant at the revocation endpoint, after which a refresh is auth_revoked', async () => {
    const { ctx, credential } = await connect();
    const tokens = await johnDeereAdapter.refresh(credential(), ctx);
    await johnDeereAdapter.revoke!(credential(tokens), ctx);
    expect((await failure(johnDeereAdapter.refresh(credential(tokens), ctx))).errorClass).toBe('auth_revoked');
    // RFC 7009 section 2.1: the access tokens of the grant go with it.
    expect((await failure(listOrganizations(ctx, tokens.accessToken))).errorClass).toBe('auth_expired');
  });

  it('refuses a wrong client secret at the token endpoint: auth_revoked (invalid_client)', async () => {
    const { fields, ctx, credential } = await connect();
    const wrong = { ...credential(), fields: { ...fields, clientSecret: 'not-the-secret' } };
    const error = await failure(johnDeereAdapter.validate(wrong, ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited with retryAfterMs', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    // Three organizations at two a page: the second page is over the limit.
    const error = await failure(johnDeereAdapter.validate(credential(), ctx));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 2, rateLimited: 1 });
  });

  it('takes the data scope away with limitedPermission: forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(johnDeereAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 403 });
  });

  it('answers 401 once the access token has expired: auth_expired', async () => {
    const { ctx, credential } = await connect();
    const tokens = await johnDeereAdapter.refresh(credential(), ctx);
    sandbox.advanceClock(43_200_000 + 1_000);
    expect((await failure(listOrganizations(ctx, tokens.accessToken))).errorClass).toBe('auth_expired');
    await expect(johnDeereAdapter.validate(credential(tokens), ctx)).resolves.toBeDefined();
  });

  it('serves a consent page whose Approve redirects with a code the token endpoint exchanges (PKCE S256)', async () => {
    const { fields } = await connect();
    const verifier = 'a'.repeat(20) + 'B'.repeat(20) + '-._~0123';
    const authorize = new URL(`${sandbox.sandboxBaseUrl}/john-deere/oauth2/aus78tnlaysMraFhC1t7/v1/authorize`);
    const params = { client_id: fields.clientKey, redirect_uri: 'http://127.0.0.1:9/callback', response_type: 'code', scope: 'openid offline_access ag1', state: 'st-42', code_challenge: pkceS256(verifier), code_challenge_method: 'S256' };
    authorize.search = new URLSearchParams(params).toString();
    const page = await fetch(authorize);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<form method="post">');
    expect(html).toContain('name="code_challenge"');

    const approved = await fetch(authorize.origin + authorize.pathname, { method: 'POST', body: new URLSearchParams({ ...params, decision: 'approve' }), redirect: 'manual' });
    expect(approved.status).toBe(302);
    const location = new URL(approved.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:9/callback');
    expect(location.searchParams.get('state')).toBe('st-42');
    const code = location.searchParams.get('code')!;

    const tokenUrl = `${sandbox.sandboxBaseUrl}/john-deere/oauth2/aus78tnlaysMraFhC1t7/v1/token`;
    const basic = `Basic ${Buffer.from(`${fields.clientKey}:${fields.clientSecret}`).toString('base64')}`;
    const exchange = (codeVerifier: string) =>
      fetch(tokenUrl, { method: 'POST', headers: { authorization: basic }, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: params.redirect_uri, code_verifier: codeVerifier }) });
    const wrongVerifier = await exchange('z'.repeat(43));
    expect(wrongVerifier.status).toBe(400);
    expect(await wrongVerifier.json()).toMatchObject({ error: 'invalid_grant' });
    const tokens = await exchange(verifier);
    expect(tokens.status).toBe(200);
    expect(await tokens.json()).toMatchObject({ token_type: 'Bearer', expires_in: 43_200, scope: 'openid offline_access ag1', access_token: expect.any(String), refresh_token: expect.any(String) });
    // RFC 6749 section 4.1.2: a code works once.
    expect((await exchange(verifier)).status).toBe(400);

    const denied = await fetch(authorize.origin + authorize.pathname, { method: 'POST', body: new URLSearchParams({ ...params, decision: 'deny' }), redirect: 'manual' });
    expect(new URL(denied.headers.get('location')!).searchParams.get('error')).toBe('access_denied');
  });

  it('records every exchange redacted: no token or secret value appears', async () => {
    const { fields, ctx, exchanges, credential } = await connect();
    const first = await johnDeereAdapter.validate(credential(), ctx);
    const second = await johnDeereAdapter.refresh(credential(first), ctx);
    const [organization] = await listOrganizations(ctx, second.accessToken);
    await listOrganizationCollection(ctx, second.accessToken, organization!, 'fields');
    await johnDeereAdapter.revoke!(credential(second), ctx);
    expect(exchanges.length).toBeGreaterThanOrEqual(6);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.clientSecret, fields.refreshToken, first!.accessToken, second.accessToken, Buffer.from(`${fields.clientKey}:${fields.clientSecret}`).toString('base64')]) {
      expect(recorded).not.toContain(secret);
    }
    expect(recorded).toContain('[redacted]');
  });
});
