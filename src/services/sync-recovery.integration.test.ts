/**
 * A sync whose process died is resumed, not duplicated: its RUNNING record is closed as FAILED by
 * the next run, and a boundary it stored but did not get to remember is adopted, not stored twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../storage/testing/test-databases.js';
import { syncRepository } from '../storage/repositories/sync.js';
import { scriptedField as field, square, startScriptedSync, type ScriptedSync } from './testing/scripted-sync.js';

const databases = await testDatabases();

describe.each(databases)('sync recovery on $name', (database) => {
  let s: ScriptedSync;
  beforeAll(async () => {
    s = await startScriptedSync(database);
  });
  afterAll(async () => s?.close());

  it('closes a run left RUNNING by a dead process as FAILED, saying why, when the next run starts', async () => {
    const store = syncRepository(s.h.storage.db, s.h.storage.dialect);
    const zero = { created: 0, updated: 0, unchanged: 0, deleted: 0 };
    await store.insertRun({
      id: 'dead-run',
      credentialId: s.credentialId,
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      finishedAt: null,
      status: 'RUNNING',
      counts: { growers: zero, farms: zero, fields: zero, boundaries: zero, files: zero },
      errors: [],
      cursors: {},
    });
    s.upstream.fields = [field('a')];
    const run = await s.sync.syncCredential(s.credentialId);
    expect(run?.status).toBe('SUCCEEDED');
    const runs = await s.sync.listRuns(s.credentialId);
    expect(runs.map((r) => [r.id === run!.id ? 'new' : r.id, r.status])).toEqual([
      ['new', 'SUCCEEDED'],
      ['dead-run', 'FAILED'],
    ]);
    expect(runs[1]!.errors[0]!.message).toMatch(/stopped before it finished/);
  });

  it('adopts a redrawn boundary a dead run stored but did not remember, instead of storing it again', async () => {
    const credential = await s.h.storage.db.selectFrom('credentials').select('api_owner_id').where('id', '=', s.credentialId).executeTakeFirstOrThrow();
    const owner = { ownerId: credential.api_owner_id, username: 'test' };
    const [local] = (await s.h.request({ method: 'GET', url: `/services/fields/api/users/${s.userId}/fields` })).json() as { id: string }[];
    const boundaries = async () => (await s.h.request({ method: 'GET', url: `/services/fields/api/users/${s.userId}/fields/${local!.id}/boundaries` })).json() as { id: string; status: string; providerBoundaryId: string }[];
    expect((await boundaries()).map((b) => b.providerBoundaryId)).toEqual(['b-a']);

    // The provider redraws the boundary under a new id; a run stores it and dies before remembering it.
    s.upstream.boundaryIds.set('a', 'b-a-2');
    s.upstream.fields = [field('a', 'org-1', { version: '2', activeBoundaryId: 'b-a-2' })];
    await s.h.services.fields.applyProviderBoundary(owner, s.userId, local!.id, { geometry: square(-93, 41.5, 0.006), providerBoundaryId: 'b-a-2' });

    const run = await s.sync.syncCredential(s.credentialId);
    expect(run?.counts.boundaries).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect((await boundaries()).map((b) => [b.providerBoundaryId, b.status])).toEqual([
      ['b-a-2', 'ACTIVE'],
      ['b-a', 'INACTIVE'],
    ]);
    // And the record now says so: the next run leaves it alone too.
    expect((await s.sync.syncCredential(s.credentialId))?.counts.boundaries).toMatchObject({ created: 0, updated: 0 });
  });
});
