import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff-delay.js';

const backoff = { baseMs: 1000, maxMs: 60_000 };

describe('backoffDelayMs', () => {
  it('doubles the step with each attempt, between half the step and the whole step', () => {
    expect(backoffDelayMs(1, backoff, () => 0)).toBe(500);
    expect(backoffDelayMs(1, backoff, () => 1)).toBe(1000);
    expect(backoffDelayMs(2, backoff, () => 0)).toBe(1000);
    expect(backoffDelayMs(3, backoff, () => 1)).toBe(4000);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    expect(backoffDelayMs(40, backoff, () => 1)).toBe(60_000);
    expect(backoffDelayMs(40, backoff, () => 0)).toBe(30_000);
  });

  it('spreads jobs that failed together over the jitter window', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, backoff)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });
});
