import { describe, expect, it } from 'vitest';
import { schedulePeriod } from './schedule-period.js';

const day = 86_400_000;

describe('schedulePeriod', () => {
  it('puts every moment of a day in the same daily period, starting at midnight UTC', () => {
    const morning = Date.parse('2026-03-04T06:00:00.000Z');
    const evening = Date.parse('2026-03-04T23:59:59.999Z');
    expect(schedulePeriod(morning, day).index).toBe(schedulePeriod(evening, day).index);
    expect(new Date(schedulePeriod(morning, day).startsAt).toISOString()).toBe('2026-03-04T00:00:00.000Z');
    expect(new Date(schedulePeriod(morning, day).nextAt).toISOString()).toBe('2026-03-05T00:00:00.000Z');
  });

  it('shifts the period start by the offset (daily at 03:00 UTC)', () => {
    const beforeThree = schedulePeriod(Date.parse('2026-03-04T02:59:59.000Z'), day, 3 * 3_600_000);
    const atThree = schedulePeriod(Date.parse('2026-03-04T03:00:00.000Z'), day, 3 * 3_600_000);
    expect(atThree.index).toBe(beforeThree.index + 1);
    expect(new Date(atThree.startsAt).toISOString()).toBe('2026-03-04T03:00:00.000Z');
  });

  it('starts a new period exactly at the boundary', () => {
    expect(schedulePeriod(999, 1000).index).toBe(0);
    expect(schedulePeriod(1000, 1000)).toEqual({ index: 1, startsAt: 1000, nextAt: 2000 });
  });
});
