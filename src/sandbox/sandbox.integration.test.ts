/**
 * The sandbox control API and emulator mounting over real HTTP on loopback, with a stand-in for
 * the API's bearer-token hook (`x-test-owner`).
 */
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { johnDeereAdapter, type JohnDeereCredentialFields } from '../providers/john-deere/client.js';
import { ProviderError, providers, type Provider } from '../providers/index.js';
import { startSandbox, type SandboxHarness } from './testing/start-sandbox.js';

let sandbox: SandboxHarness;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const emulated = Object.values(providers as Record<string, Provider>).filter((p) => p.emulator !== undefined);

describe('the sandbox control API', () => {
  it('serves emulators for John Deere and Climate FieldView', () => {
    // More providers gain emulators issue by issue; these two came first.
    expect(emulated.map((p) => p.id)).toEqual(expect.arrayContaining(['john-deere', 'climate-field-view']));
  });

  it.each(emulated.map((p) => [p.id, p] as const))("creates a %s account whose credentials are a valid body for the provider's credentials route", async (_id, provider) => {
    const { status, body } = await sandbox.control('POST', '/accounts', { provider: provider.id });
    expect(status).toBe(201);
    expect(body).toMatchObject({ id: expect.any(String), provider: provider.id, scenario: 'default', seed: expect.any(Number) });
    const validate = new Ajv({ strict: false, allErrors: true }).compile(provider.credentialSchema);
    expect(validate(body.credentials), JSON.stringify(validate.errors)).toBe(true);
    expect(Object.keys(body.credentials).sort()).toEqual(Object.keys(provider.credentialSchema.properties).sort());
  });

  it('shows an account without its secrets: organizations, faults and the client id', async () => {
    const created = await sandbox.createAccount('john-deere', { seed: 42 });
    const { status, body } = await sandbox.control('GET', `/accounts/${created.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: created.id, provider: 'john-deere', scenario: 'default', seed: 42, clientId: created.credentials['clientKey'], faults: {} });
    expect(body.organizations).toHaveLength(3);
    expect(body.organizations.map((o: { connected: boolean }) => o.connected)).toEqual([true, true, false]);
    const shown = JSON.stringify(body);
    expect(shown).not.toContain(created.credentials['clientSecret']);
    expect(shown).not.toContain(created.credentials['refreshToken']);
  });

  it('draws the same data from the same seed, and other ids and secrets', async () => {
    const view = async (seed: number) => {
      const created = await sandbox.createAccount('climate-field-view', { seed });
      return { created, view: (await sandbox.control('GET', `/accounts/${created.id}`)).body };
    };
    const [a, b] = [await view(1234), await view(1234)];
    expect(a.view.organizations).toEqual(b.view.organizations);
    expect(a.view.fieldCount).toBe(b.view.fieldCount);
    expect(a.created.id).not.toBe(b.created.id);
    expect(a.created.credentials['clientSecret']).not.toBe(b.created.credentials['clientSecret']);
  });

  it('sizes the large scenario by fields, and has nothing in the empty one', async () => {
    const large = await sandbox.control('POST', '/accounts', { provider: 'john-deere', scenario: 'large', fields: 40 });
    expect((await sandbox.control('GET', `/accounts/${large.body.id}`)).body).toMatchObject({ scenario: 'large', fieldCount: 40 });
    const empty = await sandbox.control('POST', '/accounts', { provider: 'john-deere', scenario: 'empty' });
    expect((await sandbox.control('GET', `/accounts/${empty.body.id}`)).body).toMatchObject({ organizations: [], fieldCount: 0 });
  });

  it('refuses a provider without an emulator with 400 naming the providers that have one', async () => {
    // Providers gain emulators issue by issue, so the registry may have none without: serve one.
    const registry = providers as Record<string, Provider>;
    const partial = await startSandbox({ providers: { 'john-deere': registry['john-deere']!, claas: { ...registry['claas']!, emulator: undefined } } });
    try {
      const { status, body } = await partial.control('POST', '/accounts', { provider: 'claas' });
      expect(status).toBe(400);
      expect(body).toMatchObject({ errorKey: 'validation_failed', fieldErrors: [{ field: 'body.provider', message: 'has no sandbox emulator yet' }] });
      expect(body.detail).toBe('CLAAS (claas) has no sandbox emulator yet; sandbox accounts can be created for: john-deere.');
    } finally {
      await partial.close();
    }
  });

  it('refuses an unknown provider, a bad scenario, and fields outside the large scenario', async () => {
    for (const request of [{ provider: 'lindsay' }, { provider: '__proto__' }, { provider: 'john-deere', scenario: 'huge' }, { provider: 'john-deere', fields: 10 }, { provider: 'john-deere', seed: -1 }]) {
      const { status, body } = await sandbox.control('POST', '/accounts', request);
      expect(status, JSON.stringify(request)).toBe(400);
      expect(body.errorKey).toBe('validation_failed');
    }
  });

  it("answers 404 to another API owner's account ids, on every route", async () => {
    const created = await sandbox.createAccount('john-deere', { owner: 'owner-a' });
    for (const [method, path, body] of [
      ['GET', `/accounts/${created.id}`, undefined],
      ['GET', `/accounts/${created.id}/stats`, undefined],
      ['POST', `/accounts/${created.id}/faults`, { errorRate: 1 }],
    ] as const) {
      const answer = await sandbox.control(method, path, body, 'owner-b');
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.errorKey).toBe('not_found');
    }
    expect((await sandbox.control('GET', `/accounts/${created.id}`)).body.faults).toEqual({});
    expect((await sandbox.control('GET', '/accounts/no-such-id')).status).toBe(404);
  });

  it('needs the API owner on the control API, while the emulators answer without one', async () => {
    const control = await fetch(`${sandbox.sandboxBaseUrl}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'john-deere' }) });
    expect(control.status).toBe(401);
    const discovery = await fetch(`${sandbox.sandboxBaseUrl}/john-deere/oauth2/aus78tnlaysMraFhC1t7/.well-known/oauth-authorization-server`);
    expect(discovery.status).toBe(200);
    expect(await discovery.json()).toMatchObject({ token_endpoint: `${sandbox.sandboxBaseUrl}/john-deere/oauth2/aus78tnlaysMraFhC1t7/v1/token` });
  });

  it('replaces faults as a whole, shows downForSeconds as the time left, and clears them with {}', async () => {
    const created = await sandbox.createAccount('john-deere');
    const set = await sandbox.control('POST', `/accounts/${created.id}/faults`, { errorRate: 0.5, latencyMs: 10, downForSeconds: 120, limitedPermission: 'ag2' });
    expect(set).toEqual({ status: 200, body: { faults: { errorRate: 0.5, latencyMs: 10, downForSeconds: 120, limitedPermission: 'ag2' } } });
    sandbox.advanceClock(30_000);
    expect((await sandbox.control('GET', `/accounts/${created.id}`)).body.faults).toEqual({ errorRate: 0.5, latencyMs: 10, downForSeconds: 90, limitedPermission: 'ag2' });
    expect((await sandbox.control('POST', `/accounts/${created.id}/faults`, { rateLimitPerMinute: 5 })).body).toEqual({ faults: { rateLimitPerMinute: 5 } });
    expect((await sandbox.control('POST', `/accounts/${created.id}/faults`, {})).body).toEqual({ faults: {} });
    for (const bad of [{ errorRate: 2 }, { rateLimitPerMinute: 0 }, { latencyMs: -1 }, { revoke: 'yes' }]) {
      expect((await sandbox.control('POST', `/accounts/${created.id}/faults`, bad)).status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('counts token requests, refreshes, invalid_grant answers, API calls and 429s in the stats', async () => {
    const created = await sandbox.createAccount('john-deere');
    const fields = created.credentials as unknown as JohnDeereCredentialFields;
    const { ctx } = sandbox.adapterContext('john-deere');
    const credential = { id: 'c', environment: 'STAGE' as const, fields, tokens: undefined };
    await johnDeereAdapter.validate(credential, ctx);
    // The limit counts the two calls validate just made: the next one is over it.
    await sandbox.setFaults(created.id, { rateLimitPerMinute: 2 });
    await expect(johnDeereAdapter.validate(credential, ctx)).rejects.toBeInstanceOf(ProviderError);
    await sandbox.setFaults(created.id, { revoke: true });
    await expect(johnDeereAdapter.refresh(credential, ctx)).rejects.toMatchObject({ errorClass: 'auth_revoked' });
    expect(await sandbox.stats(created.id)).toEqual({ tokenRequests: 3, refreshes: 2, refreshTokensRedeemedTwice: 0, invalidGrantAnswers: 1, apiCalls: 3, rateLimited: 1 });
  });
});
