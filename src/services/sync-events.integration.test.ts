/**
 * Syncs on provider events, end to end on each database: John Deere credentials POSTed against
 * the sandbox, the sync making one event subscription per connected organization and event type
 * with Furrow's callback, the emulator delivering a change over real HTTP to
 * `/webhooks/provider-events/john-deere`, and the queued sync bringing the change in. Then what a
 * delivery may not do: a wrong token queues nothing, a repeated one leaves one sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DEERE_MEDIA_TYPE } from '../providers/john-deere/client.js';
import { DEERE_SYNC_EVENT_TYPES } from '../providers/john-deere/events.js';
import { eventsOf } from './sync-events.js';
import { secretKeysOn } from './secret-keys.js';
import { createSecretBox, secretAad, secretKeyRingFromMaster } from '../keys/index.js';
import { DEERE_EVENT_TYPES } from '../providers/john-deere/emulator-sync.js';
import { providers } from '../providers/registry.js';
import { SANDBOX_PATH } from '../sandbox/index.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import type { SyncRun } from '../storage/repositories/sync.js';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';

const databases = await testDatabases();
const users = '/services/usermanagement/api/users';
const fieldsApi = '/services/fields/api';
const callbackPath = '/webhooks/provider-events/john-deere';

interface ListedSubscription {
  id: string;
  eventTypeId: string;
  filters: { key: string; values: string[] }[];
  targetEndpoint: { uri: string };
  token: string;
}

describe('the emulator and Furrow agree on the event types a sync needs', () => {
  it('subscribes to exactly the types the emulator delivers for new files and boundary changes', () => {
    expect([...DEERE_SYNC_EVENT_TYPES].sort()).toEqual(Object.values(DEERE_EVENT_TYPES).sort());
  });
});

describe.each(databases)('syncs on John Deere events on $name', (database) => {
  let h: ApiHarness;
  const state = {} as { userId: string; accountId: string; accountCredentials: object; credentialId: string; subscriptions: ListedSubscription[] };

  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true, sync: true, events: true });
    await h.queue.start({ concurrency: 2 });
  });
  afterAll(async () => h?.close());

  const runs = () => h.services.sync.listRuns(state.credentialId);
  /** Polls (bounded) until `done` holds for the credential's runs; fails with the runs seen. */
  const runsUntil = async (what: string, done: (runs: SyncRun[]) => boolean | Promise<boolean>): Promise<SyncRun[]> => {
    let seen: SyncRun[] = [];
    for (let i = 0; i < 400; i++) {
      seen = await runs();
      if (seen.length > 0 && seen.every((r) => r.finishedAt !== null) && (await done(seen))) return seen;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`expected ${what}; the credential's runs are ${JSON.stringify(seen.map((r) => ({ startedAt: r.startedAt, status: r.status, errors: r.errors })))}`);
  };
  /** The subscriptions the Deere sandbox holds for the application, read with the credential's own token. */
  const subscriptions = async (): Promise<ListedSubscription[]> => {
    const accessToken = await h.services.credentials.withAccessToken(state.credentialId, async (credential) => credential.tokens!.accessToken);
    const response = await fetch(`${h.url}${SANDBOX_PATH}/john-deere/platform/eventSubscriptions`, { headers: { authorization: `Bearer ${accessToken}`, accept: DEERE_MEDIA_TYPE } });
    expect(response.status).toBe(200);
    return ((await response.json()) as { values: ListedSubscription[] }).values;
  };
  /**
   * Jobs of the credential's sync in the queue's own table, keyed or not: what a delivery adds.
   * The tables are the queue implementations' (`job_queue_jobs`, graphile-worker's `_private_jobs`).
   */
  const syncJobs = async (): Promise<number> => {
    const query =
      h.queue.kind === 'sqlite'
        ? sql<{ n: number }>`select count(*) as n from job_queue_jobs where task = 'sync-credential' and json_extract(payload, '$.credentialId') = ${state.credentialId}`
        : sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'sync-credential' and j.payload->>'credentialId' = ${state.credentialId}`;
    return Number((await query.execute(h.storage.db)).rows[0]!.n);
  };
  const deliver = (body: unknown) => h.request({ method: 'POST', url: callbackPath, payload: body as object, token: null });

  it('makes one subscription per connected organization and event type, calling back to Furrow, when credentials are POSTed', async () => {
    state.userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id;
    const account = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: 'john-deere' } });
    expect(account.statusCode).toBe(201);
    state.accountId = account.json().id;
    state.accountCredentials = account.json().credentials;
    const posted = await h.request({ method: 'POST', url: `${users}/${state.userId}/${providers['john-deere'].credentialsPath}`, payload: account.json().credentials });
    expect(posted.statusCode, posted.body).toBe(201);
    state.credentialId = posted.json().id;
    const [run] = await runsUntil('a first run', (r) => r.length >= 1);
    expect(run).toMatchObject({ status: 'SUCCEEDED', errors: [] });

    const view = h.sandboxStore!.get(state.accountId)!.view;
    const connected = view.organizations.filter((o) => o.connected).map((o) => o.number);
    expect(connected.length).toBeGreaterThan(0);
    expect(view.organizations.length).toBeGreaterThan(connected.length); // the sandbox's unconnected organization gets none
    const listed = await subscriptions();
    expect(listed.map((s) => [s.filters.find((f) => f.key === 'orgId')?.values, s.eventTypeId]).sort()).toEqual(connected.flatMap((org) => DEERE_SYNC_EVENT_TYPES.map((type) => [[org], type])).sort());
    expect(new Set(listed.map((s) => s.targetEndpoint.uri))).toEqual(new Set([`${h.url}${callbackPath}`]));
    // One token for the credential, at least 128 bits in Deere's alphabet.
    expect(new Set(listed.map((s) => s.token)).size).toBe(1);
    expect(listed[0]!.token).toMatch(/^[A-Za-z0-9+/=]{22,256}$/);
    state.subscriptions = listed;
  });

  it('makes no second subscription on the next sync', async () => {
    const before = (await runs()).length;
    expect((await h.request({ method: 'POST', url: `${fieldsApi}/users/${state.userId}/fields/sync`, payload: {} })).statusCode).toBe(202);
    const [run] = await runsUntil('a second run', (r) => r.length > before);
    expect(run).toMatchObject({ status: 'SUCCEEDED', errors: [] });
    expect((await subscriptions()).map((s) => s.id).sort()).toEqual(state.subscriptions.map((s) => s.id).sort());
    // The adapter itself, asked again past the service's daily recheck, finds every one and creates none.
    const connected = [...new Set(state.subscriptions.map((s) => s.filters[0]!.values[0]!))].map((providerId) => ({ providerId, connected: true }));
    const target = { callbackUrl: `${h.url}${callbackPath}`, token: state.subscriptions[0]!.token };
    const again = await h.services.credentials.withAccessToken(state.credentialId, (credential, ctx) => eventsOf(providers['john-deere'])!.ensureSubscriptions(credential, ctx, connected, target));
    expect(again).toEqual({ existing: state.subscriptions.length, created: 0 });
    expect(await subscriptions()).toHaveLength(state.subscriptions.length);
  });

  it('brings a boundary redrawn in the sandbox in through the event, with no request to Furrow', async () => {
    const fields = (await h.request({ method: 'GET', url: `${fieldsApi}/users/${state.userId}/fields?size=1000` })).json() as { id: string; providerFieldId: string }[];
    const target = fields[0]!;
    const before = (await runs()).length;
    const redrawn = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${state.accountId}/boundaries/${target.providerFieldId}`, payload: {} });
    expect(redrawn.statusCode, redrawn.body).toBe(201);
    const newBoundaryId = redrawn.json().id as string;
    await runsUntil('a run queued by the boundary event that stores the new boundary', async (r) => {
      if (r.length <= before) return false;
      const active = await h.request({ method: 'GET', url: `${fieldsApi}/users/${state.userId}/fields/${target.id}/boundary` });
      return active.statusCode === 200 && active.json().providerBoundaryId === newBoundaryId;
    });
    const [run] = await runs();
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect(run!.counts.boundaries).toMatchObject({ created: 0, updated: 1 });
  });

  it('queues a sync when a machine file is added in the sandbox', async () => {
    const before = await runs();
    const added = await h.request({ method: 'POST', url: `/sandbox/api/accounts/${state.accountId}/files`, payload: {} });
    expect(added.statusCode, added.body).toBe(201);
    const [run] = await runsUntil('a run queued by the file event', (r) => r.length > before.length);
    expect(run!.startedAt >= before[0]!.finishedAt!).toBe(true);
    expect(run!.status).toBe('SUCCEEDED');
  });

  it('gives a second Furrow user of the same Deere organizations subscriptions of its own, so a change syncs both', async () => {
    const otherUser = (await h.request({ method: 'POST', url: users, payload: { name: 'second grower' } })).json().id as string;
    const posted = await h.request({ method: 'POST', url: `${users}/${otherUser}/${providers['john-deere'].credentialsPath}`, payload: state.accountCredentials });
    expect(posted.statusCode, posted.body).toBe(201);
    const other = posted.json().id as string;
    const otherRuns = async () => h.services.sync.listRuns(other);
    for (let i = 0; i < 400 && !(await otherRuns()).some((r) => r.finishedAt !== null); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await otherRuns())[0]).toMatchObject({ status: 'SUCCEEDED', errors: [] });

    const listed = await subscriptions();
    expect(listed).toHaveLength(2 * state.subscriptions.length);
    const tokens = [...new Set(listed.map((s) => s.token))];
    expect(tokens).toHaveLength(2);
    for (const token of tokens) expect(listed.filter((s) => s.token === token)).toHaveLength(state.subscriptions.length);

    const before = { mine: (await runs()).length, other: (await otherRuns()).length };
    const fields = (await h.request({ method: 'GET', url: `${fieldsApi}/users/${state.userId}/fields?size=1000` })).json() as { providerFieldId: string }[];
    expect((await h.request({ method: 'POST', url: `/sandbox/api/accounts/${state.accountId}/boundaries/${fields[1]!.providerFieldId}`, payload: {} })).statusCode).toBe(201);
    await runsUntil('runs of both credentials after one change', async (r) => r.length > before.mine && (await otherRuns()).filter((o) => o.finishedAt !== null).length > before.other);
  });

  it('refuses a delivery with a token Furrow did not issue, with a problem and nothing queued', async () => {
    await h.queue.stop();
    try {
      const jobsBefore = await syncJobs();
      const [event] = state.subscriptions;
      const refused = await deliver([{ clientKey: 'app', eventTypeId: 'fileUpload', targetResource: 'https://example.invalid/files/1', token: 'bm90IGEgZnVycm93IHRva2Vu', metadata: [] }]);
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(refused.json()).toMatchObject({ errorKey: 'provider_event_token_invalid' });
      // A batch with one good and one bad token is refused whole.
      const mixed = await deliver([{ token: event!.token }, { token: `${event!.token}x` }]);
      expect(mixed.statusCode).toBe(401);
      const malformed = await deliver({ token: event!.token });
      expect(malformed.statusCode).toBe(400);
      expect((await h.request({ method: 'POST', url: '/webhooks/provider-events/climate-field-view', payload: [{ token: event!.token }], token: null })).statusCode).toBe(404);
      // Nothing was queued.
      expect(await syncJobs()).toBe(jobsBefore);
    } finally {
      await h.queue.start({ concurrency: 2 });
    }
  });

  it('runs one sync for a delivery repeated before the sync starts', async () => {
    const before = (await runs()).length;
    await h.queue.stop();
    const event = { clientKey: 'app', eventTypeId: 'boundary', token: state.subscriptions[0]!.token, metadata: [{ key: 'orgId', value: state.subscriptions[0]!.filters[0]!.values[0] }] };
    try {
      for (let i = 0; i < 3; i++) {
        const accepted = await deliver([event, event]);
        expect(accepted.statusCode, accepted.body).toBe(202);
        expect(accepted.json()).toEqual({ queued: 1 });
      }
      // Six events in three deliveries: one job.
      expect(await syncJobs()).toBe(1);
    } finally {
      await h.queue.start({ concurrency: 2 });
    }
    await runsUntil('the run of the repeated delivery', (r) => r.length > before);
  });

  it('moves the sealed tokens to the new key version on furrow keys rotate, the same token inside', async () => {
    const report = await secretKeysOn(h.storage, h.masterKey).rotate();
    expect(report.remaining).toBe(0);
    const rows = await h.storage.db.selectFrom('provider_event_tokens').select(['credential_id', 'token_secret', 'key_version']).execute();
    expect(rows.length).toBe(2);
    const box = createSecretBox(secretKeyRingFromMaster(h.masterKey, report.to));
    for (const row of rows) {
      expect(row.key_version).toBe(report.to);
      expect(box.needsReencryption(row.token_secret)).toBe(false);
    }
    const mine = rows.find((r) => r.credential_id === state.credentialId)!;
    expect(box.decrypt(mine.token_secret, secretAad('provider_event_tokens', state.credentialId, 'token'))).toBe(state.subscriptions[0]!.token);
  });
});
