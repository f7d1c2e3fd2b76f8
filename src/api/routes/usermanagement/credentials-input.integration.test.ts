/**
 * Every provider's credentials route validates its input from day one: missing and wrongly typed
 * fields, bad `clientEnvironment`, unknown provider suffixes and other owners' users get 400 or
 * 404 problem+json naming the problem, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../../providers/registry.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const base = '/services/usermanagement/api/users';

describe.each(databases)('credential input on $name', (database) => {
  let h: ApiHarness;
  let userId: string;
  const storedCredentials = async () => Number((await h.storage.db.selectFrom('credentials').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    h = await startApiHarness(database);
    userId = (await h.request({ method: 'POST', url: base, payload: { name: 'grower' } })).json().id;
  });
  afterAll(async () => h?.close());

  describe.each(Object.values(providers))('$id', (provider) => {
    const url = () => `${base}/${userId}/${provider.credentialsPath}`;
    const required = (provider.credentialSchema.required ?? []) as string[];

    it('names every missing required field', async () => {
      const r = await h.request({ method: 'POST', url: url(), payload: {} });
      expect(r.statusCode).toBe(400);
      expect(r.json().errorKey).toBe('validation_failed');
      const fields = (r.json().fieldErrors as { field: string }[]).map((f) => f.field).sort();
      expect(fields).toEqual(required.map((f) => `body.${f}`).sort());
    });

    it('refuses a wrongly typed field, naming it', async () => {
      const field = required.find((f) => f !== 'clientEnvironment') ?? required[0]!;
      const r = await h.request({ method: 'POST', url: url(), payload: { ...provider.credentialExample, [field]: 12345 } });
      expect(r.statusCode).toBe(400);
      expect((r.json().fieldErrors as { field: string }[]).map((f) => f.field)).toContain(`body.${field}`);
    });

    it.runIf(provider.environments.length > 0)('refuses an unknown clientEnvironment', async () => {
      const r = await h.request({ method: 'POST', url: url(), payload: { ...provider.credentialExample, clientEnvironment: 'MARS' } });
      expect(r.statusCode).toBe(400);
      expect((r.json().fieldErrors as { field: string }[]).map((f) => f.field)).toContain('body.clientEnvironment');
    });

    it.runIf(provider.adapter === undefined)('answers 501 provider_not_implemented for a valid body, storing nothing', async () => {
      const before = await storedCredentials();
      const r = await h.request({ method: 'POST', url: url(), payload: provider.credentialExample });
      expect(r.statusCode).toBe(501);
      expect(r.json().errorKey).toBe('provider_not_implemented');
      expect(await storedCredentials()).toBe(before);
      expect((await h.request({ method: 'GET', url: url() })).statusCode).toBe(404);
    });

    it("answers 404 for another owner's user", async () => {
      const r = await h.request({ method: 'POST', url: url(), payload: provider.credentialExample, token: await h.newOwnerToken() });
      expect(r.statusCode).toBe(404);
      expect(r.json().errorKey).toBe('not_found');
    });
  });

  it('answers 404 naming the known routes for an unknown provider suffix', async () => {
    const r = await h.request({ method: 'POST', url: `${base}/${userId}/tractor-magic-credentials`, payload: {} });
    expect(r.statusCode).toBe(404);
    expect(r.json().detail).toContain('john-deere-credentials');
    expect(r.json().detail).toContain('tractor-magic-credentials');
  });

  it('stored nothing for any of the refused requests', async () => {
    expect(await storedCredentials()).toBe(0);
  });
});
