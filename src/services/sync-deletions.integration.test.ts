/**
 * When the sync engine deletes: only after a complete listing. A provider whose listings are
 * scripted by the test (the emulators have no "delete a field" control) stands in for John Deere,
 * behind a real credential, so the runs go through the real credentials, fields and sync storage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHarness } from '../api/testing/api-harness.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import type { SyncService } from './sync.js';
import { scriptedField as field, startScriptedSync, type ScriptedSync, type Upstream } from './testing/scripted-sync.js';

const databases = await testDatabases();

describe.each(databases)('sync deletions on $name', (database) => {
  let scripted: ScriptedSync;
  let h: ApiHarness;
  let sync: SyncService;
  let upstream: Upstream;
  let credentialId: string;
  let userId: string;

  beforeAll(async () => {
    scripted = await startScriptedSync(database);
    ({ h, sync, upstream, credentialId, userId } = scripted);
  });
  afterAll(async () => scripted?.close());

  const providerFieldIds = async () =>
    ((await h.request({ method: 'GET', url: `/services/fields/api/users/${userId}/fields?size=100` })).json() as { providerFieldId: string }[]).map((f) => f.providerFieldId).sort();

  it('keeps fields an incremental listing leaves out, and deletes them after a complete listing without them', async () => {
    upstream.fields = [field('a'), field('b')];
    upstream.complete = true;
    expect((await sync.syncCredential(credentialId))?.counts.fields).toEqual({ created: 2, updated: 0, unchanged: 0, deleted: 0 });
    expect(await providerFieldIds()).toEqual(['a', 'b']);

    // An incremental listing names only what changed: "b" missing from it says nothing.
    upstream.fields = [field('a')];
    upstream.complete = false;
    expect((await sync.syncCredential(credentialId))?.counts.fields).toEqual({ created: 0, updated: 0, unchanged: 1, deleted: 0 });
    expect(await providerFieldIds()).toEqual(['a', 'b']);

    upstream.complete = true;
    const run = await sync.syncCredential(credentialId);
    expect(run?.counts.fields).toEqual({ created: 0, updated: 0, unchanged: 1, deleted: 1 });
    expect(await providerFieldIds()).toEqual(['a']);
    expect(run?.cursors['org-1']).toEqual({ fields: 'cursor-1' });
  });

  it('records a field whose boundary cannot be stored as an error of a PARTIAL run, and syncs the others', async () => {
    upstream.fields = [field('a'), field('c')];
    upstream.complete = true;
    upstream.invalid = new Set(['c']);
    const run = await sync.syncCredential(credentialId);
    expect(run?.status).toBe('PARTIAL');
    expect(run?.errors).toEqual([expect.objectContaining({ kind: 'field', providerId: 'c' })]);
    expect(run?.counts.fields).toMatchObject({ unchanged: 1, deleted: 0 });
    expect((await h.services.sync.listRuns(credentialId))[0]).toMatchObject({ id: run?.id, status: 'PARTIAL' });

    // Fixed upstream: the next run adopts the field by its natural key instead of adding another.
    upstream.invalid = new Set();
    const next = await sync.syncCredential(credentialId);
    expect(next?.status).toBe('SUCCEEDED');
    expect(next?.counts.boundaries.created).toBe(1);
    expect(await providerFieldIds()).toEqual(['a', 'c']);
  });

  it('deletes growers and farms the organization no longer lists, keeping their farms and fields without them', async () => {
    upstream.invalid = new Set();
    upstream.growers = [
      { providerId: 'g1', organizationId: 'org-1', name: 'Grower 1', version: '1' },
      { providerId: 'g2', organizationId: 'org-1', name: 'Grower 2', version: '1' },
    ];
    upstream.farms = [
      { providerId: 'f1', organizationId: 'org-1', growerId: 'g1', name: 'Farm 1', version: '1' },
      { providerId: 'f2', organizationId: 'org-1', growerId: 'g2', name: 'Farm 2', version: '1' },
    ];
    upstream.fields = [field('a', 'org-1', { farmId: 'f2', version: '2' })];
    upstream.complete = true;
    const first = await sync.syncCredential(credentialId);
    expect(first?.counts).toMatchObject({ growers: { created: 2, deleted: 0 }, farms: { created: 2, deleted: 0 } });
    const farms = async () => (await h.request({ method: 'GET', url: `/services/fields/api/farms?leafUserId=${userId}&size=100` })).json() as { id: number; name: string; growerId: number | null }[];
    const growers = async () => ((await h.request({ method: 'GET', url: `/services/fields/api/growers?leafUserId=${userId}&size=100` })).json() as { name: string }[]).map((g) => g.name).sort();
    const farm2 = (await farms()).find((f) => f.name === 'Farm 2')!;

    // Grower 2 and Farm 2 are gone upstream; the field that sat in Farm 2 stays, without a farm.
    upstream.growers = upstream.growers.slice(0, 1);
    upstream.farms = upstream.farms.slice(0, 1);
    const second = await sync.syncCredential(credentialId);
    expect(second?.counts).toMatchObject({ growers: { unchanged: 1, deleted: 1 }, farms: { unchanged: 1, deleted: 1 } });
    expect(await growers()).toEqual(['Grower 1']);
    expect((await farms()).map((f) => f.name)).toEqual(['Farm 1']);
    const fields = (await h.request({ method: 'GET', url: `/services/fields/api/users/${userId}/fields?size=100` })).json() as { providerFieldId: string; farmId: number | null }[];
    expect(fields).toEqual([expect.objectContaining({ providerFieldId: 'a', farmId: null })]);
    expect((await farms()).some((f) => f.id === farm2.id)).toBe(false);

    // Nothing else changed: the next run deletes nothing and writes nothing.
    const third = await sync.syncCredential(credentialId);
    expect(third?.counts).toMatchObject({ growers: { created: 0, updated: 0, unchanged: 1, deleted: 0 }, farms: { created: 0, updated: 0, unchanged: 1, deleted: 0 }, fields: { created: 0, updated: 0, unchanged: 1, deleted: 0 } });
  });
});
