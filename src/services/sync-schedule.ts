/**
 * The daily sync of every credential (issue 5: "at least every 24 h per credential, spread over the
 * day, not all at once"). Each credential has a stable slot in the day, a hash of its id; a
 * schedule every quarter hour queues the credentials whose slot fell in the quarter just ended, so
 * a day's syncs arrive evenly, and every process agrees on the slots without storing them. A
 * credential that synced recently (an event, a manual request) is left alone; one whose last
 * complete sync is older than a day (a slot missed while Furrow was down, or failures) is caught up.
 */
import crypto from 'node:crypto';
import type { CredentialStatus } from '../domain/index.js';
import type { Provider } from '../providers/provider.js';
import type { SyncRepository } from '../storage/repositories/sync.js';
import { syncOf, type SyncJobs } from './sync.js';

export const DAY_MS = 86_400_000;
/** How often the schedule looks, and so how finely the day is divided: 96 quarter hours. */
export const SYNC_SPREAD_PERIOD_MS = 15 * 60_000;
/**
 * A credential whose last run started less than this ago is not queued again: its slot comes
 * round once a day, and a failing credential is tried twice a day at most besides the queue's own
 * retries with backoff, instead of every quarter hour.
 */
export const SYNC_MIN_GAP_MS = 12 * 3_600_000;
/** A credential without a complete run for this long is queued at the next look, whatever its slot. */
export const SYNC_MAX_AGE_MS = DAY_MS;
/** Statuses worth a scheduled sync: the others wait for the grower to reconnect. */
const SCHEDULED_STATUSES: readonly CredentialStatus[] = ['OK', 'TEMPORARILY_UNAVAILABLE'];
const PAGE_SIZE = 1_000;

/** The credential's slot: milliseconds after midnight UTC, the same in every process and release. */
export function dailySlotMs(credentialId: string): number {
  // 48 bits of SHA-256 spread ids evenly whatever their shape (UUIDs, sequential ids).
  return crypto.createHash('sha256').update(credentialId, 'utf8').digest().readUIntBE(0, 6) % DAY_MS;
}

export interface CredentialSyncTimes {
  credentialId: string;
  /** Epoch ms when its last run started; null when it never ran. */
  lastStartedAt: number | null;
  /** Epoch ms when its last complete run (SUCCEEDED or PARTIAL) finished; null when none did. */
  lastSucceededAt: number | null;
}

export type ScheduledSyncDecision = { due: true; reason: 'daily_slot' | 'catch_up' } | { due: false; reason: 'started_recently' | 'not_its_slot' };

/**
 * Whether the look at `now` (the start of a period of `periodMs`) queues the credential: its slot
 * fell in the period just ended, or its last complete run is over a day old; never when its last
 * run started within `SYNC_MIN_GAP_MS`.
 */
export function scheduledSyncDecision(times: CredentialSyncTimes, now: number, periodMs = SYNC_SPREAD_PERIOD_MS): ScheduledSyncDecision {
  if (times.lastStartedAt !== null && now - times.lastStartedAt < SYNC_MIN_GAP_MS) return { due: false, reason: 'started_recently' };
  const periodStart = now - periodMs;
  const sinceStart = (((dailySlotMs(times.credentialId) - periodStart) % DAY_MS) + DAY_MS) % DAY_MS;
  if (sinceStart < periodMs) return { due: true, reason: 'daily_slot' };
  if (times.lastSucceededAt === null || now - times.lastSucceededAt >= SYNC_MAX_AGE_MS) return { due: true, reason: 'catch_up' };
  return { due: false, reason: 'not_its_slot' };
}

export interface ScheduledSyncs {
  checked: number;
  dailySlot: number;
  catchUp: number;
}

export interface SyncScheduleService {
  /** Queues the syncs due at `now` (the start of a schedule period) and says how many of each kind. */
  enqueueDue(now: number): Promise<ScheduledSyncs>;
}

export interface SyncScheduleOptions {
  sync: Pick<SyncRepository, 'syncTimes'>;
  providers: Readonly<Record<string, Provider>>;
  jobs: SyncJobs;
}

export function syncScheduleService(deps: SyncScheduleOptions): SyncScheduleService {
  const syncable = Object.values(deps.providers)
    .filter((p) => syncOf(p) !== undefined)
    .map((p) => p.id);
  const epochOf = (iso: string | null) => (iso === null ? null : Date.parse(iso));
  return {
    async enqueueDue(now) {
      const result: ScheduledSyncs = { checked: 0, dailySlot: 0, catchUp: 0 };
      let afterId: string | undefined;
      for (;;) {
        const page = await deps.sync.syncTimes({ providers: syncable, statuses: SCHEDULED_STATUSES, afterId, limit: PAGE_SIZE });
        for (const row of page) {
          result.checked += 1;
          const decision = scheduledSyncDecision({ credentialId: row.credentialId, lastStartedAt: epochOf(row.lastStartedAt), lastSucceededAt: epochOf(row.lastSucceededAt) }, now);
          if (!decision.due) continue;
          // Keyed per credential: a sync already pending is replaced, not doubled.
          await deps.jobs.syncCredential(row.credentialId);
          if (decision.reason === 'daily_slot') result.dailySlot += 1;
          else result.catchUp += 1;
        }
        if (page.length < PAGE_SIZE) return result;
        afterId = page.at(-1)!.credentialId;
      }
    },
  };
}
