/**
 * A grower's path through a Magic Link in headless Chromium, with the sandbox on: for every
 * provider the registry offers through links, open the link, pick the provider, consent on the
 * emulator's page (or fill the provider's form), land on success, and find the credential on the
 * user with status OK. Then every failure page, a machine-data upload through a file-upload link
 * (progress, then the batch processed by the worker), page weight and the 360 px rendering, on
 * every test database.
 * Screenshots go to `test-artifacts/magic-link/` (git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnvironment } from '../../../config.js';
import { providers } from '../../../providers/registry.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import { harvestTaskData, zipOf } from '../operations/testing/synthetic-uploads.js';

const CHROMIUM = '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available && loadTestEnvironment().ci) throw new Error(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package.`);
if (!available) console.warn(`[furrow tests] ${CHROMIUM} not found: skipping the Magic Link browser tests (apt-get install -y chromium).`);

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../..');
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'magic-link');

/** Every provider a link can offer: it has a link definition and an adapter. */
const linked = Object.values(providers).filter((p) => p.link !== undefined && p.adapter !== undefined && p.emulator !== undefined);

const databases = available ? await testDatabases() : [];

describe.runIf(available).each(databases)('Magic Link pages in a browser on $name', (database) => {
  let h: ApiHarness;
  let browser: Browser;
  let offsetMs = 0;

  const api = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${h.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${h.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };

  /** A sandbox account of the provider, with its app key registered for the harness owner. */
  const seedProvider = async (providerId: string) => {
    const provider = providers[providerId as keyof typeof providers];
    const account = await api('POST', '/sandbox/api/accounts', { provider: providerId });
    expect(account.status).toBe(201);
    const credentials = account.body.credentials as Record<string, unknown>;
    const appKey = provider.link!.appKey;
    if (appKey !== undefined) {
      const env = provider.environments.length > 0 ? `/${String(credentials['clientEnvironment'] ?? provider.defaultEnvironment ?? 'STAGE')}` : '';
      const created = await api('POST', `/services/usermanagement/api/app-keys/${provider.apiName}/sandbox-${account.body.id}${env}`, appKey.fromSandboxCredential(credentials));
      expect(created.status).toBe(201);
    }
    return credentials;
  };

  const newLink = async (body: Record<string, unknown>, kind = 'provider') => {
    const created = await api('POST', `/services/widgets/api/magic-link/${kind}`, { externalId: `grower-${Math.random().toString(36).slice(2)}`, ...body });
    expect(created.status).toBe(201);
    return created.body as { id: string; link: string; leafUserId: string };
  };

  const shot = async (page: Page, name: string) => {
    // One set of screenshots is enough: the pages do not depend on the database.
    if (database.name !== databases[0]?.name) return;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  /** Walks from the chooser to the success page, through the consent page or the form. */
  const connectThrough = async (page: Page, providerId: string, credentials: Record<string, unknown>) => {
    const provider = providers[providerId as keyof typeof providers];
    await page.locator(`li[data-provider="${providerId}"] button.primary`).click();
    const flow = provider.link!.connect;
    if (flow.kind === 'oauth') {
      await page.getByRole('button', { name: 'Approve' }).waitFor();
      await shot(page, `${providerId}-2-consent`);
      await page.getByRole('button', { name: 'Approve' }).click();
    } else {
      await page.locator('form.stack').waitFor();
      await shot(page, `${providerId}-2-form`);
      for (const field of flow.fields) await page.getByLabel(field.label).fill(String(credentials[field.name]));
      await page.getByRole('button', { name: `Connect ${provider.name}` }).click();
    }
    await page.waitForLoadState('domcontentloaded');
  };

  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true, clock: () => Date.now() + offsetMs });
    // The worker processes uploaded batches, so the upload page can show them processed.
    await h.queue.start({ concurrency: 1 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it.each(linked.map((p) => [p.id]))('connects %s from the link to a credential with status OK', async (providerId) => {
    const provider = providers[providerId as keyof typeof providers];
    const credentials = await seedProvider(providerId);
    const link = await newLink({ allowedProviders: [provider.apiName], settings: { companyName: 'Acme Agronomy', backgroundColor: '#FFFFFF' } });
    expect(link.link).toBe(`${h.url}/magic-link/${link.id}`);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link.link);
    expect(await page.locator('h1').innerText()).toBe('Connect your farm data');
    await shot(page, `${providerId}-1-chooser`);
    await connectThrough(page, providerId, credentials);
    expect(await page.locator('h1').innerText()).toBe(`${provider.name} connected`);
    await shot(page, `${providerId}-3-success`);
    await context.close();

    const stored = await api('GET', `/services/usermanagement/api/users/${link.leafUserId}/${provider.credentialsPath}`);
    expect(stored.status).toBe(200);
    expect(stored.body.status).toBe('OK');
    const after = await api('GET', `/services/widgets/api/magic-link/provider/${link.id}`);
    expect(after.body).toMatchObject({ usageCount: 1, maxUsage: 3, lastAccessedAt: expect.any(String) });
  }, 60_000);

  it('shows John Deere organizations still to connect, with their connection links', async () => {
    await seedProvider('john-deere');
    const link = await newLink({ allowedProviders: ['JohnDeere'] });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link.link);
    await connectThrough(page, 'john-deere', {});
    const orgLinks = page.locator('ul.orgs a');
    expect(await orgLinks.count()).toBeGreaterThan(0);
    expect(await orgLinks.first().getAttribute('href')).toMatch(/^http/);
    await context.close();
  }, 60_000);

  const failureOf = async (page: Page) => page.locator('[data-failure]').getAttribute('data-failure');
  const expectNoSecrets = async (page: Page) => {
    const text = await page.content();
    expect(text).not.toMatch(/sbx_|at Object\.|Error:|stack|refresh_token|client_secret/i);
  };

  it('a forged link ends on a clear page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${h.url}/magic-link/0123456789abcdef0123456789abcdef`);
    expect(response?.status()).toBe(404);
    expect(await failureOf(page)).toBe('unknown');
    await expectNoSecrets(page);
    await shot(page, 'failure-forged');
    await context.close();
  });

  it('a deleted link says it was withdrawn', async () => {
    const link = await newLink({});
    expect((await api('DELETE', `/services/widgets/api/magic-link/provider/${link.id}`)).status).toBe(204);
    const context = await browser.newContext();
    const page = await context.newPage();
    expect((await page.goto(link.link))?.status()).toBe(410);
    expect(await failureOf(page)).toBe('deleted');
    await shot(page, 'failure-deleted');
    await context.close();
  });

  it('an expired link says so', async () => {
    const link = await newLink({ expiresIn: 900 });
    offsetMs += 901_000;
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      expect((await page.goto(link.link))?.status()).toBe(410);
      expect(await failureOf(page)).toBe('expired');
      await shot(page, 'failure-expired');
      await context.close();
    } finally {
      offsetMs -= 901_000;
    }
  });

  it('a used-up link says so, and a replayed callback is refused', async () => {
    await seedProvider('raven');
    const link = await newLink({ allowedProviders: ['Raven'], maxUsage: 1 });
    const context = await browser.newContext();
    const page = await context.newPage();
    let callbackUrl: string | undefined;
    page.on('request', (request) => {
      if (request.url().includes('/magic-link/callback')) callbackUrl = request.url();
    });
    await page.goto(link.link);
    await connectThrough(page, 'raven', {});
    expect(await page.locator('h1').innerText()).toBe('Raven connected');

    await page.goto(callbackUrl!);
    expect(await failureOf(page)).toBe('state_replayed');
    await expectNoSecrets(page);
    await shot(page, 'failure-state-replayed');

    await page.goto(link.link);
    expect(await failureOf(page)).toBe('used_up');
    await shot(page, 'failure-used-up');
    await context.close();
  }, 60_000);

  it('a callback in another browser than the one that started is refused as mismatched', async () => {
    await seedProvider('trimble');
    const link = await newLink({ allowedProviders: ['Trimble'] });
    const started: BrowserContext = await browser.newContext();
    const page = await started.newPage();
    await page.goto(link.link);
    await page.locator('li[data-provider="trimble"] button.primary').click();
    await page.getByRole('button', { name: 'Approve' }).waitFor();
    const consentUrl = page.url();
    await started.close();

    const other = await browser.newContext();
    const attacker = await other.newPage();
    await attacker.goto(consentUrl);
    await attacker.getByRole('button', { name: 'Approve' }).click();
    await attacker.waitForLoadState('domcontentloaded');
    expect(await failureOf(attacker)).toBe('state_mismatch');
    await shot(attacker, 'failure-state-mismatch');
    await other.close();
    const stored = await api('GET', `/services/usermanagement/api/users/${link.leafUserId}/trimble-credentials`);
    expect(stored.status).toBe(404);
  }, 60_000);

  it('a provider error (the grower denies) ends on a clear page with a way back', async () => {
    await seedProvider('climate-field-view');
    const link = await newLink({ allowedProviders: ['ClimateFieldView'] });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link.link);
    await page.locator('li[data-provider="climate-field-view"] button.primary').click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await failureOf(page)).toBe('provider');
    expect(await page.locator('[data-failure]').innerText()).toMatch(/not granted/);
    expect(await page.getByRole('link', { name: 'Back to the list' }).count()).toBe(1);
    await expectNoSecrets(page);
    await shot(page, 'failure-provider-error');
    await context.close();
  }, 60_000);

  it('a forged state ends on a clear page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.url}/magic-link/callback?state=forged-state&code=forged`);
    expect(await failureOf(page)).toBe('state_unknown');
    await context.close();
  });

  it('removes a connected provider when disconnectEnabled is set', async () => {
    const credentials = await seedProvider('sentera');
    const link = await newLink({ allowedProviders: ['Sentera'], settings: { disconnectEnabled: 'true' } });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link.link);
    await connectThrough(page, 'sentera', credentials);
    await page.goto(link.link);
    await page.getByRole('button', { name: 'Remove Sentera' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('h1').innerText()).toBe('Sentera removed');
    expect((await api('GET', `/services/usermanagement/api/users/${link.leafUserId}/sentera-credentials`)).status).toBe(404);
    await context.close();
  }, 60_000);

  it('uploads a machine-data zip through a file-upload link, with progress and then its processed status', async () => {
    const link = await newLink({ maxUsage: 1, settings: { companyName: 'Acme Agronomy' } }, 'file-upload');
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    await page.goto(link.link);
    expect(await page.locator('h1').innerText()).toBe('Upload machine data');
    await shot(page, 'upload-1-form');
    await page.setInputFiles('#file', { name: 'harvest-north.zip', mimeType: 'application/zip', buffer: Buffer.from(zipOf(harvestTaskData({ points: 40 }))) });
    // Every status line the page announces, as it changes: the upload of a small file is over quickly.
    await page.locator('#upload-status').evaluate((node) => {
      const g = globalThis as unknown as { MutationObserver: new (callback: () => void) => { observe(target: unknown, options: unknown): void }; announced: string[] };
      g.announced = [];
      new g.MutationObserver(() => g.announced.push((node as unknown as { textContent: string }).textContent)).observe(node, { childList: true, characterData: true, subtree: true });
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#progress-box').waitFor({ state: 'visible' });
    // The bar's value is set from XHR upload progress events and ends at 100 when the upload is accepted.
    await expect.poll(() => page.locator('#progress').getAttribute('value')).toBe('100');
    const item = page.locator('#batches li[data-batch]');
    await item.waitFor();
    await page.locator('#batches li[data-status="PROCESSED"]').waitFor({ timeout: 30_000 });
    expect(await item.innerText()).toMatch(/^harvest-north\.zip: Processed \(1 file processed\)/);
    expect(await page.locator('#upload-status').innerText()).toBe('Your upload was processed.');
    const announced = (await page.evaluate('globalThis.announced')) as string[];
    expect(announced[0]).toMatch(/^Uploading/);
    expect(announced.indexOf('Uploaded. Processing…')).toBeGreaterThan(0);
    expect(announced.at(-1)).toBe('Your upload was processed.');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await shot(page, 'upload-2-processed');

    const batchId = await item.getAttribute('data-batch');
    const batch = await api('GET', `/services/operations/api/batch/${batchId}`);
    expect(batch.body).toMatchObject({ leafUserId: link.leafUserId, fileName: 'harvest-north.zip', status: 'PROCESSED' });
    expect((await api('GET', `/services/widgets/api/magic-link/file-upload/${link.id}`)).body.usageCount).toBe(1);
    // Its one use is spent: the page now says so.
    await page.goto(link.link);
    expect(await failureOf(page)).toBe('used_up');
    await context.close();
  }, 60_000);

  it('the chooser weighs at most 100 KB with its assets and is usable 360 px wide', async () => {
    for (const p of linked) await seedProvider(p.id);
    const link = await newLink({ settings: { companyName: 'Acme Agronomy', backgroundColor: '#1B5E20' } });
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const sizes: Promise<number>[] = [];
    page.on('requestfinished', (request) => sizes.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize)));
    await page.goto(link.link, { waitUntil: 'load' });
    const transferred = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    expect(transferred).toBeGreaterThan(0);
    expect(transferred).toBeLessThanOrEqual(100 * 1024);
    // Usable at 360 px: nothing wider than the viewport, buttons at least 44 px tall.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    const button = await page.locator('li.provider button.primary').first().boundingBox();
    expect(button!.height).toBeGreaterThanOrEqual(44);
    await shot(page, 'chooser-360px');
    await context.close();
  }, 120_000);
});
