import { describe, expect, it } from 'vitest';
import { CircuitBreakers, type Admission } from './circuit-breaker.js';

function breakers() {
  let now = 1_000;
  const b = new CircuitBreakers({ failureThreshold: 3, openMs: 10_000, maxInFlight: 4, slowCallMs: 500, busyRetryMs: 100, provenForMs: 60_000, now: () => now });
  return { b, advance: (ms: number) => (now += ms), now: () => now };
}

const admitted = (a: Admission) => {
  if (!a.admitted) throw new Error(`expected admission, got: ${a.reason}`);
  return a;
};

describe('the circuit breaker per receiver', () => {
  it('lets one call at a time reach a receiver not heard from yet, so a dead one holds one worker from the first call', () => {
    const { b } = breakers();
    const first = admitted(b.admit('http://new'));
    expect(b.admit('http://new')).toMatchObject({ admitted: false, reason: expect.stringContaining('has not answered lately') });
    first.release('down');
    admitted(b.admit('http://new')).release('up');
    expect([1, 2].map(() => b.admit('http://new').admitted)).toEqual([true, true]);
  });

  it('lets up to maxInFlight calls run at once to a receiver that answered lately', () => {
    const { b, advance } = breakers();
    admitted(b.admit('http://a')).release('up');
    const calls = [1, 2, 3, 4].map(() => admitted(b.admit('http://a')));
    expect(b.admit('http://a').admitted).toBe(false);
    expect(b.admit('http://b').admitted).toBe(true);
    for (const c of calls) c.release('up');
    expect(b.describe('http://a')).toEqual({ state: 'closed', consecutiveFailures: 0, inFlight: 0 });
    // A success long ago proves nothing now.
    advance(60_001);
    admitted(b.admit('http://a'));
    expect(b.admit('http://a').admitted).toBe(false);
  });

  it('allows one call at a time to a receiver whose call is slow, so a hanging receiver holds one worker', () => {
    const { b, advance } = breakers();
    admitted(b.admit('http://slow')).release('up');
    const first = admitted(b.admit('http://slow'));
    advance(600);
    const refused = b.admit('http://slow');
    expect(refused).toMatchObject({ admitted: false });
    expect(refused.admitted === false && refused.retryAt).toBeGreaterThan(0);
    first.release('up');
    expect([1, 2].map(() => b.admit('http://slow').admitted)).toEqual([true, true]);
  });

  it('opens after the threshold of failures in a row, refuses until openMs passed, then admits one probe', () => {
    const { b, advance, now } = breakers();
    for (let i = 0; i < 3; i += 1) admitted(b.admit('http://dead')).release('down');
    expect(b.describe('http://dead').state).toBe('open');
    const refused = b.admit('http://dead');
    expect(refused).toMatchObject({ admitted: false, retryAt: now() + 10_000 });
    advance(10_000);
    const probe = admitted(b.admit('http://dead'));
    expect(b.admit('http://dead').admitted).toBe(false);
    probe.release('down');
    expect(b.describe('http://dead').state).toBe('open');
    advance(10_000);
    admitted(b.admit('http://dead')).release('up');
    expect(b.describe('http://dead').state).toBe('closed');
    expect(b.admit('http://dead').admitted).toBe(true);
  });

  it('does not count an answer as a failure: a 4xx receiver is up', () => {
    const { b } = breakers();
    admitted(b.admit('http://x')).release('down');
    admitted(b.admit('http://x')).release('up');
    expect(b.describe('http://x').consecutiveFailures).toBe(0);
  });

  it('keeps receivers apart: one open circuit refuses nobody else', () => {
    const { b } = breakers();
    for (let i = 0; i < 3; i += 1) admitted(b.admit('http://dead')).release('down');
    expect(b.admit('http://alive').admitted).toBe(true);
  });
});
