/**
 * The Sentera adapter against its emulator, over real HTTP on loopback: the sandbox app on port 0,
 * the adapter through `createAdapterContext` and the global fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSet } from '../../domain/index.js';
import { startSandbox, type SandboxHarness } from '../../sandbox/testing/start-sandbox.js';
import { ProviderError } from '../provider-error.js';
import type { ProviderCredential } from '../provider.js';
import { createSession, fetchFieldsPage, graphqlRequest, listFields, listOrganizations, senteraAdapter, type SenteraCredentialFields } from './client.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const DAY_MS = 24 * 3_600_000;

async function connect(options: { scenario?: string; seed?: number; fields?: number } = {}) {
  const account = await sandbox.createAccount('sentera', options);
  const fields = account.credentials as unknown as SenteraCredentialFields;
  const { ctx, exchanges } = sandbox.adapterContext('sentera', { environment: 'PRODUCTION', secretValues: [fields.password] });
  const credential = (overrides: Partial<SenteraCredentialFields> = {}, tokens?: TokenSet): ProviderCredential<SenteraCredentialFields> => ({
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

/** A GraphQL request as a client other than the adapter would send it. */
async function rawGraphql(token: string, init: { method?: 'GET' | 'POST'; body?: unknown; query?: string; authorization?: string } = {}) {
  const url = new URL(`${sandbox.sandboxBaseUrl}/sentera/graphql`);
  if (init.query !== undefined) url.searchParams.set('query', init.query);
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: { authorization: init.authorization ?? `Bearer ${token}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the Sentera adapter against its emulator', () => {
  it('hands out a username, password and organization name', async () => {
    const { fields } = await connect();
    expect(fields.username).toMatch(/^[a-z.]+\+sandbox-[0-9a-f]+@example\.com$/);
    expect(fields.organizationName).toEqual(expect.any(String));
  });

  it('validates: one login, the organization found by name, one field read; the session lasts three months', async () => {
    const { id, fields, ctx, credential, exchanges } = await connect();
    const before = Date.now();
    const tokens = await senteraAdapter.validate(credential(), ctx);
    expect(tokens?.accessToken).toEqual(expect.any(String));
    expect(tokens?.refreshToken).toBeUndefined();
    expect(Date.parse(tokens!.expiresAt!) - before).toBeGreaterThanOrEqual(90 * DAY_MS - 5_000);
    expect(tokens?.raw).toMatchObject({ organizationId: expect.any(String), organizationName: fields.organizationName, status: 'active' });
    expect(JSON.stringify(tokens?.raw)).not.toContain(tokens!.accessToken);
    expect(exchanges.map((e) => [e.request.method, new URL(e.request.url).pathname, e.response?.status])).toEqual([
      ['POST', '/sandbox/sentera/v1/sessions', 200],
      ['POST', '/sandbox/sentera/graphql', 200],
      ['POST', '/sandbox/sentera/graphql', 200],
    ]);
    expect(await sandbox.stats(id)).toEqual({ tokenRequests: 1, refreshes: 1, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 0, apiCalls: 2, rateLimited: 0 });
  });

  it('logs in with the documented body and sends the session token in Authorization', async () => {
    const { fields, ctx, credential, exchanges } = await connect();
    await senteraAdapter.validate(credential(), ctx);
    // The whole `session` object is a secret by name in the events log.
    expect(JSON.parse(exchanges[0]!.request.body!)).toEqual({ session: '[redacted]' });
    expect(exchanges[0]!.request.headers['content-type']).toBe('application/json');
    expect(exchanges[1]!.request.headers['authorization']).toBe('[redacted]');
    expect(JSON.parse(exchanges[0]!.response!.body!)).toMatchObject({ auth_token: '[redacted]', user_email: fields.username, status: 'active' });
  });

  it('refreshes by logging in again: a new session token, the old one still good until it expires', async () => {
    const { ctx, credential } = await connect();
    const first = await senteraAdapter.validate(credential(), ctx);
    const second = await senteraAdapter.refresh(credential({}, first), ctx);
    expect(second.accessToken).not.toBe(first!.accessToken);
    expect(second.raw).toEqual(first!.raw);
    await expect(graphqlRequest(ctx, first!.accessToken, '{ __typename }')).resolves.toEqual({ __typename: 'Query' });
  });

  it('refuses a wrong password: 401 at the login, auth_revoked, counted as an invalid_grant answer', async () => {
    const { id, ctx, credential } = await connect();
    const error = await failure(senteraAdapter.validate(credential({ password: 'not-the-password' }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    expect(error.reason).toContain('Invalid email or password.');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('refuses an unknown email the same way', async () => {
    const { ctx, credential, fields } = await connect();
    const error = await failure(senteraAdapter.validate(credential({ username: fields.username.replace('+', '+x') }), ctx));
    expect(error).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
  });

  it('refuses an organization the user cannot access, naming the ones it can (forbidden_scope)', async () => {
    const { ctx, credential } = await connect();
    const error = await failure(senteraAdapter.validate(credential({ organizationName: 'Nobody Farms' }), ctx));
    expect(error.errorClass).toBe('forbidden_scope');
    expect(error.reason).toMatch(/no organization named "Nobody Farms"; expected one of ".+"/);
  });

  it('finds the organization whatever its case and surrounding spaces', async () => {
    const { ctx, credential, fields } = await connect();
    const tokens = await senteraAdapter.validate(credential({ organizationName: ` ${fields.organizationName.toUpperCase()} ` }), ctx);
    expect(tokens?.raw).toMatchObject({ organizationName: fields.organizationName });
  });

  it('after a changed password (revoke): the login is refused (auth_revoked) and old sessions answer 401 (auth_expired)', async () => {
    const { id, ctx, credential } = await connect();
    const tokens = await senteraAdapter.validate(credential(), ctx);
    await sandbox.setFaults(id, { revoke: true });
    expect(await failure(senteraAdapter.refresh(credential({}, tokens), ctx))).toMatchObject({ errorClass: 'auth_revoked', status: 401 });
    const error = await failure(listOrganizations(ctx, tokens!.accessToken));
    expect(error).toMatchObject({ errorClass: 'auth_expired', status: 401 });
    expect(error.reason).toContain('revoked');
    expect((await sandbox.stats(id)).invalidGrantAnswers).toBe(1);
  });

  it('ends a session after 90 days: 401, auth_expired, and a new login works', async () => {
    const { ctx, credential } = await connect();
    const tokens = await senteraAdapter.validate(credential(), ctx);
    sandbox.advanceClock(90 * DAY_MS + 1_000);
    expect(await failure(listOrganizations(ctx, tokens!.accessToken))).toMatchObject({ errorClass: 'auth_expired', status: 401 });
    await expect(senteraAdapter.refresh(credential({}, tokens), ctx)).resolves.toBeDefined();
  });

  it('answers a GraphQL error with HTTP 200 when read_fields is taken away (limitedPermission): forbidden_scope', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { limitedPermission: true });
    const error = await failure(senteraAdapter.validate(credential(), ctx));
    expect(error).toMatchObject({ errorClass: 'forbidden_scope', status: 200 });
    expect(error.reason).toContain('not authorized to view fields');
    await sandbox.setFaults(id, {});
    await expect(senteraAdapter.refresh(credential(), ctx)).resolves.toBeDefined();
  });

  it('answers 429 with Retry-After past the rate-limit fault: rate_limited', async () => {
    const { id, ctx, credential } = await connect();
    await sandbox.setFaults(id, { rateLimitPerMinute: 1 });
    const error = await failure(senteraAdapter.validate(credential(), ctx)); // the login is free, the first query passes, the second is one too many
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429 });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    expect(await sandbox.stats(id)).toMatchObject({ apiCalls: 2, rateLimited: 1 });
  });

  it('pages organizations and fields with pagination { page, page_size }', async () => {
    const { ctx, fields } = await connect({ scenario: 'large', fields: 700 });
    const session = await createSession(ctx, fields);
    const organizations = await listOrganizations(ctx, session.authToken);
    expect(organizations).toHaveLength(6);
    const all = await listFields(ctx, session.authToken, organizations[0]!.senteraId);
    expect(all.length).toBeGreaterThan(100);
    expect(new Set(all.map((field) => field['sentera_id'])).size).toBe(all.length);
    const second = await fetchFieldsPage(ctx, session.authToken, { ownerId: organizations[0]!.senteraId, page: 2, pageSize: 10 });
    expect(second).toMatchObject({ totalCount: all.length, page: 2 });
    expect(second.results.map((field) => field['sentera_id'])).toEqual(all.slice(10, 20).map((field) => field['sentera_id']));
  });

  it('serves an empty account its user organization, with no fields', async () => {
    const { ctx, credential, fields } = await connect({ scenario: 'empty' });
    const tokens = await senteraAdapter.validate(credential(), ctx);
    expect(tokens?.raw).toMatchObject({ organizationName: fields.organizationName });
    const organizationId = (tokens!.raw as { organizationId: string }).organizationId;
    expect(await listFields(ctx, tokens!.accessToken, organizationId)).toEqual([]);
  });

  it('answers GraphQL as a GraphQL server: aliases, __typename, GET, a bare token, and errors for what it does not know', async () => {
    const { ctx, fields } = await connect();
    const { authToken } = await createSession(ctx, fields);
    const aliased = await rawGraphql(authToken, { body: { query: '{ first: organizations(pagination: {page: 1, page_size: 1}) { __typename n: total_count results { id: sentera_id } } }' } });
    expect(aliased.body).toEqual({ data: { first: { __typename: 'OrganizationsQueryResult', n: 3, results: [{ id: expect.any(String) }] } } });
    const viaGet = await rawGraphql(authToken, { method: 'GET', query: '{ __typename }', authorization: authToken });
    expect(viaGet).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    const unknown = await rawGraphql(authToken, { body: { query: '{ organizations(pagination: {page: 1, page_size: 1}) { results { acres } } }' } });
    expect(unknown).toEqual({ status: 200, body: { errors: [{ message: "Field 'acres' doesn't exist on type 'Organization'" }] } });
    const broken = await rawGraphql(authToken, { body: { query: '{ organizations(' } });
    expect(broken.body).toMatchObject({ errors: [{ message: expect.stringContaining('Syntax Error') }] });
    const missing = await rawGraphql(authToken, { body: { query: '{ organizations { total_count } }' } });
    expect(missing.body).toEqual({ errors: [{ message: "Field 'organizations' is missing required arguments: pagination" }] });
    // Through the adapter, a query error is permanent: asking again will not help.
    expect((await failure(graphqlRequest(ctx, authToken, '{ acres }'))).errorClass).toBe('permanent');
    expect((await rawGraphql('', { authorization: '' , body: { query: '{ __typename }' } })).status).toBe(401);
  });

  it('records every exchange redacted: neither the password nor a session token appears', async () => {
    const { ctx, exchanges, credential, fields } = await connect({ scenario: 'large', fields: 6 });
    const first = await senteraAdapter.validate(credential(), ctx);
    const second = await senteraAdapter.refresh(credential({}, first), ctx);
    expect(exchanges.length).toBe(6);
    const recorded = JSON.stringify(exchanges);
    for (const secret of [fields.password, first!.accessToken, second.accessToken]) expect(recorded).not.toContain(secret);
  });
});
