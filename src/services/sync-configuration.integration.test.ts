/**
 * What a sync fetches follows the user's configuration as Leaf documents it (leaf-api.md 3.5,
 * 4.1, 7.1): `customDataSync` preview mode and `enableSync`, `organizationDataSync=SELECTED_ONLY`
 * with organizations set SELECTED one by one, `fieldsAutoSync=false` with the manual fields sync;
 * and at most one run per credential at a time.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../storage/testing/test-databases.js';
import { SYNC_LEASE_MS } from './sync.js';
import { scriptedField as field, startScriptedSync, type ScriptedSync } from './testing/scripted-sync.js';

const databases = await testDatabases();
const fieldsApi = '/services/fields/api';
const users = '/services/usermanagement/api/users';

describe.each(databases)('sync configuration on $name', (database) => {
  let s: ScriptedSync;
  // A fresh user and credential per test: each sets its own configuration before the first sync.
  beforeEach(async () => {
    await s?.close();
    s = await startScriptedSync(database);
  });
  afterAll(async () => s?.close());

  const configure = async (values: Record<string, unknown>) => {
    const r = await s.h.request({ method: 'POST', url: `/services/config/api/configs/${s.userId}`, payload: values });
    expect(r.statusCode, r.body).toBe(201);
  };
  const listFields = async () =>
    ((await s.h.request({ method: 'GET', url: `${fieldsApi}/users/${s.userId}/fields?size=100` })).json() as { id: string; providerFieldId: string; status: string; boundaries: string[] }[]).sort((a, b) =>
      a.providerFieldId.localeCompare(b.providerFieldId),
    );

  it('with customDataSync, brings fields in PREVIEW without boundaries, and fetches a field in full once enabled, even when its listing is incremental', async () => {
    await configure({ customDataSync: true });
    s.upstream.fields = [field('a'), field('b')];
    const first = await s.sync.syncCredential(s.credentialId);
    expect(first?.counts.fields.created).toBe(2);
    expect(first?.counts.boundaries.created).toBe(0);
    expect(s.upstream.boundaryCalls).toEqual([]);
    expect((await listFields()).map((f) => [f.providerFieldId, f.status, f.boundaries.length])).toEqual([
      ['a', 'PREVIEW', 0],
      ['b', 'PREVIEW', 0],
    ]);

    const a = (await listFields())[0]!;
    const enabled = await s.h.request({ method: 'POST', url: `${fieldsApi}/users/${s.userId}/fields/${a.id}/enableSync` });
    expect(enabled.json().status).toBe('WAITING');
    // The provider lists only changes now: field "a" is not among them, and is fetched all the same.
    s.upstream.complete = false;
    s.upstream.fields = [];
    const second = await s.sync.syncCredential(s.credentialId);
    expect(second?.counts.boundaries.created).toBe(1);
    expect(s.upstream.boundaryCalls).toEqual(['a']);
    expect((await listFields()).map((f) => [f.providerFieldId, f.status, f.boundaries.length])).toEqual([
      ['a', 'PROCESSED', 1],
      ['b', 'PREVIEW', 0],
    ]);
    // Its files were skipped while it was in PREVIEW: the next file listing starts over.
    expect(second?.cursors['org-1']?.['files']).toBeUndefined();
  });

  it('with customDataSync, enabling a grower\'s fields queues a sync at once', async () => {
    await configure({ customDataSync: true });
    s.upstream.growers = [{ providerId: 'g1', organizationId: 'org-1', name: 'G', version: '1' }];
    s.upstream.farms = [{ providerId: 'f1', organizationId: 'org-1', growerId: 'g1', name: 'F', version: '1' }];
    s.upstream.fields = [field('a', 'org-1', { farmId: 'f1' })];
    await s.sync.syncCredential(s.credentialId);
    const grower = (await s.h.request({ method: 'GET', url: `${fieldsApi}/growers?leafUserId=${s.userId}` })).json()[0] as { id: number };
    // The queue is not started here: the sync queued when the credential was connected is still pending.
    expect(await s.h.queue.cancel(`sync:${s.credentialId}`)).toBe(1);
    const r = await s.h.request({ method: 'POST', url: `${fieldsApi}/growers/enableSync`, payload: { growerIds: [grower.id] } });
    expect(r.json()).toEqual({ growerIds: [grower.id], fieldsEnabled: 1 });
    // Furrow's own sync service queued one on the real queue, keyed by the credential.
    expect(await s.h.queue.cancel(`sync:${s.credentialId}`)).toBe(1);
    expect((await s.sync.syncCredential(s.credentialId))?.counts.boundaries.created).toBe(1);
    expect((await listFields())[0]?.status).toBe('PROCESSED');
  });

  it('with organizationDataSync=SELECTED_ONLY, syncs nothing beyond the organizations until one is SELECTED, then only that one', async () => {
    await configure({ organizationDataSync: 'SELECTED_ONLY' });
    s.upstream.organizations = [
      { providerId: 'org-1', name: 'One', connected: true, version: '1' },
      { providerId: 'org-2', name: 'Two', connected: true, version: '1' },
      { providerId: 'org-3', name: 'Three', connected: false, version: '1' },
    ];
    s.upstream.fields = [field('a', 'org-1'), field('b', 'org-2')];
    const first = await s.sync.syncCredential(s.credentialId);
    expect(first?.counts.fields.created).toBe(0);
    const organizations = (await s.h.request({ method: 'GET', url: `${users}/${s.userId}/JohnDeere/organizations` })).json() as { providerOrgId: string; status: string }[];
    expect(Object.fromEntries(organizations.map((o) => [o.providerOrgId, o.status]))).toEqual({ 'org-1': 'PREVIEW', 'org-2': 'PREVIEW', 'org-3': 'BLOCKED' });

    const patched = await s.h.request({ method: 'PATCH', url: `${users}/${s.userId}/JohnDeere/organizations/org-2/SELECTED` });
    expect(patched.statusCode, patched.body).toBe(200);
    const second = await s.sync.syncCredential(s.credentialId);
    expect(second?.counts.fields.created).toBe(1);
    expect((await listFields()).map((f) => f.providerFieldId)).toEqual(['b']);
  });

  it('with organizationDataSync=ALL, syncs every connected organization, and not one set back to PREVIEW', async () => {
    s.upstream.organizations = [
      { providerId: 'org-1', name: 'One', connected: true, version: '1' },
      { providerId: 'org-2', name: 'Two', connected: true, version: '1' },
    ];
    s.upstream.fields = [field('a', 'org-1'), field('b', 'org-2')];
    expect((await s.sync.syncCredential(s.credentialId))?.counts.fields.created).toBe(2);
    const patched = await s.h.request({ method: 'PATCH', url: `${users}/${s.userId}/JohnDeere/organizations/org-1/PREVIEW` });
    expect(patched.statusCode, patched.body).toBe(200);
    s.upstream.fields = [field('a', 'org-1', { version: '2', name: 'renamed' }), field('b', 'org-2', { version: '2', name: 'renamed' })];
    const run = await s.sync.syncCredential(s.credentialId);
    expect(run?.counts.fields).toMatchObject({ updated: 1 });
  });

  it('with fieldsAutoSync off, an automatic sync leaves fields alone and POST fields/sync brings them', async () => {
    await configure({ fieldsAutoSync: false });
    s.upstream.growers = [{ providerId: 'g1', organizationId: 'org-1', name: 'G', version: '1' }];
    s.upstream.fields = [field('a')];
    const automatic = await s.sync.syncCredential(s.credentialId);
    expect(automatic?.counts.growers.created).toBe(1);
    expect(automatic?.counts.fields.created).toBe(0);
    expect(await listFields()).toEqual([]);

    const asked = await s.h.request({ method: 'POST', url: `${fieldsApi}/users/${s.userId}/fields/sync` });
    expect(asked.statusCode, asked.body).toBe(202);
    const manual = await s.sync.syncCredential(s.credentialId);
    expect(manual?.counts.fields.created).toBe(1);
    expect((await listFields()).map((f) => f.status)).toEqual(['PROCESSED']);
    // The request was served: the next automatic run is automatic again.
    s.upstream.fields = [field('a'), field('b')];
    expect((await s.sync.syncCredential(s.credentialId))?.counts.fields.created).toBe(0);
  });

  it('runs one sync per credential at a time: a second run finds the lease held and queues itself for later', async () => {
    let release!: () => void;
    s.upstream.hold = new Promise<void>((resolve) => (release = resolve));
    s.upstream.fields = [field('a')];
    const slow = s.sync.syncCredential(s.credentialId);
    // Wait until the first run holds the lease (it is then parked in its grower listing).
    const leaseHolder = async () => (await s.h.storage.db.selectFrom('sync_cursors').select('lease_run_id').where('credential_id', '=', s.credentialId).executeTakeFirst())?.lease_run_id ?? null;
    for (let i = 0; i < 200 && (await leaseHolder()) === null; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await leaseHolder()).not.toBeNull();

    expect(await s.sync.syncCredential(s.credentialId)).toBeUndefined();
    expect(s.queued).toHaveLength(1);
    expect(s.queued[0]!.credentialId).toBe(s.credentialId);
    expect(s.queued[0]!.runAt!.getTime()).toBeGreaterThan(Date.now());
    expect(s.queued[0]!.runAt!.getTime()).toBeLessThanOrEqual(Date.now() + SYNC_LEASE_MS + 1000);

    release();
    expect((await slow)?.counts.fields.created).toBe(1);
    expect(await leaseHolder()).toBeNull();
    // Once the first has finished, the lease is free again.
    s.upstream.hold = undefined;
    expect((await s.sync.syncCredential(s.credentialId))?.status).toBe('SUCCEEDED');
    expect((await s.sync.listRuns(s.credentialId)).map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });
});
