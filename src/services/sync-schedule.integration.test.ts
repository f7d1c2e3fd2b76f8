/**
 * The daily spread against each database: credentials POSTed through the API (sandbox accounts),
 * their sync runs written as the engine writes them, and the schedule's looks over simulated days
 * reading them through the sync repository. A queued sync is recorded as a run that started at
 * the look and succeeded a minute later, as a worker would.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providers } from '../providers/registry.js';
import { testDatabases } from '../storage/testing/test-databases.js';
import { syncRepository, type SyncRun, type SyncRunStatus } from '../storage/repositories/sync.js';
import { startApiHarness, type ApiHarness } from '../api/testing/api-harness.js';
import { DAY_MS, SYNC_SPREAD_PERIOD_MS, dailySlotMs, syncScheduleService } from './sync-schedule.js';

const databases = await testDatabases();
const users = '/services/usermanagement/api/users';
const HOUR = 3_600_000;
const DAY_START = Date.UTC(2026, 10, 30);

describe.each(databases)('the daily sync schedule on $name', (database) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness(database, { sandbox: true });
  });
  afterAll(async () => h?.close());

  const store = () => syncRepository(h.storage.db, h.storage.dialect);
  const zero = { created: 0, updated: 0, unchanged: 0, deleted: 0 };
  const recordRun = async (credentialId: string, startedAt: number, status: SyncRunStatus) => {
    const run: SyncRun = {
      id: crypto.randomUUID(),
      credentialId,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: null,
      status: 'RUNNING',
      counts: { growers: zero, farms: zero, fields: zero, boundaries: zero, files: zero },
      errors: [],
      cursors: {},
    };
    await store().insertRun(run);
    await store().finishRun({ ...run, status, finishedAt: new Date(startedAt + 60_000).toISOString() });
  };
  const connect = async (providerId: 'john-deere' | 'climate-field-view') => {
    const userId = (await h.request({ method: 'POST', url: users, payload: { name: 'grower' } })).json().id as string;
    const account = await h.request({ method: 'POST', url: '/sandbox/api/accounts', payload: { provider: providerId } });
    const posted = await h.request({ method: 'POST', url: `${users}/${userId}/${providers[providerId].credentialsPath}`, payload: account.json().credentials });
    expect(posted.statusCode, posted.body).toBe(201);
    return posted.json().id as string;
  };
  /** The schedule over the given looks; returns the looks at which each credential was queued. */
  const runSchedule = async (looks: number[], onQueued: (credentialId: string, at: number) => Promise<void>) => {
    const queued = new Map<string, number[]>();
    let now = 0;
    const schedule = syncScheduleService({
      sync: store(),
      providers,
      jobs: {
        async syncCredential(credentialId) {
          queued.set(credentialId, [...(queued.get(credentialId) ?? []), now]);
          await onQueued(credentialId, now);
        },
      },
    });
    for (const look of looks) {
      now = look;
      await schedule.enqueueDue(look);
    }
    return queued;
  };

  it('queues each credential once a day near its slot, catches up the never-synced and the long-failing ones, and leaves a fresh one alone', async () => {
    const daily = await connect('john-deere');
    const never = await connect('climate-field-view');
    const failing = await connect('john-deere');
    const fresh = await connect('climate-field-view');
    const firstLook = DAY_START + SYNC_SPREAD_PERIOD_MS;
    await recordRun(daily, DAY_START - DAY_MS + dailySlotMs(daily), 'SUCCEEDED');
    await recordRun(failing, DAY_START - 2 * DAY_MS, 'SUCCEEDED');
    await recordRun(failing, DAY_START - 13 * HOUR, 'FAILED');
    await recordRun(fresh, firstLook - HOUR, 'PARTIAL');

    // One look at the start: who is due now.
    const first = await runSchedule([firstLook], async () => {});
    expect(first.has(never)).toBe(true);
    expect(first.has(failing)).toBe(true);
    expect(first.has(fresh)).toBe(false);
    expect(first.has(daily)).toBe(dailySlotMs(daily) < SYNC_SPREAD_PERIOD_MS);

    // Two days of looks, every queued sync running and succeeding at once.
    const looks = Array.from({ length: (2 * DAY_MS) / SYNC_SPREAD_PERIOD_MS }, (_, i) => firstLook + i * SYNC_SPREAD_PERIOD_MS);
    // From the first look again: the one above recorded no runs, and a slot in the day's first quarter is due there.
    const queued = await runSchedule(looks, (credentialId, at) => recordRun(credentialId, at, 'SUCCEEDED'));
    const dailyLooks = queued.get(daily) ?? [];
    expect(dailyLooks).toHaveLength(2);
    for (const [day, at] of dailyLooks.entries()) {
      const sinceSlot = at - (DAY_START + day * DAY_MS + dailySlotMs(daily));
      expect(sinceSlot).toBeGreaterThan(0);
      expect(sinceSlot).toBeLessThanOrEqual(SYNC_SPREAD_PERIOD_MS);
    }
    for (const credentialId of [never, failing, fresh]) {
      const at = queued.get(credentialId) ?? [];
      expect(at.length, credentialId).toBeGreaterThanOrEqual(1);
      expect(at.length, credentialId).toBeLessThanOrEqual(3);
      expect(at.slice(1).every((t, i) => t - at[i]! >= 12 * HOUR)).toBe(true);
    }
  });
});
