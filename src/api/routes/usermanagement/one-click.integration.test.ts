/**
 * Leaf's one-click connection end to end, against the Panorama emulator over real HTTP: start ->
 * the grower's share page -> Panorama's redirect to Furrow's callback -> a stored, validated
 * credential whose refresh token came from the partner's password login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const users = '/services/usermanagement/api/users';

describe.each(databases)('the Panorama one-click on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true });
  });
  afterAll(async () => h?.close());

  // Injected requests carry the listening host, so the URLs Furrow answers lead to this server.
  const host = () => new URL(h.url!).host;
  const newUser = async () => (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
  const newAccount = async () => {
    const r = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: 'panorama' } });
    const account = r.json() as { id: string; credentials: Record<string, string> };
    // The partner finds it in the Partner Portal's Account Details; the sandbox's is the app's API key.
    const sharingUrlId = h.sandboxStore!.get(account.id)!.view.app.apiKey;
    const { clientId, username, password } = account.credentials;
    return { id: account.id, start: { clientId: clientId!, username: username!, password: password!, clientEnvironment: 'STAGE', sharingUrlId } };
  };
  const start = (userId: string, payload: Record<string, unknown>) => h.request({ method: 'POST', url: `${users}/${userId}/one-click-integration/Panorama`, payload, headers: { host: host() } });
  /** The grower on the share page: picks the first operation (their own) and is redirected; returns the callback URL. */
  const share = async (signInUrl: string, choose?: (html: string) => string) => {
    const page = await fetch(signInUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    const url = new URL(signInUrl);
    const organizationCode = choose?.(html) ?? /name="organizationCode" value="([^"]+)"/.exec(html)![1]!;
    const form = new URLSearchParams({ organizationCode, state: url.searchParams.get('state')!, redirect_uri: url.searchParams.get('redirect_uri')! });
    const shared = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
    expect(shared.status).toBe(302);
    return { location: new URL(shared.headers.get('location')!), organizationCode };
  };
  const callback = (location: URL) => h.request({ method: 'GET', url: `${location.pathname}${location.search}`, token: null });

  it('starts with the share page, completes on the callback, and stores a validated credential', async () => {
    const userId = await newUser();
    const account = await newAccount();
    const started = await start(userId, account.start);
    expect(started.statusCode, started.body).toBe(200);
    const { signInUrl, callbackUrl, expiresAt } = started.json();
    expect(callbackUrl).toBe(`${h.url}/services/usermanagement/api/users/one-click-integration/Panorama/callback`);
    expect(new URL(signInUrl).pathname).toBe(`/sandbox/panorama/web/sharing/${account.start.sharingUrlId}`);
    expect(new URL(signInUrl).searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(50 * 60_000);
    // Nothing is stored before the grower shares.
    expect((await h.request({ method: 'GET', url: `${users}/${userId}/panorama-credentials` })).statusCode).toBe(404);

    const { location, organizationCode } = await share(signInUrl);
    expect(`${location.origin}${location.pathname}`).toBe(callbackUrl);
    const completed = await callback(location);
    expect(completed.statusCode, completed.body).toBe(200);
    expect(completed.json()).toMatchObject({ status: 'CREDENTIAL_ASSIGNED', message: 'Panorama Credential assigned to Leaf User', leafUserId: userId, credential: { status: 'OK', organizationCode, clientId: account.start.clientId } });
    expect(completed.body).not.toContain(account.start.password);

    const got = await h.request({ method: 'GET', url: `${users}/${userId}/panorama-credentials` });
    expect(got.json()).toMatchObject({ status: 'OK', organizationCode, clientEnvironment: 'STAGE', tokenMetadata: { accessTokenExpiresAt: expect.any(String) } });
    // The refresh token of the password login carries the credential on: a refresh, not a new login.
    const refreshed = await h.request({ method: 'POST', url: `${users}/${userId}/panorama-credentials/refresh` });
    expect(refreshed.json().status).toBe('OK');
    expect((await h.request({ method: 'GET', url: `/sandbox/api/accounts/${account.id}/stats` })).json()).toMatchObject({ tokenRequests: 2, refreshes: 1 });

    // A state completes one credential, once.
    const again = await callback(location);
    expect(again.statusCode).toBe(404);
    expect(again.json().errorKey).toBe('not_found');
  });

  it('attaches an operation the grower shares on the page, which was not shared before', async () => {
    const userId = await newUser();
    const account = await newAccount();
    const { signInUrl } = (await start(userId, account.start)).json();
    const organizations = (await h.request({ method: 'GET', url: `/sandbox/api/accounts/${account.id}` })).json().organizations as { number: string; connected: boolean }[];
    const unshared = organizations.find((o) => !o.connected)!.number;
    const { location } = await share(signInUrl, () => unshared);
    const completed = await callback(location);
    expect(completed.json().credential).toMatchObject({ status: 'OK', organizationCode: unshared });
  });

  it('refuses a callback without a pending start, without an organization code, or for a refused login', async () => {
    const unknown = await h.request({ method: 'GET', url: `${users}/one-click-integration/Panorama/callback?state=not-a-state&organizationCode=OP-1`, token: null });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toContain('No pending Precision Planting Panorama one-click');

    const userId = await newUser();
    const account = await newAccount();
    const { signInUrl } = (await start(userId, account.start)).json();
    const state = new URL(signInUrl).searchParams.get('state')!;
    const missing = await h.request({ method: 'GET', url: `${users}/one-click-integration/Panorama/callback?state=${state}`, token: null });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().fieldErrors).toEqual([{ field: 'querystring.organizationCode', message: 'is required' }]);

    const wrong = await start(userId, { ...account.start, password: 'not-the-partner-password' });
    const { location } = await share(wrong.json().signInUrl);
    const refused = await callback(location);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errorKey).toBe('credentials_invalid');
    expect(refused.json().detail).toContain('Incorrect username or password.');
    expect((await h.request({ method: 'GET', url: `${users}/${userId}/panorama-credentials` })).statusCode).toBe(404);
  });

  it('validates the start: the documented body, an existing user of this owner, and the bearer token', async () => {
    const userId = await newUser();
    const account = await newAccount();
    const { sharingUrlId: _dropped, ...withoutSharingUrlId } = account.start;
    const bad = await start(userId, withoutSharingUrlId);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fieldErrors.map((f: { field: string }) => f.field)).toEqual(['body.sharingUrlId']);
    expect((await start('no-such-user', account.start)).statusCode).toBe(404);
    const otherOwner = await h.request({ method: 'POST', url: `${users}/${userId}/one-click-integration/Panorama`, payload: account.start, token: await h.newOwnerToken() });
    expect(otherOwner.statusCode).toBe(404);
    const anonymous = await h.request({ method: 'POST', url: `${users}/${userId}/one-click-integration/Panorama`, payload: account.start, token: null });
    expect(anonymous.statusCode).toBe(401);
    // Only providers with a one-click flow have the route.
    expect((await h.request({ method: 'POST', url: `${users}/${userId}/one-click-integration/JohnDeere`, payload: {} })).statusCode).toBe(404);
  });

  it('documents both routes in the OpenAPI document, the start with its body', async () => {
    const doc = (await h.request({ method: 'GET', url: '/openapi.json', token: null })).json();
    const started = doc.paths[`${users}/{id}/one-click-integration/Panorama`].post;
    expect(Object.keys(started.requestBody.content['application/json'].schema.properties).sort()).toEqual(['clientEnvironment', 'clientId', 'password', 'sharingUrlId', 'username']);
    expect(doc.paths[`${users}/one-click-integration/Panorama/callback`].get).toBeDefined();
  });
});
