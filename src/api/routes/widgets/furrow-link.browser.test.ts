/**
 * The embeddable widget in headless Chromium: an app page on another origin (served by the test,
 * under a strict Content-Security-Policy) embeds `<furrow-link>` with a user API key, the grower
 * connects a sandbox provider through it, and the page sees Leaf Link's events. Then the locales,
 * the search bar, a bad key, CORS limited to the widget endpoints, and the script's weight.
 * Screenshots go to `test-artifacts/magic-link/`.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnvironment } from '../../../config.js';
import { providers } from '../../../providers/registry.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { FURROW_LINK_STRINGS, type FurrowLinkLocale } from '../../../web/furrow-link-script.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available && loadTestEnvironment().ci) throw new Error(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package.`);
if (!available) console.warn(`[furrow tests] ${CHROMIUM} not found: skipping the widget browser tests (apt-get install -y chromium).`);

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'magic-link');
const databases = available ? await testDatabases() : [];

/** The app page's script: records every widget event in sessionStorage, so events survive the navigation away and back. */
const APP_SCRIPT = `(function () {
  var log = JSON.parse(sessionStorage.getItem('events') || '[]');
  function keep(name) { return function (e) { log.push({ name: name, detail: e.detail }); sessionStorage.setItem('events', JSON.stringify(log)); }; }
  document.addEventListener('providerWidgetStatus', keep('providerWidgetStatus'));
  document.addEventListener('providersConnected', keep('providersConnected'));
})();`;

describe.runIf(available).each(databases)('the <furrow-link> widget on an app page, on $name', (database) => {
  let h: ApiHarness;
  let browser: Browser;
  let appServer: http.Server;
  let appOrigin: string;
  /** The widget element the app page shows, by query string: `?key=...&locale=...`. */
  const appPage = (query: string) => `${appOrigin}/app?${query}`;

  const api = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${h.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${h.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  const seedProvider = async (providerId: string) => {
    const provider = providers[providerId as keyof typeof providers];
    const account = await api('POST', '/sandbox/api/accounts', { provider: providerId });
    const credentials = account.body.credentials as Record<string, unknown>;
    const appKey = provider.link!.appKey;
    if (appKey !== undefined) {
      const env = provider.environments.length > 0 ? `/${String(credentials['clientEnvironment'] ?? provider.defaultEnvironment ?? 'STAGE')}` : '';
      expect((await api('POST', `/services/usermanagement/api/app-keys/${provider.apiName}/sandbox-${account.body.id}${env}`, appKey.fromSandboxCredential(credentials))).status).toBe(201);
    }
    return credentials;
  };

  const newUserKey = async () => {
    const user = await api('POST', '/services/usermanagement/api/users', { name: 'Jane Grower', externalId: `grower-${Math.random().toString(36).slice(2)}` });
    const key = await api('POST', '/services/usermanagement/api/api-keys', { leafUserId: user.body.id, description: 'widget test' });
    expect(key.status).toBe(201);
    return { userId: user.body.id as string, key: key.body.key as string };
  };

  const shot = async (page: Page, name: string) => {
    if (database.name !== databases[0]?.name) return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  const eventsOf = async (page: Page) => JSON.parse((await page.evaluate("sessionStorage.getItem('events') || '[]'")) as string) as { name: string; detail: unknown }[];
  // Polled from here: a waitForFunction predicate is evaluated with eval, which the page's CSP forbids.
  const waitForEvents = (page: Page, count: number) => expect.poll(async () => (await eventsOf(page)).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(count);

  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true });
    const furrow = h.url!;
    appServer = http.createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname === '/app.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(APP_SCRIPT);
        return;
      }
      const attrs = ['api-key', 'locale', 'company-name', 'company-logo', 'dark-mode', 'show-searchbar', 'heading']
        .filter((name) => url.searchParams.has(name))
        .map((name) => ` ${name}="${url.searchParams.get(name)!.replace(/[&"<>]/g, '')}"`)
        .join('');
      // A strict policy, as an app might send: no inline script or style, Furrow's origin allowed for the script and its fetch.
      response
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': `default-src 'none'; script-src 'self' ${furrow}; connect-src ${furrow}; img-src data:; style-src 'none'`,
        })
        .end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Acme app</title>
<script src="/app.js"></script><script src="${furrow}/widgets/furrow-link.js"></script></head>
<body><h1>Acme Agronomy</h1><furrow-link${attrs}></furrow-link></body></html>`);
    });
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    // localhost, not 127.0.0.1: another origin than Furrow's, as an app's page is.
    appOrigin = `http://localhost:${(appServer.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => appServer?.close(resolve));
    await h?.close();
  });

  it.each([['climate-field-view'], ['sentera']])('connects %s from the app page and raises started, providers connected and done', async (providerId) => {
    const provider = providers[providerId as keyof typeof providers];
    const credentials = await seedProvider(providerId);
    const { userId, key } = await newUserKey();
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(appPage(`api-key=${key}&company-name=Acme%20Agronomy`));
    const item = page.locator(`furrow-link li[data-provider="${provider.apiName}"]`);
    await item.waitFor();
    // The constructed stylesheet applies under the page's style-src 'none'.
    const styleOf = (element: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor;
    expect(await item.locator('button').evaluate(styleOf)).toBe('rgb(11, 61, 145)');
    await shot(page, `widget-1-${providerId}-list`);
    await item.getByRole('button', { name: `Connect ${provider.name}` }).click();
    const flow = provider.link!.connect;
    if (flow.kind === 'oauth') {
      await page.getByRole('button', { name: 'Approve' }).click();
    } else {
      for (const field of flow.fields) await page.getByLabel(field.label).fill(String(credentials[field.name]));
      await page.getByRole('button', { name: `Connect ${provider.name}` }).click();
    }
    await page.waitForURL((url) => url.origin === appOrigin);
    await page.locator('furrow-link [role="status"]').filter({ hasText: `${provider.name} is connected.` }).waitFor();
    await waitForEvents(page, 3);
    const events = await eventsOf(page);
    expect(events[0]).toEqual({ name: 'providerWidgetStatus', detail: { code: 0, message: 'Started' } });
    expect(events[1]).toEqual({ name: 'providersConnected', detail: [{ provider: provider.apiName, createdTime: expect.any(String) }] });
    expect(events[2]).toEqual({ name: 'providerWidgetStatus', detail: { code: 1, message: 'Done' } });
    // The outcome is taken out of the address bar, so a reload raises nothing again.
    expect(new URL(page.url()).search).toBe(`?api-key=${key}&company-name=Acme+Agronomy`);
    expect(await item.locator('.badge').innerText()).toBe('Connected');
    await shot(page, `widget-2-${providerId}-connected`);
    await context.close();
    const stored = await api('GET', `/services/usermanagement/api/users/${userId}/${provider.credentialsPath}`);
    expect(stored.body.status).toBe('OK');
  }, 60_000);

  it('a denied consent comes back to the app page as status -1', async () => {
    await seedProvider('trimble');
    const { key } = await newUserKey();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appPage(`api-key=${key}`));
    await page.locator('furrow-link li[data-provider="Trimble"] button').click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.origin === appOrigin);
    await waitForEvents(page, 2);
    const events = await eventsOf(page);
    expect(events.map((e) => (e.detail as { code: number }).code)).toEqual([0, -1]);
    expect((events[1]!.detail as { message: string }).message).toMatch(/not granted/);
    expect(await page.locator('furrow-link [role="alert"]').innerText()).toBe(FURROW_LINK_STRINGS.en_US.failed);
    await context.close();
  }, 60_000);

  it.each(Object.keys(FURROW_LINK_STRINGS) as FurrowLinkLocale[])('speaks %s', async (locale) => {
    await seedProvider('john-deere');
    const { key } = await newUserKey();
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(appPage(`api-key=${key}&locale=${locale}&dark-mode=true`));
    const strings = FURROW_LINK_STRINGS[locale];
    await page.locator('furrow-link li').first().waitFor();
    expect(await page.locator('furrow-link h2').innerText()).toBe(strings.title);
    expect(await page.locator('furrow-link section').getAttribute('lang')).toBe(locale.replace('_', '-'));
    expect(await page.getByRole('searchbox', { name: strings.search }).count()).toBe(1);
    expect(await page.locator('furrow-link li[data-provider="JohnDeere"] button').innerText()).toBe(strings.connect);
    await page.getByRole('searchbox', { name: strings.search }).fill('zzz');
    expect(await page.locator('furrow-link p[role="status"]').innerText()).toBe(strings.noMatch);
    await page.getByRole('searchbox', { name: strings.search }).fill('deere');
    expect(await page.locator('furrow-link li').count()).toBe(1);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    if (locale === 'pt_BR') await shot(page, 'widget-3-pt_BR-dark');
    await context.close();
  }, 60_000);

  it('takes a heading, hides the search bar, and raises -1 for a revoked key', async () => {
    const { key } = await newUserKey();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(appPage(`api-key=${key}&heading=Link%20your%20farm&show-searchbar=false`));
    await page.locator('furrow-link ul').waitFor();
    expect(await page.locator('furrow-link h2').innerText()).toBe('Link your farm');
    expect(await page.locator('furrow-link input').count()).toBe(0);
    const listed = await api('GET', `/services/usermanagement/api/api-keys?leafUserId=${(await h.services.apiKeys.authenticate(key)).userId}`);
    expect((await api('DELETE', `/services/usermanagement/api/api-keys/${listed.body[0].id}`)).status).toBe(204);
    await page.reload();
    await waitForEvents(page, 1);
    expect((await eventsOf(page))[0]).toMatchObject({ name: 'providerWidgetStatus', detail: { code: -1 } });
    expect(await page.locator('furrow-link [role="alert"]').innerText()).toBe(FURROW_LINK_STRINGS.en_US.loadFailed);
    await context.close();
  }, 60_000);

  it('answers other origins only on the widget endpoints, and the script weighs at most 100 KB', async () => {
    const { key } = await newUserKey();
    const context = await browser.newContext();
    const page = await context.newPage();
    const sizes: Promise<number>[] = [];
    page.on('requestfinished', (request) => {
      if (request.url().endsWith('/widgets/furrow-link.js')) sizes.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
    });
    await page.goto(appPage(`api-key=${key}`), { waitUntil: 'load' });
    await page.locator('furrow-link ul').waitFor();
    const [scriptBytes] = await Promise.all(sizes);
    expect(scriptBytes).toBeGreaterThan(1000);
    expect(scriptBytes).toBeLessThanOrEqual(100 * 1024);
    // The owner API answers no other origin: the browser refuses to hand the page its answer.
    const owner = await page.evaluate(`fetch(${JSON.stringify(`${h.url}/services/usermanagement/api/users`)}, { headers: { authorization: 'Bearer x' } }).then(() => 'read', () => 'blocked')`);
    expect(owner).toBe('blocked');
    await context.close();
  }, 60_000);
});
