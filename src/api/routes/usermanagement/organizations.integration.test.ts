/**
 * Provider organizations end to end (leaf-api.md 3.5), for every provider that serves them,
 * against its emulator over real HTTP: Furrow's API -> credentials service -> adapter ->
 * `/sandbox/<provider>` on the same loopback server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../../providers/registry.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const served = Object.values(providers).filter((p) => p.capabilities.hasOrganizations && p.adapter?.listOrganizations !== undefined && p.emulator !== undefined);
// The detailed tests below follow John Deere's model: organizations the grower has not connected
// are listed too (with a connect link) and ids are Deere's organization numbers. Other providers
// (Trimble lists only authorised organizations, by GUID) get the generic test at the end.
const deere = served.filter((p) => p.apiName === 'JohnDeere');
const others = served.filter((p) => p.apiName !== 'JohnDeere');
const users = '/services/usermanagement/api/users';

type EmulatedOrganization = { id: string; number: string; name: string; connected: boolean };
type Summary = { id: string; name: string; managementUri: string | null };
type Resource = { providerOrgId: string; providerOrgName: string; status: string; managementUri: string | null };

describe.each(databases)('provider organizations on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true });
  });
  afterAll(async () => h?.close());

  it('are served for John Deere at least', () => {
    expect(served.map((p) => p.apiName)).toContain('JohnDeere');
  });

  describe.each(deere)('$apiName', (provider) => {
    const overviewUrl = (userId: string) => `${users}/${userId}/organizations/${provider.apiName}`;
    const base = (userId: string) => `${users}/${userId}/${provider.apiName}/organizations`;

    /** A Leaf user with a connected sandbox account of the default scenario (three organizations, the last not connected). */
    async function connectedUser(token?: string) {
      const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' }, ...(token === undefined ? {} : { token }) })).json().id as string;
      const account = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: provider.id }, ...(token === undefined ? {} : { token }) });
      expect(account.statusCode).toBe(201);
      const posted = await h.request({ method: 'POST', url: `${users}/${userId}/${provider.credentialsPath}`, payload: account.json().credentials, ...(token === undefined ? {} : { token }) });
      expect(posted.statusCode, posted.body).toBe(201);
      const accountId = account.json().id as string;
      const emulated = async () => (await h.request({ method: 'GET', url: `/sandbox/api/accounts/${accountId}`, ...(token === undefined ? {} : { token }) })).json().organizations as EmulatedOrganization[];
      return { userId, accountId, credentialId: posted.json().id as string, emulated };
    }
    const rowsOf = async (credentialId: string) => h.storage.db.selectFrom('provider_organizations').selectAll().where('credential_id', '=', credentialId).execute();

    it("lists connected and not connected organizations as the provider has them; the unconnected one carries a connect URL", async () => {
      const { userId, emulated } = await connectedUser();
      const organizations = await emulated();
      expect(organizations.map((o) => o.connected)).toEqual([true, true, false]);

      const r = await h.request({ method: 'GET', url: overviewUrl(userId) });
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json() as { connectedOrganizations: Summary[]; notConnectedOrganizations: Summary[] };
      expect(Object.keys(body).sort()).toEqual(['connectedOrganizations', 'notConnectedOrganizations']);
      const ids = (list: Summary[]) => list.map((o) => ({ id: o.id, name: o.name })).sort((a, b) => a.id.localeCompare(b.id));
      const expected = (connected: boolean) => organizations.filter((o) => o.connected === connected).map((o) => ({ id: o.number, name: o.name })).sort((a, b) => a.id.localeCompare(b.id));
      expect(ids(body.connectedOrganizations)).toEqual(expected(true));
      expect(ids(body.notConnectedOrganizations)).toEqual(expected(false));
      expect(body.notConnectedOrganizations[0]!.managementUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sandbox\/john-deere\/connections\/.+\/select-organizations$/);
      for (const o of body.connectedOrganizations) expect(o.managementUri).toContain(`connections-dialog?orgId=${o.id}`);
    });

    it('gives connected organizations SELECTED under organizationDataSync ALL, the unconnected one BLOCKED, and pages the list', async () => {
      const { userId, emulated } = await connectedUser();
      const organizations = await emulated();
      const r = await h.request({ method: 'GET', url: base(userId) });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers['x-total-count']).toBe('3');
      const list = r.json() as Resource[];
      const statusOf = new Map(list.map((o) => [o.providerOrgId, o.status]));
      for (const o of organizations) expect(statusOf.get(o.number)).toBe(o.connected ? 'SELECTED' : 'BLOCKED');
      expect(list.map((o) => o.providerOrgName)).toEqual([...list.map((o) => o.providerOrgName)].sort());

      const paged = await h.request({ method: 'GET', url: `${base(userId)}?size=2&page=1&sort=providerOrgId,desc` });
      expect(paged.statusCode).toBe(200);
      expect((paged.json() as Resource[]).map((o) => o.providerOrgId)).toEqual([organizations.map((o) => o.number).sort().reverse()[2]]);

      const one = organizations[0]!;
      const got = await h.request({ method: 'GET', url: `${base(userId)}/${one.number}` });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual({ providerOrgId: one.number, providerOrgName: one.name, status: 'SELECTED', managementUri: expect.stringContaining('connections-dialog') });
      expect((await h.request({ method: 'GET', url: `${base(userId)}/no-such-org` })).statusCode).toBe(404);
    });

    it('gives new organizations PREVIEW under organizationDataSync SELECTED_ONLY', async () => {
      const { userId, emulated } = await connectedUser();
      const configured = await h.request({ method: 'POST', url: `/services/config/api/configs/${userId}`, payload: { organizationDataSync: 'SELECTED_ONLY' } });
      expect(configured.statusCode, configured.body).toBe(201);
      const list = (await h.request({ method: 'GET', url: base(userId) })).json() as Resource[];
      const connected = new Set((await emulated()).filter((o) => o.connected).map((o) => o.number));
      for (const o of list) expect(o.status).toBe(connected.has(o.providerOrgId) ? 'PREVIEW' : 'BLOCKED');
    });

    it('keeps a status the user set across re-syncs, which never duplicate organizations', async () => {
      const { userId, credentialId, emulated } = await connectedUser();
      const [first, second] = await emulated();
      const patched = await h.request({ method: 'PATCH', url: `${base(userId)}/${first!.number}/PREVIEW` });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ providerOrgId: first!.number, status: 'PREVIEW' });
      // The JSON body form does the same.
      const byBody = await h.request({ method: 'PATCH', url: `${base(userId)}/${second!.number}`, payload: { status: 'PREVIEW' } });
      expect(byBody.statusCode, byBody.body).toBe(200);
      expect(byBody.json().status).toBe('PREVIEW');

      for (let i = 0; i < 2; i++) {
        const synced = await h.request({ method: 'POST', url: `${base(userId)}/sync` });
        expect(synced.statusCode, synced.body).toBe(200);
        expect((synced.json() as Resource[]).length).toBe(3);
      }
      const rows = await rowsOf(credentialId);
      expect(rows).toHaveLength(3);
      expect(new Set(rows.map((r) => r.organization_id)).size).toBe(3);
      expect((await h.request({ method: 'GET', url: `${base(userId)}/${first!.number}` })).json().status).toBe('PREVIEW');
      expect((await h.request({ method: 'GET', url: `${base(userId)}/${second!.number}` })).json().status).toBe('PREVIEW');

      const back = await h.request({ method: 'PATCH', url: `${base(userId)}/${first!.number}/SELECTED` });
      expect(back.json().status).toBe('SELECTED');
      await h.request({ method: 'POST', url: `${base(userId)}/sync` });
      expect((await h.request({ method: 'GET', url: `${base(userId)}/${first!.number}` })).json().status).toBe('SELECTED');
    });

    it('follows the provider on re-sync: a newly connected organization leaves BLOCKED, a vanished one is removed', async () => {
      const { userId, accountId, credentialId, emulated } = await connectedUser();
      const organizations = await emulated();
      expect((await h.request({ method: 'GET', url: base(userId) })).statusCode).toBe(200);
      const account = h.sandboxStore!.get(accountId)!;
      const unconnected = organizations[2]!;
      h.sandboxStore!.setOrganizationConnected(account, unconnected.id, true);
      // The grower leaves the first organization at the provider.
      account.view = { ...account.view, organizations: account.view.organizations.slice(1) };

      const synced = await h.request({ method: 'POST', url: `${base(userId)}/sync` });
      expect(synced.statusCode, synced.body).toBe(200);
      expect((synced.json() as Resource[]).map((o) => o.providerOrgId).sort()).toEqual(organizations.slice(1).map((o) => o.number).sort());
      expect((await h.request({ method: 'GET', url: `${base(userId)}/${unconnected.number}` })).json()).toMatchObject({ status: 'SELECTED', managementUri: expect.stringContaining('connections-dialog') });
      const overview = (await h.request({ method: 'GET', url: overviewUrl(userId) })).json();
      expect(overview.notConnectedOrganizations).toEqual([]);
      expect(await rowsOf(credentialId)).toHaveLength(2);
    });

    it('removes nothing when the listing fails, and answers 503 provider_unavailable', async () => {
      const { userId, accountId, credentialId } = await connectedUser();
      expect((await h.request({ method: 'POST', url: `${base(userId)}/sync` })).statusCode).toBe(200);
      const account = h.sandboxStore!.get(accountId)!;
      account.view = { ...account.view, organizations: [] };
      expect((await h.request({ method: 'POST', url: `/sandbox/api/accounts/${accountId}/faults`, payload: { errorRate: 1 } })).statusCode).toBe(200);
      const failed = await h.request({ method: 'POST', url: `${base(userId)}/sync` });
      expect(failed.statusCode, failed.body).toBe(503);
      expect(failed.json()).toMatchObject({ errorKey: 'provider_unavailable', detail: expect.stringContaining(provider.name) });
      expect(await rowsOf(credentialId)).toHaveLength(3);
      // The provider answers again: an empty complete listing removes them.
      await h.request({ method: 'POST', url: `/sandbox/api/accounts/${accountId}/faults`, payload: {} });
      expect((await h.request({ method: 'POST', url: `${base(userId)}/sync` })).json()).toEqual([]);
      expect(await rowsOf(credentialId)).toHaveLength(0);
    });

    it('answers 502 provider_refused and shows the credential UNAUTHENTICATED when the grant was revoked', async () => {
      const { userId, accountId } = await connectedUser();
      expect((await h.request({ method: 'POST', url: `/sandbox/api/accounts/${accountId}/faults`, payload: { revoke: true } })).statusCode).toBe(200);
      const r = await h.request({ method: 'POST', url: `${base(userId)}/sync` });
      expect(r.statusCode, r.body).toBe(502);
      expect(r.json()).toMatchObject({ errorKey: 'provider_refused', detail: expect.stringContaining('UNAUTHENTICATED') });
      expect((await h.request({ method: 'GET', url: `${users}/${userId}/${provider.credentialsPath}` })).json().status).toBe('UNAUTHENTICATED');
    });

    it('refuses a status other than SELECTED or PREVIEW with a 400 naming both, and a BLOCKED organization with a 409', async () => {
      const { userId, emulated } = await connectedUser();
      const [first, , unconnected] = await emulated();
      for (const bad of ['BLOCKED', 'selected', 'ARCHIVED']) {
        const r = await h.request({ method: 'PATCH', url: `${base(userId)}/${first!.number}/${bad}` });
        expect(r.statusCode).toBe(400);
        expect(r.json()).toMatchObject({ errorKey: 'validation_failed', detail: expect.stringContaining('expected one of SELECTED, PREVIEW'), fieldErrors: [{ field: 'params.status', message: 'must be one of SELECTED, PREVIEW' }] });
      }
      const byBody = await h.request({ method: 'PATCH', url: `${base(userId)}/${first!.number}`, payload: { status: 'NOPE' } });
      expect(byBody.statusCode).toBe(400);
      expect(byBody.json().fieldErrors).toEqual([{ field: 'body.status', message: 'must be one of SELECTED, PREVIEW' }]);
      const blocked = await h.request({ method: 'PATCH', url: `${base(userId)}/${unconnected!.number}/SELECTED` });
      expect(blocked.statusCode, blocked.body).toBe(409);
      expect(blocked.json()).toMatchObject({ errorKey: 'organization_blocked', detail: expect.stringContaining('select-organizations') });
      expect((await h.request({ method: 'GET', url: `${base(userId)}/${unconnected!.number}` })).json().status).toBe('BLOCKED');
    });

    it("answers 404 to another API owner on every route, and changes nothing of the owner's", async () => {
      const { userId, emulated } = await connectedUser();
      const [first] = await emulated();
      expect((await h.request({ method: 'GET', url: base(userId) })).statusCode).toBe(200);
      const other = await h.newOwnerToken();
      const attempts = [
        { method: 'GET' as const, url: overviewUrl(userId) },
        { method: 'GET' as const, url: base(userId) },
        { method: 'GET' as const, url: `${base(userId)}/${first!.number}` },
        { method: 'PATCH' as const, url: `${base(userId)}/${first!.number}/PREVIEW` },
        { method: 'PATCH' as const, url: `${base(userId)}/${first!.number}`, payload: { status: 'PREVIEW' } },
        { method: 'POST' as const, url: `${base(userId)}/sync` },
      ];
      for (const attempt of attempts) {
        const r = await h.request({ ...attempt, token: other });
        expect(r.statusCode, `${attempt.method} ${attempt.url}`).toBe(404);
        expect(r.json().errorKey).toBe('not_found');
      }
      expect((await h.request({ method: 'GET', url: `${base(userId)}/${first!.number}` })).json().status).toBe('SELECTED');
    });

    it('answers 404 for a user without credentials of the provider', async () => {
      const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'no credentials' } })).json().id as string;
      for (const url of [overviewUrl(userId), base(userId)]) {
        const r = await h.request({ method: 'GET', url });
        expect(r.statusCode).toBe(404);
        expect(r.json().detail).toContain(`has no ${provider.name} credentials`);
      }
    });
  });

  it('answers 404 naming the providers served for a provider without organizations, one not served yet, and an unknown name', async () => {
    const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
    const names = served.map((p) => p.apiName).join(', ');
    const without = Object.values(providers).find((p) => !p.capabilities.hasOrganizations)!;
    const notYet = Object.values(providers).filter((p) => p.capabilities.hasOrganizations && p.adapter?.listOrganizations === undefined);
    for (const apiName of [without.apiName, ...notYet.map((p) => p.apiName), 'NoSuchProvider']) {
      for (const request of [
        { method: 'GET' as const, url: `${users}/${userId}/organizations/${apiName}` },
        { method: 'GET' as const, url: `${users}/${userId}/${apiName}/organizations` },
        { method: 'POST' as const, url: `${users}/${userId}/${apiName}/organizations/sync` },
        { method: 'PATCH' as const, url: `${users}/${userId}/${apiName}/organizations/1/SELECTED` },
      ]) {
        const r = await h.request(request);
        expect(r.statusCode, `${request.method} ${request.url}`).toBe(404);
        expect(r.json()).toMatchObject({ errorKey: 'not_found', detail: expect.stringContaining(`organizations are served for ${names}`) });
      }
    }
  });

  it('leaves the credentials routes and their catch-all as they were', async () => {
    const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
    const catchAll = await h.request({ method: 'GET', url: `${users}/${userId}/organizations` });
    expect(catchAll.statusCode).toBe(404);
    expect(catchAll.json().detail).toContain('Unknown route "organizations"');
    expect((await h.request({ method: 'GET', url: `${users}/${userId}/john-deere-credentials` })).json().detail).toContain('has no John Deere credentials');
  });

  describe.each(others)('$apiName (generic)', (provider) => {
    it('lists every organization the emulator grants, by name, once, also after a re-sync', async () => {
      const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
      const account = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: provider.id } });
      const posted = await h.request({ method: 'POST', url: `${users}/${userId}/${provider.credentialsPath}`, payload: account.json().credentials });
      expect(posted.statusCode, posted.body).toBe(201);
      const emulated = (await h.request({ method: 'GET', url: `/sandbox/api/accounts/${account.json().id}` })).json().organizations as EmulatedOrganization[];
      const granted = emulated.filter((o) => o.connected).map((o) => o.name).sort();
      const fetchList = async () => (await h.request({ method: 'GET', url: `${users}/${userId}/${provider.apiName}/organizations?size=100` })).json() as Resource[];
      const list = async () => (await fetchList()).map((o) => o.providerOrgName).sort();
      const first = await list();
      expect(first).toEqual(expect.arrayContaining(granted));
      // Once each: ids are the natural key (sandbox names are random and may repeat).
      const ids = (await fetchList()).map((o) => o.providerOrgId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(granted.length);
      expect((await h.request({ method: 'POST', url: `${users}/${userId}/${provider.apiName}/organizations/sync` })).statusCode).toBeLessThan(300);
      expect(await list()).toEqual(first);
    });
  });
});
