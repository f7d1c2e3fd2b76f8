import { describe, expect, it } from 'vitest';
import { classifyDelivery, nextAttemptAt, parseRetryAfter, retryOffsetsMs } from './retry-schedule.js';

const MIN = 60_000;

describe('the retry schedule', () => {
  const offsets = retryOffsetsMs(1);

  it("retries at Leaf's 1, 30, 60 and 240 minutes after the initial failure, then gives up", () => {
    expect(offsets).toEqual([1 * MIN, 30 * MIN, 60 * MIN, 240 * MIN]);
    const emitted = 0;
    const attempts = [0];
    for (;;) {
      const next = nextAttemptAt(emitted, attempts[attempts.length - 1]! + 10, offsets);
      if (next === undefined) break;
      attempts.push(next);
    }
    expect(attempts).toEqual([0, 1 * MIN, 30 * MIN, 60 * MIN, 240 * MIN]);
  });

  it('scales every point by FURROW_ALERT_RETRY_SCALE', () => {
    expect(retryOffsetsMs(0.001)).toEqual([60, 1800, 3600, 14_400]);
    expect(() => retryOffsetsMs(0)).toThrow(/above 0/);
  });

  it('treats the points as deadlines: an event that waited behind another is retried at the next point still ahead', () => {
    expect(nextAttemptAt(0, 45 * MIN, offsets)).toBe(60 * MIN);
    expect(nextAttemptAt(0, 240 * MIN + 1, offsets)).toBeUndefined();
  });

  it("waits at least the receiver's Retry-After, but never longer than the whole schedule", () => {
    expect(nextAttemptAt(0, 10, offsets, 5 * MIN)).toBe(5 * MIN + 10);
    expect(nextAttemptAt(0, 10, offsets, 10)).toBe(1 * MIN);
    expect(nextAttemptAt(0, 10, offsets, 24 * 60 * MIN)).toBe(240 * MIN + 10);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('classifyDelivery', () => {
  const response = (status: number, retryAfter?: string) => ({ kind: 'response' as const, status, retryAfter, body: 'b' });

  it('counts any 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204]) expect(classifyDelivery(response(status), 0).kind).toBe('delivered');
  });

  it('retries timeouts, network errors, 408, 429 and 5xx, and marks the receiver down', () => {
    for (const fact of [response(408), response(429), response(500), response(503), { kind: 'timeout' as const, error: 't' }, { kind: 'network' as const, error: 'n' }]) {
      const verdict = classifyDelivery(fact, 0);
      expect(verdict).toMatchObject({ kind: 'retry', health: 'down' });
    }
    expect(classifyDelivery(response(429, '7'), 0)).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
  });

  it('fails other answers at once: redirects are not followed, other 4xx will not change', () => {
    expect(classifyDelivery(response(301), 0)).toMatchObject({ kind: 'failed', status: 301, health: 'up' });
    expect((classifyDelivery(response(302), 0) as { error: string }).error).toMatch(/redirects are not followed/);
    expect(classifyDelivery(response(404), 0)).toMatchObject({ kind: 'failed', status: 404 });
    expect(classifyDelivery({ kind: 'refused', error: 'private' }, 0)).toMatchObject({ kind: 'failed', health: 'unknown' });
  });
});
