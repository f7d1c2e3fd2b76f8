/**
 * The widget's HTTP edge on every test database: the script is cacheable and revalidated, CORS is
 * answered on the widget endpoints only, the session needs a valid user API key, and it only sends
 * growers back to the calling page's own origin.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const SESSION = '/widgets/api/link/session';
const APP = 'https://app.example.com';

describe.each(databases)('the furrow-link widget endpoints on $name', (database) => {
  let h: ApiHarness;
  let key: string;
  beforeAll(async () => {
    h = await startApiHarness(database);
    const user = (await h.request({ method: 'POST', url: '/services/usermanagement/api/users', payload: { name: 'Jane', externalId: crypto.randomUUID() } })).json();
    key = (await h.request({ method: 'POST', url: '/services/usermanagement/api/api-keys', payload: { leafUserId: user.id } })).json().key;
  });
  afterAll(async () => h?.close());

  const session = (headers: Record<string, string>, returnUrl = `${APP}/settings/integrations`) =>
    h.request({ method: 'POST', url: SESSION, payload: { returnUrl }, headers: { origin: APP, ...headers }, token: null });

  it('serves the script cacheable, with an ETag that answers 304, to any origin', async () => {
    const first = await h.request({ method: 'GET', url: '/widgets/furrow-link.js', token: null });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/javascript/);
    expect(first.headers['cache-control']).toBe('public, max-age=3600');
    expect(first.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(first.body).toContain("customElements.define('furrow-link'");
    expect(first.body).not.toMatch(/\beval\(|new Function|innerHTML/);
    const again = await h.request({ method: 'GET', url: '/widgets/furrow-link.js', headers: { 'if-none-match': String(first.headers['etag']) }, token: null });
    expect(again.statusCode).toBe(304);
  });

  it('answers CORS preflights on the widget endpoints and nowhere else', async () => {
    const preflight = await h.request({ method: 'OPTIONS', url: SESSION, headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-furrow-api-key' }, token: null });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-headers']).toContain('x-furrow-api-key');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    const owner = await h.request({ method: 'OPTIONS', url: '/services/usermanagement/api/users', headers: { origin: APP, 'access-control-request-method': 'GET' }, token: null });
    expect(owner.headers['access-control-allow-origin']).toBeUndefined();
    const users = await h.request({ method: 'GET', url: '/services/usermanagement/api/users', headers: { origin: APP } });
    expect(users.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('opens a session for the key’s user, with a connect URL per provider on Furrow’s own pages', async () => {
    const response = await session({ 'x-furrow-api-key': key });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    const body = response.json();
    expect(body.providers.length).toBeGreaterThan(0);
    for (const p of body.providers) expect(p.connectUrl).toMatch(/\/magic-link\/[0-9a-f]{32}\/widget\/[a-z-]+$/);
    // Sessions are not the owner's Magic Links: they stay out of the listing.
    expect((await h.request({ method: 'GET', url: '/services/widgets/api/magic-link/provider' })).json()).toEqual([]);
  });

  it('refuses a missing or revoked key with 401, readable by the calling page', async () => {
    const missing = await session({});
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['access-control-allow-origin']).toBe('*');
    expect((await session({ 'x-furrow-api-key': 'fk_not-a-key' })).statusCode).toBe(401);
  });

  it('refuses a returnUrl on another origin than the calling page, or without an Origin', async () => {
    const elsewhere = await session({ 'x-furrow-api-key': key }, 'https://evil.example.net/phish');
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().message).toMatch(/calling page's origin \(https:\/\/app\.example\.com\)/);
    const noOrigin = await h.request({ method: 'POST', url: SESSION, payload: { returnUrl: `${APP}/x` }, headers: { 'x-furrow-api-key': key }, token: null });
    expect(noOrigin.statusCode).toBe(400);
    expect((await session({ 'x-furrow-api-key': key }, 'javascript:alert(1)')).statusCode).toBe(400);
  });

  it('starts a connection on a GET only for widget sessions, not for Magic Links', async () => {
    const link = (await h.request({ method: 'POST', url: '/services/widgets/api/magic-link/provider', payload: { externalId: crypto.randomUUID() } })).json();
    const page = await h.request({ method: 'GET', url: `/magic-link/${link.id}/widget/sentera`, token: null });
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('data-failure="not_offered"');
    const widget = (await session({ 'x-furrow-api-key': key })).json();
    const sentera = widget.providers.find((p: { provider: string }) => p.provider === 'Sentera');
    const started = await h.request({ method: 'GET', url: new URL(sentera.connectUrl).pathname, token: null });
    expect(started.statusCode).toBe(303);
    expect(started.headers['location']).toMatch(/\/form\/sentera$/);
  });
});
