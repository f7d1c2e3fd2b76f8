import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DAY_MS, SYNC_MIN_GAP_MS, SYNC_SPREAD_PERIOD_MS, dailySlotMs, scheduledSyncDecision, type CredentialSyncTimes } from './sync-schedule.js';

const QUARTERS = DAY_MS / SYNC_SPREAD_PERIOD_MS;
const HOUR = 3_600_000;
/** A Monday at midnight UTC, the start of the simulated days. */
const DAY_START = Date.UTC(2026, 10, 30);

/** The looks of the schedule over `days` days: the start of each quarter hour. */
const looks = (days: number) => Array.from({ length: days * QUARTERS }, (_, i) => DAY_START + (i + 1) * SYNC_SPREAD_PERIOD_MS);

describe('the daily slot of a credential', () => {
  it('is the same for the same id, within the day, and differs between ids', () => {
    const id = crypto.randomUUID();
    expect(dailySlotMs(id)).toBe(dailySlotMs(id));
    expect(dailySlotMs(id)).toBeGreaterThanOrEqual(0);
    expect(dailySlotMs(id)).toBeLessThan(DAY_MS);
    const slots = new Set(Array.from({ length: 50 }, () => dailySlotMs(crypto.randomUUID())));
    expect(slots.size).toBe(50);
  });

  it('spreads 1,000 credentials over the 96 quarter hours of the day, none holding more than three times its share', () => {
    const perQuarter = new Array<number>(QUARTERS).fill(0);
    for (let i = 0; i < 1000; i++) perQuarter[Math.floor(dailySlotMs(crypto.randomUUID()) / SYNC_SPREAD_PERIOD_MS)]! += 1;
    const share = 1000 / QUARTERS;
    expect(Math.max(...perQuarter)).toBeLessThanOrEqual(Math.ceil(3 * share));
    // An even spread leaves almost no quarter empty (about 3 in 100,000 per quarter by chance).
    expect(perQuarter.filter((n) => n === 0).length).toBeLessThanOrEqual(3);
  });

  it('spreads sequential ids as well as random ones', () => {
    const perHour = new Array<number>(24).fill(0);
    for (let i = 1; i <= 2400; i++) perHour[Math.floor(dailySlotMs(String(i)) / HOUR)]! += 1;
    expect(Math.max(...perHour)).toBeLessThanOrEqual(200);
    expect(Math.min(...perHour)).toBeGreaterThanOrEqual(50);
  });
});

describe('which credentials a look of the schedule queues', () => {
  /** Runs the schedule over `days` days; a queued credential's sync starts and succeeds at once. */
  function simulate(initial: CredentialSyncTimes, days: number) {
    const times = { ...initial };
    const queued: { at: number; reason: string }[] = [];
    for (const now of looks(days)) {
      const decision = scheduledSyncDecision(times, now);
      if (!decision.due) continue;
      queued.push({ at: now, reason: decision.reason });
      times.lastStartedAt = now;
      times.lastSucceededAt = now + 60_000;
    }
    return queued;
  }

  it('queues a credential that synced yesterday once a day, in the quarter hour after its slot', () => {
    const credentialId = crypto.randomUUID();
    const slot = dailySlotMs(credentialId);
    const yesterday = DAY_START - DAY_MS + slot;
    const queued = simulate({ credentialId, lastStartedAt: yesterday, lastSucceededAt: yesterday + 60_000 }, 3);
    expect(queued.map((q) => q.reason)).toEqual(['daily_slot', 'daily_slot', 'daily_slot']);
    for (const [day, q] of queued.entries()) {
      const sinceSlot = q.at - (DAY_START + day * DAY_MS + slot);
      expect(sinceSlot).toBeGreaterThan(0);
      expect(sinceSlot).toBeLessThanOrEqual(SYNC_SPREAD_PERIOD_MS);
    }
  });

  it('leaves alone a credential whose last run started within 12 hours, even at its slot', () => {
    const credentialId = crypto.randomUUID();
    const atSlot = DAY_START + dailySlotMs(credentialId) + SYNC_SPREAD_PERIOD_MS;
    const recent = { credentialId, lastStartedAt: atSlot - HOUR, lastSucceededAt: atSlot - HOUR + 60_000 };
    expect(scheduledSyncDecision(recent, atSlot)).toEqual({ due: false, reason: 'started_recently' });
    expect(scheduledSyncDecision({ ...recent, lastStartedAt: atSlot - SYNC_MIN_GAP_MS - 1 }, atSlot)).toEqual({ due: true, reason: 'daily_slot' });
  });

  it('catches up at once a credential that never synced, then keeps it on its daily slot', () => {
    // One whose slot is not in the first quarter hour, where the slot itself would queue it.
    let credentialId = crypto.randomUUID();
    while (dailySlotMs(credentialId) < SYNC_SPREAD_PERIOD_MS) credentialId = crypto.randomUUID();
    const queued = simulate({ credentialId, lastStartedAt: null, lastSucceededAt: null }, 3);
    expect(queued[0]).toEqual({ at: DAY_START + SYNC_SPREAD_PERIOD_MS, reason: 'catch_up' });
    // After the catch-up, at most one sync per day, and at least one in every 24 hours and a quarter.
    const gaps = queued.slice(1).map((q, i) => q.at - queued[i]!.at);
    expect(gaps.every((gap) => gap >= SYNC_MIN_GAP_MS && gap <= DAY_MS + SYNC_SPREAD_PERIOD_MS)).toBe(true);
    expect(queued.length).toBeGreaterThanOrEqual(3);
    expect(queued.length).toBeLessThanOrEqual(4);
  });

  it('catches up a credential whose syncs failed for over a day, twice a day at most', () => {
    const credentialId = crypto.randomUUID();
    const times: CredentialSyncTimes = { credentialId, lastStartedAt: DAY_START - 13 * HOUR, lastSucceededAt: DAY_START - 3 * DAY_MS };
    const queued: number[] = [];
    for (const now of looks(2)) {
      if (!scheduledSyncDecision(times, now).due) continue;
      queued.push(now);
      times.lastStartedAt = now; // the run fails: no success recorded
    }
    expect(queued[0]).toBe(DAY_START + SYNC_SPREAD_PERIOD_MS);
    expect(queued.length).toBeGreaterThanOrEqual(4);
    expect(queued.length).toBeLessThanOrEqual(5);
    expect(queued.slice(1).every((at, i) => at - queued[i]! >= SYNC_MIN_GAP_MS)).toBe(true);
  });
});
