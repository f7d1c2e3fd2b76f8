/**
 * The sync engine end to end on each database: credentials POSTed through the API against the
 * sandbox emulators, the `sync-credential` job run by the real queue, and what lands in the Fields
 * service compared with the emulator's own data; then a no-change re-sync and a redrawn boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../providers/provider.js';
import { providers } from '../providers/registry.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import { runsReaching as runsReachingOf } from './testing/sync-runs.js';

const databases = await testDatabases();
const users = '/services/usermanagement/api/users';
const fieldsApi = '/services/fields/api';

describe.each(databases)('the sync engine against the emulators on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true, sync: true });
    await h.queue.start({ concurrency: 2 });
  });
  afterAll(async () => h?.close());

  const get = async (url: string) => {
    const r = await h.request({ method: 'GET', url });
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const runsReaching = (credentialId: string, count: number) => runsReachingOf(h, credentialId, count);

  // Deere has clients (growers) over farms; Climate's hierarchy is organization, farm, field.
  describe.each([
    { providerId: 'john-deere', hasGrowerLevel: true },
    { providerId: 'climate-field-view', hasGrowerLevel: false },
  ])('$providerId', ({ providerId, hasGrowerLevel }) => {
    const provider = (providers as Readonly<Record<string, Provider>>)[providerId]!;
    const state = {} as { userId: string; accountId: string; credentialId: string; fields: { id: string; providerFieldId: string; updatedTime: string }[] };

    it('brings the connected organizations\' growers, farms, fields and active boundaries after credentials are POSTed', async () => {
      state.userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id;
      const account = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: providerId } });
      expect(account.statusCode).toBe(201);
      state.accountId = account.json().id;
      const posted = await h.request({ method: 'POST', url: `${users}/${state.userId}/${provider.credentialsPath}`, payload: account.json().credentials });
      expect(posted.statusCode, posted.body).toBe(201);
      state.credentialId = posted.json().id;

      const [run] = await runsReaching(state.credentialId, 1);
      expect(run).toMatchObject({ status: 'SUCCEEDED', errors: [] });

      const view = h.sandboxStore!.get(state.accountId)!.view;
      // Where the provider has no organizations of its own, the grant reaches all the account's data.
      const connected = new Set(view.organizations.filter((o) => o.connected || !provider.capabilities.hasOrganizations).map((o) => o.id));
      const expectedFields = view.fields.filter((f) => connected.has(f.organizationId));
      expect(expectedFields.length).toBeGreaterThan(0);
      const fields = await get(`${fieldsApi}/users/${state.userId}/fields?size=1000`);
      expect(fields.map((f: { providerFieldId: string }) => f.providerFieldId).sort()).toEqual(expectedFields.map((f) => f.id).sort());
      expect(fields.every((f: { providerName: string }) => f.providerName === provider.apiName)).toBe(true);
      expect(run!.counts.fields).toEqual({ created: expectedFields.length, updated: 0, unchanged: 0, deleted: 0 });
      expect(run!.counts.boundaries.created).toBe(expectedFields.length);

      for (const field of fields.slice(0, 3)) {
        const active = await get(`${fieldsApi}/users/${state.userId}/fields/${field.id}/boundary`);
        const emulated = view.operation.boundaries(field.providerFieldId).find((b) => b.active)!;
        expect(active).toMatchObject({ status: 'ACTIVE', providerBoundaryId: emulated.id, geometry: { type: 'MultiPolygon' } });
        expect(active.area.value).toBeGreaterThan(0);
      }
      // Every field sits in a synced farm.
      const farms = await get(`${fieldsApi}/farms?leafUserId=${state.userId}&size=1000`);
      expect(farms.length).toBeGreaterThan(0);
      const farmIds = new Set(farms.map((f: { id: number }) => f.id));
      expect(fields.every((f: { farmId: number }) => farmIds.has(f.farmId))).toBe(true);
      const growers = await get(`${fieldsApi}/growers?leafUserId=${state.userId}&size=1000`);
      expect(run!.counts.growers.created).toBe(growers.length);
      expect(run!.counts.farms.created).toBe(farms.length);
      if (hasGrowerLevel) {
        expect(farms.length).toBe(view.operation.farms.filter((f) => connected.has(f.organizationId)).length);
        expect(growers.length).toBe(view.operation.growers.filter((g) => connected.has(g.organizationId)).length);
        expect(growers.length).toBeGreaterThan(0);
      }
      state.fields = fields;
    });

    it('writes nothing on a second sync when nothing changed at the provider', async () => {
      const before = {
        growers: await get(`${fieldsApi}/growers?leafUserId=${state.userId}&size=1000`),
        farms: await get(`${fieldsApi}/farms?leafUserId=${state.userId}&size=1000`),
        fields: await get(`${fieldsApi}/users/${state.userId}/fields?size=1000`),
      };
      const asked = await h.request({ method: 'POST', url: `${fieldsApi}/users/${state.userId}/fields/sync`, payload: {} });
      expect(asked.statusCode).toBe(202);
      expect(asked.json().message).toMatch(/1 credential is queued/);
      const [run] = await runsReaching(state.credentialId, 2);
      expect(run!.status).toBe('SUCCEEDED');
      for (const kind of ['growers', 'farms', 'fields', 'boundaries'] as const) {
        expect(run!.counts[kind], kind).toMatchObject({ created: 0, updated: 0, deleted: 0 });
      }
      expect(await get(`${fieldsApi}/growers?leafUserId=${state.userId}&size=1000`)).toEqual(before.growers);
      expect(await get(`${fieldsApi}/farms?leafUserId=${state.userId}&size=1000`)).toEqual(before.farms);
      expect(await get(`${fieldsApi}/users/${state.userId}/fields?size=1000`)).toEqual(before.fields);
    });

    it('shows its runs on the credential: lastSyncTime, and the runs with their counts, newest first', async () => {
      const credential = await get(`${users}/${state.userId}/${provider.credentialsPath}`);
      const runs = await get(`${users}/${state.userId}/${provider.credentialsPath}/syncs`);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs[0]).toMatchObject({ status: 'SUCCEEDED', errors: [], counts: { fields: { created: 0, updated: 0, deleted: 0 } } });
      expect(runs.at(-1).counts.fields.created).toBe(state.fields.length);
      expect(Date.parse(credential.lastSyncTime)).toBeGreaterThanOrEqual(Date.parse(runs[0].startedAt));
      // Another user's id answers as for the credential: not found.
      expect((await h.request({ method: 'GET', url: `${users}/no-such-user/${provider.credentialsPath}/syncs` })).statusCode).toBe(404);
    });

    it('makes a redrawn boundary the active one and the old one inactive on the next sync', async () => {
      const target = state.fields[0]!;
      const before = await get(`${fieldsApi}/users/${state.userId}/fields/${target.id}/boundary`);
      const redrawn = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${state.accountId}/boundaries/${target.providerFieldId}`, payload: {} });
      expect(redrawn.statusCode, redrawn.body).toBeLessThan(300);
      const runsBefore = (await h.services.sync.listRuns(state.credentialId)).length;
      expect((await h.request({ method: 'POST', url: `${fieldsApi}/users/${state.userId}/fields/sync`, payload: {} })).statusCode).toBe(202);
      const [run] = await runsReaching(state.credentialId, runsBefore + 1);
      expect(run).toMatchObject({ status: 'SUCCEEDED' });
      expect(run!.counts.boundaries).toMatchObject({ created: 0, updated: 1 });
      expect(run!.counts.fields).toMatchObject({ created: 0, updated: 1, deleted: 0 });

      const view = h.sandboxStore!.get(state.accountId)!.view;
      const emulated = view.operation.boundaries(target.providerFieldId).find((b) => b.active)!;
      const active = await get(`${fieldsApi}/users/${state.userId}/fields/${target.id}/boundary`);
      expect(active.providerBoundaryId).toBe(emulated.id);
      expect(active.id).not.toBe(before.id);
      const history = await get(`${fieldsApi}/users/${state.userId}/fields/${target.id}/boundaries`);
      expect(history.map((b: { id: string; status: string }) => [b.id, b.status])).toEqual([
        [active.id, 'ACTIVE'],
        [before.id, 'INACTIVE'],
      ]);
      // The other fields were not touched.
      const after = await get(`${fieldsApi}/users/${state.userId}/fields?size=1000`);
      for (const field of after.filter((f: { id: string }) => f.id !== target.id)) {
        expect(field.updatedTime).toBe(state.fields.find((f) => f.id === field.id)!.updatedTime);
      }
    });
  });
});
