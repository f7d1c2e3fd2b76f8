/**
 * The Leaf-compatible bodies of app keys, user API keys and Magic Links, on every test database:
 * secrets never come back, keys are stored hashed and listed masked, bounds are enforced, and a
 * link is created for a user or by externalId, listed, fetched and deleted.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { harvestTaskData, multipartBody, zipOf } from '../operations/testing/synthetic-uploads.js';
import { createSecretBox, secretKeyRingFromMaster } from '../../../keys/index.js';
import { pkceVerifierAad } from '../../../services/magic-links.js';
import { magicLinksRepository } from '../../../storage/repositories/magic-links.js';

const databases = await testDatabases();
const um = '/services/usermanagement/api';
const ml = '/services/widgets/api/magic-link';

describe.each(databases)('app keys, API keys and Magic Links on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database);
  });
  afterAll(async () => h?.close());

  const newUser = async () => (await h.request({ method: 'POST', url: `${um}/users`, payload: { name: 'Jane', externalId: crypto.randomUUID() } })).json().id as string;

  it('stores an app key encrypted and never returns its secret', async () => {
    const created = await h.request({ method: 'POST', url: `${um}/app-keys/JohnDeere/my-app/PRODUCTION`, payload: { clientKey: 'jd-client', clientSecret: 'jd-very-secret-value' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ provider: 'JohnDeere', appName: 'my-app', clientEnvironment: 'PRODUCTION', clientKey: 'jd-client', redirectUri: expect.stringMatching(/\/magic-link\/callback$/) });
    expect(created.body).not.toContain('jd-very-secret-value');
    const row = await h.storage.db.selectFrom('app_keys').select('secrets').executeTakeFirstOrThrow();
    expect(row.secrets).not.toContain('jd-very-secret-value');
    const again = await h.request({ method: 'POST', url: `${um}/app-keys/JohnDeere/my-app/PRODUCTION`, payload: { clientKey: 'x', clientSecret: 'y' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().errorKey).toBe('app_key_exists');
    const listed = await h.request({ method: 'GET', url: `${um}/app-keys/JohnDeere` });
    expect(listed.json()).toHaveLength(1);
    expect(listed.body).not.toContain('jd-very-secret-value');
    const updated = await h.request({ method: 'PUT', url: `${um}/app-keys/JohnDeere/my-app/PRODUCTION`, payload: { clientKey: 'jd-client-2', clientSecret: 'another-secret' } });
    expect(updated.json().clientKey).toBe('jd-client-2');
    expect((await h.request({ method: 'DELETE', url: `${um}/app-keys/JohnDeere/my-app/PRODUCTION` })).statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: `${um}/app-keys/JohnDeere/my-app/PRODUCTION` })).statusCode).toBe(404);
  });

  it('takes an environment segment only for providers that have environments', async () => {
    expect((await h.request({ method: 'POST', url: `${um}/app-keys/Trimble/app/STAGE`, payload: { applicationName: 'a', clientId: 'b', clientSecret: 'c' } })).statusCode).toBe(404);
    expect((await h.request({ method: 'POST', url: `${um}/app-keys/Trimble/app`, payload: { applicationName: 'a', clientId: 'b', clientSecret: 'c' } })).statusCode).toBe(201);
    expect((await h.request({ method: 'POST', url: `${um}/app-keys/JohnDeere/app`, payload: { clientKey: 'a', clientSecret: 'c' } })).statusCode).toBe(404);
  });

  it('shows an API key once, stores only its hash, lists it masked and revokes it', async () => {
    const user = await newUser();
    const created = await h.request({ method: 'POST', url: `${um}/api-keys`, payload: { leafUserId: user, expiresIn: 900, description: 'widget' } });
    expect(created.statusCode).toBe(201);
    const { key, id } = created.json();
    expect(key).toMatch(/^fk_[A-Za-z0-9_-]{43}$/);
    const row = await h.storage.db.selectFrom('user_api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(crypto.createHash('sha256').update(key).digest('hex'));
    const listed = await h.request({ method: 'GET', url: `${um}/api-keys?leafUserId=${user}` });
    expect(listed.json()).toEqual([expect.objectContaining({ id, leafUserId: user, valid: true, key: `fk_xxxx...${key.slice(-4)}` })]);
    expect(listed.body).not.toContain(key);
    expect((await h.services.apiKeys.authenticate(key)).userId).toBe(user);
    expect((await h.request({ method: 'DELETE', url: `${um}/api-keys/${id}` })).statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: `${um}/api-keys?leafUserId=${user}` })).json()[0]).toMatchObject({ valid: false, revokedAt: expect.any(String) });
    await expect(h.services.apiKeys.authenticate(key)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses an API key expiring in less than 900 seconds', async () => {
    const response = await h.request({ method: 'POST', url: `${um}/api-keys`, payload: { leafUserId: await newUser(), expiresIn: 899 } });
    expect(response.statusCode).toBe(400);
  });

  it('creates a provider link by externalId, reusing the user, and lists, gets and deletes it', async () => {
    const externalId = `ext-${crypto.randomUUID()}`;
    const first = await h.request({ method: 'POST', url: `${ml}/provider`, payload: { externalId, allowedProviders: ['JohnDeere', 'Sentera'], settings: { companyName: 'Acme', showLeafUserName: 'true' } } });
    expect(first.statusCode).toBe(201);
    const second = await h.request({ method: 'POST', url: `${ml}/provider`, payload: { externalId, expiresIn: 3600 } });
    expect(second.json().leafUserId).toBe(first.json().leafUserId);
    const link = first.json();
    expect(link).toMatchObject({ widget: 'PROVIDER', maxUsage: 3, usageCount: 0, lastAccessedAt: null, allowedProviders: ['JohnDeere', 'Sentera'], settings: { companyName: 'Acme', showLeafUserName: true, disconnectEnabled: false, backgroundColor: '#F5F5F5' } });
    expect(link.link).toMatch(new RegExp(`/magic-link/${link.id}$`));
    expect(Date.parse(link.expiresAt) - Date.parse(link.createdAt)).toBe(900_000);
    expect((await h.request({ method: 'GET', url: `${ml}/provider/${link.id}` })).json().id).toBe(link.id);
    expect((await h.request({ method: 'GET', url: `${ml}/authentication/${link.id}` })).statusCode).toBe(404);
    expect((await h.request({ method: 'GET', url: `${ml}/provider` })).json().map((l: { id: string }) => l.id)).toContain(link.id);
    expect((await h.request({ method: 'DELETE', url: `${ml}/provider/${link.id}` })).statusCode).toBe(204);
    expect((await h.request({ method: 'GET', url: `${ml}/provider/${link.id}` })).statusCode).toBe(404);
  });

  it('furrow keys rotate re-encrypts app-key secrets and stored PKCE verifiers, which still decrypt', async () => {
    const owner = { ownerId: (await h.services.apiOwners.verifyToken(h.token)).ownerId, username: 'test' };
    await h.request({ method: 'POST', url: `${um}/app-keys/Trimble/rotating`, payload: { applicationName: 'a', clientId: 'trimble-client', clientSecret: 'trimble-secret' } });
    const link = await h.request({ method: 'POST', url: `${ml}/provider`, payload: { externalId: `ext-${crypto.randomUUID()}`, allowedProviders: ['Trimble'] } });
    const started = await h.services.magicLinks.startOAuth(link.json().id, 'trimble');
    expect(started.ok).toBe(true);
    const stateHash = crypto.createHash('sha256').update((started as { state: string }).state).digest('hex');
    const before = await h.storage.db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirstOrThrow();
    expect(before.code_verifier).not.toBeNull();

    const report = await h.services.secretKeys.rotate();
    expect(report.remaining).toBe(0);
    const appKeyRows = await h.storage.db.selectFrom('app_keys').select(['key_version', 'secrets']).execute();
    expect(appKeyRows.every((row) => Number(row.key_version) === report.to)).toBe(true);
    const after = await h.storage.db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirstOrThrow();
    expect(Number(after.key_version)).toBe(report.to);
    expect(after.code_verifier).not.toBe(before.code_verifier);
    const box = createSecretBox(secretKeyRingFromMaster(h.masterKey));
    expect(box.decrypt(after.code_verifier!, pkceVerifierAad(stateHash))).toBe(box.decrypt(before.code_verifier!, pkceVerifierAad(stateHash)));
    expect((await h.services.appKeys.forConnection(owner.ownerId, 'trimble'))?.fields).toMatchObject({ clientId: 'trimble-client', clientSecret: 'trimble-secret' });
  });

  it('the daily purge removes links expired or deleted over 30 days ago, and widget sessions a day past expiry, and leaves the others', async () => {
    const user = await newUser();
    const ownerId = (await h.services.apiOwners.verifyToken(h.token)).ownerId;
    const repo = magicLinksRepository(h.storage.db, h.storage.dialect);
    const day = 86_400_000;
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day).toISOString();
    const base = { ownerId, userId: user, widget: 'FILEUPLOAD' as const, allowedProviders: null, provider: null, settings: {}, maxUsage: 1, usageCount: 0, lastAccessedAt: null, returnUrl: null };
    const ids = { oldExpired: crypto.randomUUID(), oldDeleted: crypto.randomUUID(), recentExpired: crypto.randomUUID(), live: crypto.randomUUID(), oldSession: crypto.randomUUID(), liveSession: crypto.randomUUID() };
    await repo.insert({ ...base, id: ids.oldExpired, createdAt: at(60), expiresAt: at(31), deletedAt: null });
    await repo.insert({ ...base, id: ids.oldDeleted, createdAt: at(60), expiresAt: at(-300), deletedAt: at(31) });
    await repo.insert({ ...base, id: ids.recentExpired, createdAt: at(10), expiresAt: at(5), deletedAt: null });
    await repo.insert({ ...base, id: ids.live, createdAt: at(1), expiresAt: at(-1), deletedAt: null });
    // Widget sessions (one per widget shown) go a day after they expire.
    await repo.insert({ ...base, id: ids.oldSession, createdAt: at(2), expiresAt: at(1.5), deletedAt: null, returnUrl: 'https://app.example.com/' });
    await repo.insert({ ...base, id: ids.liveSession, createdAt: at(0.5), expiresAt: at(0.4), deletedAt: null, returnUrl: 'https://app.example.com/' });
    const purged = await h.services.magicLinks.purge();
    expect(purged.links).toBeGreaterThanOrEqual(3);
    expect(await repo.findById(ids.oldSession)).toBeUndefined();
    expect(await repo.findById(ids.liveSession)).toBeDefined();
    expect(await repo.findById(ids.oldExpired)).toBeUndefined();
    expect(await repo.findById(ids.oldDeleted)).toBeUndefined();
    expect(await repo.findById(ids.recentExpired)).toBeDefined();
    expect(await repo.findById(ids.live)).toBeDefined();
  });

  it('refuses expiresIn outside 900 s to one year and unknown providers', async () => {
    const user = await newUser();
    expect((await h.request({ method: 'POST', url: `${ml}/users/${user}/provider`, payload: { expiresIn: 899 } })).statusCode).toBe(400);
    expect((await h.request({ method: 'POST', url: `${ml}/users/${user}/provider`, payload: { expiresIn: 366 * 24 * 3600 } })).statusCode).toBe(400);
    expect((await h.request({ method: 'POST', url: `${ml}/users/${user}/provider`, payload: { allowedProviders: ['Nope'] } })).statusCode).toBe(400);
    const auth = await h.request({ method: 'POST', url: `${ml}/users/${user}/authentication`, payload: { provider: 'Sentera' } });
    expect(auth.json()).toMatchObject({ widget: 'AUTHENTICATION', provider: 'Sentera' });
    const upload = await h.request({ method: 'POST', url: `${ml}/users/${user}/file-upload`, payload: {} });
    expect(upload.json()).toMatchObject({ widget: 'FILEUPLOAD' });
    expect(upload.json().allowedProviders).toBeUndefined();
  });
});

describe.each(databases)('file-upload links on $name', (database) => {
  let h: ApiHarness;
  const LIMIT = 4096;
  beforeAll(async () => {
    h = await startApiHarness(database, { uploadLimitBytes: LIMIT });
  });
  afterAll(async () => h?.close());

  const newUploadLink = async (maxUsage: number) => {
    const created = await h.request({ method: 'POST', url: `${ml}/file-upload`, payload: { externalId: `ext-${crypto.randomUUID()}`, maxUsage } });
    expect(created.statusCode).toBe(201);
    return created.json() as { id: string; leafUserId: string };
  };
  const uploadTo = (linkId: string, bytes: Uint8Array, fileName = 'task.zip') => {
    const { payload, headers } = multipartBody('file', fileName, bytes);
    return h.request({ method: 'POST', url: `/magic-link/${linkId}/upload`, payload, headers, token: null });
  };
  const usageOf = async (linkId: string) => (await h.request({ method: 'GET', url: `${ml}/file-upload/${linkId}` })).json().usageCount as number;

  it("creates a batch for the link's user, counts one use, and shows the batch only through its own link", async () => {
    const link = await newUploadLink(2);
    const zip = zipOf(harvestTaskData({ points: 10 }));
    expect(zip.length).toBeLessThan(LIMIT);
    const response = await uploadTo(link.id, zip);
    expect(response.statusCode).toBe(201);
    const batch = response.json();
    expect(batch).toMatchObject({ fileName: 'task.zip', status: 'RECEIVED' });
    expect(await usageOf(link.id)).toBe(1);
    const stored = await h.request({ method: 'GET', url: `/services/operations/api/batch/${batch.id}` });
    expect(stored.json()).toMatchObject({ leafUserId: link.leafUserId, size: zip.length });
    const status = await h.request({ method: 'GET', url: `/magic-link/${link.id}/upload/${batch.id}`, token: null });
    expect(status.json()).toMatchObject({ id: batch.id, status: 'RECEIVED', files: { processed: 0, processing: 0, failed: 0 } });
    const other = await newUploadLink(1);
    expect((await h.request({ method: 'GET', url: `/magic-link/${other.id}/upload/${batch.id}`, token: null })).statusCode).toBe(404);
  });

  it('refuses an upload past the limit with 413 and gives the use back', async () => {
    const link = await newUploadLink(1);
    const response = await uploadTo(link.id, new Uint8Array(LIMIT + 1000).fill(7));
    expect(response.statusCode).toBe(413);
    expect(response.json().message).toMatch(/bigger than 4096 bytes/);
    expect(await usageOf(link.id)).toBe(0);
    const batches = await h.request({ method: 'GET', url: `/services/operations/api/batch?leafUserId=${link.leafUserId}` });
    expect(batches.json()).toEqual([]);
  });

  it('refuses uploads once the uses are spent, and through a link that is not for uploads', async () => {
    const link = await newUploadLink(1);
    const zip = zipOf(harvestTaskData({ points: 5 }));
    expect((await uploadTo(link.id, zip)).statusCode).toBe(201);
    const again = await uploadTo(link.id, zip);
    expect(again.statusCode).toBe(410);
    expect(again.json().message).toMatch(/used as many times as allowed/);
    const provider = await h.request({ method: 'POST', url: `${ml}/provider`, payload: { externalId: `ext-${crypto.randomUUID()}` } });
    expect((await uploadTo(provider.json().id, zip)).statusCode).toBe(409);
    expect((await h.request({ method: 'GET', url: `${ml}/provider/${provider.json().id}` })).json().usageCount).toBe(0);
  });
});
