/**
 * A person's path through an emulator's consent page, in headless Chromium: open the authorize
 * URL, click Approve, land on the app's redirect URI with a code and the state, and exchange the
 * code (with the PKCE verifier) for tokens.
 */
import fs from 'node:fs';
import http from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestEnvironment } from '../config.js';
import { pkceS256 } from './oauth-grants.js';
import { startSandbox, type SandboxHarness } from './testing/start-sandbox.js';

const CHROMIUM = '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available && loadTestEnvironment().ci) throw new Error(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package.`);
if (!available) console.warn(`[furrow tests] ${CHROMIUM} not found: skipping the browser tests (apt-get install -y chromium).`);

describe.runIf(available)('the John Deere consent page in a browser', () => {
  let sandbox: SandboxHarness;
  let browser: Browser;
  let callback: http.Server;
  let callbackUrl: string;
  const received: URL[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox();
    callback = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      // The browser also asks for /favicon.ico; only the redirect counts.
      if (url.pathname === '/callback') received.push(url);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Connected</h1>');
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(callback.address() as { port: number }).port}/callback`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    callback?.close();
    await sandbox?.close();
  });

  it('approves in the page and ends on the redirect URI with a code that exchanges for tokens', async () => {
    const account = await sandbox.createAccount('john-deere');
    const verifier = 'browser-test-verifier-0123456789-abcdefghijkl';
    const authorize = new URL(`${sandbox.sandboxBaseUrl}/john-deere/oauth2/aus78tnlaysMraFhC1t7/v1/authorize`);
    authorize.search = new URLSearchParams({
      client_id: account.credentials.clientKey!,
      redirect_uri: callbackUrl,
      response_type: 'code',
      scope: 'openid offline_access ag1',
      state: 'browser-state-1',
      code_challenge: pkceS256(verifier),
      code_challenge_method: 'S256',
    }).toString();

    const page = await browser.newPage();
    await page.goto(authorize.toString());
    expect(await page.locator('h1').innerText()).toMatch(/John Deere/);
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(callbackUrl)), page.getByRole('button', { name: 'Approve' }).click()]);
    expect(await page.locator('h1').innerText()).toBe('Connected');

    const landed = received.at(-1)!;
    expect(landed.searchParams.get('state')).toBe('browser-state-1');
    const code = landed.searchParams.get('code');
    expect(code).toEqual(expect.any(String));

    const token = await fetch(`${sandbox.sandboxBaseUrl}/john-deere/oauth2/aus78tnlaysMraFhC1t7/v1/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${account.credentials.clientKey}:${account.credentials.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: callbackUrl, code_verifier: verifier }),
    });
    expect(token.status).toBe(200);
    expect(await token.json()).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
    await page.close();
  });

  it('denying ends on the redirect URI with access_denied', async () => {
    const account = await sandbox.createAccount('john-deere');
    const authorize = new URL(`${sandbox.sandboxBaseUrl}/john-deere/oauth2/aus78tnlaysMraFhC1t7/v1/authorize`);
    authorize.search = new URLSearchParams({ client_id: account.credentials.clientKey!, redirect_uri: callbackUrl, response_type: 'code', scope: 'ag1', state: 's2' }).toString();
    const page = await browser.newPage();
    await page.goto(authorize.toString());
    await Promise.all([page.waitForURL((url) => url.toString().startsWith(callbackUrl)), page.getByRole('button', { name: 'Deny' }).click()]);
    expect(received.at(-1)!.searchParams.get('error')).toBe('access_denied');
    await page.close();
  });
});
