import { describe, expect, it } from 'vitest';
import { rateBudgets } from './rate-budget.js';

const T = 1_000_000;

describe('rateBudgets', () => {
  it('lets a burst go at once, then spaces calls at the declared rate', () => {
    const budgets = rateBudgets();
    const budget = { requestsPerMinute: 60, burst: 3 };
    expect([0, 0, 0].map(() => budgets.reserve('p/app', budget, T))).toEqual([0, 0, 0]);
    // Each further reservation queues one second (60 per minute) behind the one before.
    expect([0, 0].map(() => budgets.reserve('p/app', budget, T))).toEqual([1_000, 2_000]);
  });

  it('refills over time up to the burst, not beyond', () => {
    const budgets = rateBudgets();
    const budget = { requestsPerMinute: 30, burst: 2 };
    budgets.reserve('p/app', budget, T);
    budgets.reserve('p/app', budget, T);
    // An hour idle refills two tokens, not 1,800.
    const later = T + 3_600_000;
    expect([0, 0, 0].map(() => budgets.reserve('p/app', budget, later))).toEqual([0, 0, 2_000]);
  });

  it('admits no more calls in any minute than burst plus a minute of rate', () => {
    const budgets = rateBudgets();
    const budget = { requestsPerMinute: 28, burst: 2 };
    const sentAt: number[] = [];
    let now = T;
    for (let i = 0; i < 200; i += 1) {
      now += budgets.reserve('p/app', budget, now);
      sentAt.push(now);
    }
    for (const start of sentAt) expect(sentAt.filter((at) => at >= start && at < start + 60_000).length).toBeLessThanOrEqual(30);
  });

  it('starts an app paused by a 429 with a full bucket once the pause ends', () => {
    const budgets = rateBudgets();
    const budget = { requestsPerMinute: 60, burst: 2 };
    budgets.pause('p/app', T + 5_000);
    expect([0, 0, 0].map(() => budgets.reserve('p/app', budget, T + 5_000))).toEqual([0, 0, 1_000]);
  });

  it('keeps apps apart', () => {
    const budgets = rateBudgets();
    const budget = { requestsPerMinute: 60, burst: 1 };
    expect(budgets.reserve('p/one', budget, T)).toBe(0);
    expect(budgets.reserve('p/two', budget, T)).toBe(0);
    expect(budgets.reserve('p/one', budget, T)).toBe(1_000);
  });

  it('holds every call of a paused app until the pause ends, budget or not', () => {
    const budgets = rateBudgets();
    budgets.pause('p/app', T + 5_000);
    expect(budgets.reserve('p/app', undefined, T)).toBe(5_000);
    expect(budgets.reserve('p/app', { requestsPerMinute: 60 }, T + 1_000)).toBe(4_000);
    expect(budgets.reserve('p/app', undefined, T + 6_000)).toBe(0);
    // A shorter pause never shortens a longer one.
    budgets.pause('p/app', T + 10_000);
    budgets.pause('p/app', T + 7_000);
    expect(budgets.reserve('p/app', undefined, T + 6_000)).toBe(4_000);
  });
});
