/**
 * Refreshes that finish together share one commit (services/group-commit.ts), their leases written
 * and released by one statement (`CredentialsRepository.completeLeases`). What each refresh must
 * still get on its own: its row written only while it holds the lease, its exchange recorded, its
 * next refresh scheduled; and a lease lost meanwhile must write nothing.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import { refreshJobKey } from '../jobs/credential-jobs.js';
import { credentialsRepository } from '../storage/repositories/credentials.js';
import { testDatabases } from '../storage/testing/test-databases.js';

const databases = await testDatabases();
const users = '/services/usermanagement/api/users';

describe.each(databases)('refreshes committed together on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true });
  });
  afterAll(async () => h?.close());

  async function connect(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const userId = (await h.request({ method: 'POST', url: users, payload: { name: `grower ${i}` } })).json().id as string;
      const account = (await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: 'john-deere', scenario: 'empty' } })).json() as { credentials: Record<string, string> };
      const connected = await h.request({ method: 'POST', url: `${users}/${userId}/john-deere-credentials`, payload: account.credentials });
      expect(connected.statusCode).toBe(201);
      ids.push(connected.json().id as string);
    }
    return ids;
  }

  it('writes every refresh of a batch: new token state, its exchange, its next refresh job', async () => {
    const ids = await connect(6);
    const before = await Promise.all(ids.map((id) => h.services.credentials.refresh(id, { force: false })));
    expect(before.every((r) => !r.refreshed)).toBe(true);
    const events = async (id: string) => Number((await h.storage.db.selectFrom('credential_events').select((eb) => eb.fn.countAll().as('n')).where('credential_id', '=', id).executeTakeFirstOrThrow()).n);
    const eventsBefore = await Promise.all(ids.map(events));

    const results = await Promise.all(ids.map((id) => h.services.credentials.refresh(id, { force: true })));

    for (const [i, result] of results.entries()) {
      expect(result).toMatchObject({ refreshed: true, outcome: { ok: true } });
      expect(result.record.lastRefreshAt! > before[i]!.record.lastRefreshAt!).toBe(true);
      const row = await h.storage.db.selectFrom('credentials').selectAll().where('id', '=', ids[i]!).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ refresh_lease_owner: null, refresh_lease_until: null, status: 'OK', last_refresh_at: result.record.lastRefreshAt, secrets: result.record.secrets });
      expect(row.secrets).not.toBe(before[i]!.record.secrets);
      expect(await events(ids[i]!)).toBe(eventsBefore[i]! + 1);
    }
    // Each credential's next refresh is pending, due ahead of the new token's expiry.
    const table = h.queue.kind === 'sqlite' ? sql`job_queue_jobs` : sql`graphile_worker._private_jobs`;
    for (const id of ids) {
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${table} where key = ${refreshJobKey(id)} and attempts = 0`.execute(h.storage.db);
      expect(Number(rows[0]!.n)).toBe(1);
    }
  });

  it('writes nothing for a refresh whose lease was taken over, and the rest of its batch still commits', async () => {
    const [kept, lost] = await connect(2);
    const repo = credentialsRepository(h.storage.db, h.storage.dialect);
    const now = new Date().toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const held = await repo.tryAcquireLease(kept!, 'holder-a', now, until);
    const stolen = await repo.tryAcquireLease(lost!, 'holder-b', now, until);
    expect(held).toBeDefined();
    expect(stolen).toBeDefined();
    const state = (secrets: string) => ({
      status: 'OK' as const,
      statusReason: null,
      consecutiveFailures: 0,
      secrets,
      keyVersion: held!.keyVersion,
      accessExpiresAt: '2030-01-01T00:00:00.000Z',
      scopes: ['ag1', 'eq1'],
      lastRefreshAt: now,
      updatedAt: now,
    });

    // holder-a presents its lease on both rows; it holds only `kept`'s.
    const written = await repo.completeLeases([
      { id: kept!, owner: 'holder-a', state: state(held!.secrets) },
      { id: lost!, owner: 'holder-a', state: state(held!.secrets) },
    ]);

    expect(written.map((r) => r.id)).toEqual([kept]);
    expect(written[0]).toMatchObject({ accessExpiresAt: '2030-01-01T00:00:00.000Z', scopes: ['ag1', 'eq1'], lastRefreshAt: now, consecutiveFailures: 0, keyVersion: held!.keyVersion });
    const lostRow = await h.storage.db.selectFrom('credentials').selectAll().where('id', '=', lost!).executeTakeFirstOrThrow();
    expect(lostRow).toMatchObject({ refresh_lease_owner: 'holder-b', secrets: stolen!.secrets, access_expires_at: stolen!.accessExpiresAt });
    await repo.releaseLease(lost!, 'holder-b');
  });
});
