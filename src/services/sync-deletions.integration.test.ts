/**
 * When the sync engine deletes: only after a complete listing. A provider whose listings are
 * scripted by the test (the emulators have no "delete a field" control) stands in for John Deere,
 * behind a real credential, so the runs go through the real credentials, fields and sync storage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import type { Provider } from '../providers/provider.js';
import { providers } from '../providers/registry.js';
import { syncListing, type ProviderSync, type SyncField } from '../providers/sync-data.js';
import { credentialsRepository } from '../storage/repositories/credentials.js';
import { fieldsRepository } from '../storage/repositories/fields.js';
import { syncRepository } from '../storage/repositories/sync.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import { syncService, type SyncService } from './sync.js';

const databases = await testDatabases();
const users = '/services/usermanagement/api/users';

/** A square of `size` degrees at (lon, lat), as a closed GeoJSON MultiPolygon. */
const square = (lon: number, lat: number, size = 0.005) => ({
  type: 'MultiPolygon' as const,
  coordinates: [[[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]],
});

describe.each(databases)('sync deletions on $name', (database) => {
  let h: ApiHarness;
  let credentialId: string;
  let userId: string;
  /** What the scripted provider lists, whether its next field listing is complete, and which fields get an invalid boundary. */
  const upstream = { fields: [] as SyncField[], complete: true, invalid: new Set<string>() };
  const deere = providers['john-deere'] as unknown as Provider;
  // A ring of three positions: invalid, and nothing automaticFixBoundary can repair.
  const degenerate = { type: 'MultiPolygon' as const, coordinates: [[[[-92, 41], [-91.99, 41], [-92, 41]]]] };

  const scripted: ProviderSync = {
    listOrganizations: async () => [{ providerId: 'org-1', name: 'Org', connected: true, version: '1' }],
    listGrowers: async function* () {},
    listFarms: async function* () {},
    listFields: () => {
      const listed = [...upstream.fields];
      return syncListing(async function* () {
        yield* listed;
        return `cursor-${listed.length}`;
      }, upstream.complete);
    },
    listBoundaries: async (_credential, _ctx, _organization, field) => {
      const index = upstream.fields.findIndex((f) => f.providerId === field.providerId);
      return [{ providerId: `b-${field.providerId}`, fieldId: field.providerId, active: true, version: '1', geometry: upstream.invalid.has(field.providerId) ? degenerate : square(-93 + index * 0.01, 41.5) }];
    },
    // eslint-disable-next-line require-yield
    listFiles: () => syncListing(async function* () {
      return undefined;
    }, true),
    downloadFile: async () => ({ bytes: 0, requests: 0 }),
  };
  let sync: SyncService;

  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true, sync: true });
    sync = syncService({
      credentialRecords: credentialsRepository(h.storage.db, h.storage.dialect),
      credentials: h.services.credentials,
      providers: { 'john-deere': { ...deere, adapter: { ...deere.adapter!, sync: scripted } } },
      sync: syncRepository(h.storage.db, h.storage.dialect),
      fieldRows: fieldsRepository(h.storage.db, h.storage.dialect),
      fields: h.services.fields,
      alerts: h.services.alerts,
      jobs: { syncCredential: async () => {} },
    });
    userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id;
    const account = (await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: 'john-deere' } })).json();
    const posted = await h.request({ method: 'POST', url: `${users}/${userId}/${deere.credentialsPath}`, payload: account.credentials });
    expect(posted.statusCode, posted.body).toBe(201);
    credentialId = posted.json().id;
  });
  afterAll(async () => h?.close());

  const providerFieldIds = async () =>
    ((await h.request({ method: 'GET', url: `/services/fields/api/users/${userId}/fields?size=100` })).json() as { providerFieldId: string }[]).map((f) => f.providerFieldId).sort();
  const field = (id: string): SyncField => ({ providerId: id, organizationId: 'org-1', name: `Field ${id}`, version: '1', activeBoundaryId: `b-${id}` });

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
});
