/**
 * The credential lifecycle end to end, for each provider with an adapter, against its emulator
 * over real HTTP: Furrow's API -> adapter -> `/sandbox/<provider>` on the same loopback server.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../../../providers/registry.js';
import { testDatabases } from '../../../storage/testing/test-databases.js';
import { startApiHarness, type ApiHarness } from '../../testing/api-harness.js';

const databases = await testDatabases();
const connected = Object.values(providers).filter((p) => p.adapter !== undefined && p.emulator !== undefined);
const users = '/services/usermanagement/api/users';

describe.each(databases)('credentials against the emulators on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true });
  });
  afterAll(async () => h?.close());

  const newUser = async () => (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
  const newAccount = async (provider: string) => {
    const r = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider } });
    expect(r.statusCode).toBe(201);
    return r.json() as { id: string; credentials: Record<string, string> };
  };
  const faults = async (accountId: string, payload: Record<string, unknown>) => {
    const r = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${accountId}/faults`, payload });
    expect(r.statusCode).toBeLessThan(300);
  };
  const stats = async (accountId: string) => (await h.request({ method: 'GET', url: `/sandbox/api/accounts/${accountId}/stats` })).json();

  it('has at least John Deere and Climate FieldView connected', () => {
    expect(connected.map((p) => p.id)).toEqual(expect.arrayContaining(['john-deere', 'climate-field-view']));
  });

  describe.each(connected)('$id', (provider) => {
    const url = (userId: string) => `${users}/${userId}/${provider.credentialsPath}`;

    it('stores validated credentials, shows them masked with token metadata and never a token', async () => {
      const userId = await newUser();
      const account = await newAccount(provider.id);
      const posted = await h.request({ method: 'POST', url: url(userId), payload: account.credentials });
      expect(posted.statusCode, posted.body).toBe(201);
      expect(posted.json().status).toBe('OK');

      const got = await h.request({ method: 'GET', url: url(userId) });
      expect(got.statusCode).toBe(200);
      const view = got.json();
      expect(view).toMatchObject({ id: posted.json().id, status: 'OK' });
      expect(view.tokenMetadata.lastRefreshTime).toEqual(expect.any(String));
      expect(view.tokenMetadata.accessTokenExpiresAt).toEqual(expect.any(String));
      const secrets = Object.keys(provider.secretFields).map((f) => account.credentials[f]).filter((v): v is string => typeof v === 'string');
      for (const secret of secrets) {
        expect(got.body).not.toContain(secret);
        expect(posted.body).not.toContain(secret);
      }
      expect(got.body).not.toMatch(/accessToken"|refreshToken":"[^*]/);

      const user = (await h.request({ method: 'GET', url: `${users}/${userId}` })).json();
      expect(user[provider.userField]).toMatchObject({ id: view.id, status: 'OK' });
      // The list carries each user's credentials too (one query for the page).
      const listed = (await h.request({ method: 'GET', url: `${users}?size=100&sort=createdTime,desc` })).json() as Record<string, { id: string } | string>[];
      const mine = listed.find((u) => u.id === userId);
      expect(mine?.[provider.userField]).toMatchObject({ id: view.id });
      for (const other of listed.filter((u) => u.id !== userId)) expect((other[provider.userField] as { id: string } | undefined)?.id).not.toBe(view.id);

      const events = await h.request({ method: 'GET', url: `${url(userId)}/events` });
      expect(events.statusCode).toBe(200);
      const list = events.json() as { statusCode: number | null; body: string; kind: string }[];
      expect(list.some((e) => e.kind === 'exchange' && e.statusCode === 200)).toBe(true);
      expect(list.some((e) => e.kind === 'status')).toBe(true);
      for (const secret of secrets) expect(events.body).not.toContain(secret);
    });

    it('keeps no secret in clear anywhere in the database', async () => {
      const userId = await newUser();
      const account = await newAccount(provider.id);
      expect((await h.request({ method: 'POST', url: url(userId), payload: account.credentials })).statusCode).toBe(201);
      expect((await h.request({ method: 'POST', url: `${url(userId)}/refresh` })).statusCode).toBe(200);
      const secrets = Object.keys(provider.secretFields).map((f) => account.credentials[f]).filter((v): v is string => typeof v === 'string' && v.length >= 8);
      expect(secrets.length).toBeGreaterThan(0);
      // Every row of every table, as the database returns it.
      const tables = ['users', 'credentials', 'credential_events', 'furrow_meta', 'api_owners'] as const;
      for (const table of tables) {
        const dump = JSON.stringify(await h.storage.db.selectFrom(table).selectAll().execute());
        for (const secret of secrets) expect(dump, `${table} holds a secret in clear`).not.toContain(secret);
      }
      // And, for SQLite, the bytes of the database file and its write-ahead log.
      if (h.storage.config.kind === 'sqlite') {
        const bytes = Buffer.concat([fs.readFileSync(h.storage.config.file), fs.existsSync(`${h.storage.config.file}-wal`) ? fs.readFileSync(`${h.storage.config.file}-wal`) : Buffer.alloc(0)]);
        for (const secret of secrets) expect(bytes.includes(Buffer.from(secret))).toBe(false);
      }
    });

    it('reconnects in place: a second POST keeps the id and the events history', async () => {
      const userId = await newUser();
      const first = (await h.request({ method: 'POST', url: url(userId), payload: (await newAccount(provider.id)).credentials })).json();
      const before = (await h.request({ method: 'GET', url: `${url(userId)}/events` })).headers['x-total-count'];
      const second = await h.request({ method: 'POST', url: url(userId), payload: (await newAccount(provider.id)).credentials });
      expect(second.statusCode).toBe(201);
      expect(second.json().id).toBe(first.id);
      const after = (await h.request({ method: 'GET', url: `${url(userId)}/events` })).headers['x-total-count'];
      expect(Number(after)).toBeGreaterThan(Number(before));
      expect(Number(await h.storage.db.selectFrom('credentials').where('user_id', '=', userId).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow().then((r) => r.n))).toBe(1);
    });

    it('answers 400 credentials_invalid, storing nothing, when the provider rejects them', async () => {
      const userId = await newUser();
      const account = await newAccount(provider.id);
      await faults(account.id, { revoke: true });
      const r = await h.request({ method: 'POST', url: url(userId), payload: account.credentials });
      expect(r.statusCode).toBe(400);
      expect(r.json().errorKey).toBe('credentials_invalid');
      expect(r.json().detail).toContain(provider.name);
      expect((await h.request({ method: 'GET', url: url(userId) })).statusCode).toBe(404);
    });

    it('turns UNAUTHENTICATED at once when the grant is revoked, and says so in the events', async () => {
      const userId = await newUser();
      const account = await newAccount(provider.id);
      expect((await h.request({ method: 'POST', url: url(userId), payload: account.credentials })).statusCode).toBe(201);
      const refreshed = await h.request({ method: 'POST', url: `${url(userId)}/refresh` });
      expect(refreshed.json().status).toBe('OK');
      await faults(account.id, { revoke: true });
      const revoked = await h.request({ method: 'POST', url: `${url(userId)}/refresh` });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json().status).toBe('UNAUTHENTICATED');
      const events = (await h.request({ method: 'GET', url: `${url(userId)}/events` })).json() as { kind: string; body: string }[];
      expect(events.find((e) => e.kind === 'status' && e.body.includes('"to":"UNAUTHENTICATED"'))?.body).toContain('credentialsUnauthenticated');
      expect((await stats(account.id)).invalidGrantAnswers).toBeGreaterThan(0);
    });

    it('rides out provider errors, turns TEMPORARILY_UNAVAILABLE after repeated failure, and recovers when they stop', async () => {
      const userId = await newUser();
      const account = await newAccount(provider.id);
      const posted = await h.request({ method: 'POST', url: url(userId), payload: account.credentials });
      expect(posted.statusCode).toBe(201);
      await faults(account.id, { errorRate: 1 });
      const statuses: string[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await h.request({ method: 'POST', url: `${url(userId)}/refresh` })).json().status);
      expect(statuses).toEqual(['OK', 'OK', 'TEMPORARILY_UNAVAILABLE']);
      // A retry is pending rather than lost (cancelling it reports that it was there).
      expect(await h.queue.cancel(`refresh-credential:${posted.json().id}`)).toBe(1);
      await faults(account.id, { errorRate: 0 });
      const recovered = await h.request({ method: 'POST', url: `${url(userId)}/refresh` });
      expect(recovered.json().status).toBe('OK');
      const events = (await h.request({ method: 'GET', url: `${url(userId)}/events` })).json() as { kind: string; body: string }[];
      expect(events.some((e) => e.kind === 'status' && e.body.includes('credentialsRecovered'))).toBe(true);
    });

    it('backs off under a rate limit and is OK again once it is lifted', async () => {
      const userId = await newUser();
      const account = await newAccount(provider.id);
      expect((await h.request({ method: 'POST', url: url(userId), payload: account.credentials })).statusCode).toBe(201);
      // Validation reads the provider's API; one call a minute is already used up.
      await faults(account.id, { rateLimitPerMinute: 1 });
      const limited = await h.request({ method: 'POST', url: url(userId), payload: account.credentials });
      expect(limited.statusCode).toBe(201);
      expect(limited.json().status).toBe('TEMPORARILY_UNAVAILABLE');
      expect((await stats(account.id)).rateLimited).toBeGreaterThan(0);
      // Backoff: a retry is pending for later, not now.
      const jobId = (await h.storage.db.selectFrom('credentials').select('id').where('user_id', '=', userId).executeTakeFirstOrThrow()).id;
      expect(await h.queue.cancel(`refresh-credential:${jobId}`)).toBe(1);
      await faults(account.id, {});
      const again = await h.request({ method: 'POST', url: url(userId), payload: account.credentials });
      expect(again.json().status).toBe('OK');
      const events = (await h.request({ method: 'GET', url: `${url(userId)}/events` })).json() as { statusCode: number | null }[];
      expect(events.some((e) => e.statusCode === 429)).toBe(true);
    });

    it('stores the credential as TEMPORARILY_UNAVAILABLE when the provider cannot be reached, and validates it later', async () => {
      const userId = await newUser();
      const account = await newAccount(provider.id);
      await faults(account.id, { downForSeconds: 60 });
      const r = await h.request({ method: 'POST', url: url(userId), payload: account.credentials });
      expect(r.statusCode).toBe(201);
      expect(r.json().status).toBe('TEMPORARILY_UNAVAILABLE');
      await faults(account.id, { downForSeconds: 0 });
      const later = await h.services.credentials.refresh(r.json().id, { force: true });
      expect(later.record.status).toBe('OK');
    });

    it('deletes: 204, then 404, with its pending jobs cancelled and events gone', async () => {
      const userId = await newUser();
      const posted = (await h.request({ method: 'POST', url: url(userId), payload: (await newAccount(provider.id)).credentials })).json();
      const job = await h.storage.db.selectFrom('credential_events').where('credential_id', '=', posted.id).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(job.n)).toBeGreaterThan(0);
      const deleted = await h.request({ method: 'DELETE', url: url(userId) });
      expect(deleted.statusCode).toBe(204);
      expect((await h.request({ method: 'GET', url: url(userId) })).statusCode).toBe(404);
      expect(await h.queue.cancel(`refresh-credential:${posted.id}`)).toBe(0);
      const left = await h.storage.db.selectFrom('credential_events').where('credential_id', '=', posted.id).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(left.n)).toBe(0);
    });
  });
});
