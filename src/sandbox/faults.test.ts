import { describe, expect, it } from 'vitest';
import { decideFault, describeFaults, droppedScopeOf, noFaults, setFaults } from './faults.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const never = () => 0.99;

describe('deciding what a call meets', () => {
  it('passes every call when no fault is set', () => {
    const state = noFaults();
    for (const kind of ['token', 'api', 'page'] as const) expect(decideFault(state, kind, NOW, never)).toEqual({ action: 'pass', delayMs: 0 });
  });

  it('drops every kind of call while down, and passes again after', () => {
    const state = setFaults(noFaults(), { downForSeconds: 10 }, NOW);
    for (const kind of ['token', 'api', 'page'] as const) expect(decideFault(state, kind, NOW + 9_999, never)).toEqual({ action: 'drop' });
    expect(decideFault(state, 'api', NOW + 10_000, never)).toEqual({ action: 'pass', delayMs: 0 });
  });

  it('delays every kind of call by the latency', () => {
    const state = setFaults(noFaults(), { latencyMs: 250 }, NOW);
    expect(decideFault(state, 'page', NOW, never)).toEqual({ action: 'pass', delayMs: 250 });
  });

  it('answers API calls past the rate with 429 and the seconds until the window has room', () => {
    const state = setFaults(noFaults(), { rateLimitPerMinute: 2 }, NOW);
    expect(decideFault(state, 'api', NOW, never).action).toBe('pass');
    expect(decideFault(state, 'api', NOW + 10_000, never).action).toBe('pass');
    expect(decideFault(state, 'api', NOW + 20_000, never)).toEqual({ action: 'answer', fault: { fault: 'rate_limited', kind: 'api', retryAfterSeconds: 40 }, delayMs: 0 });
    // Token calls and pages are not rate limited.
    expect(decideFault(state, 'token', NOW + 20_000, never).action).toBe('pass');
    expect(decideFault(state, 'api', NOW + 60_000, never).action).toBe('pass');
  });

  it('counts the calls made before the limit was set', () => {
    let state = noFaults();
    decideFault(state, 'api', NOW, never);
    state = setFaults(state, { rateLimitPerMinute: 1 }, NOW + 1);
    expect(decideFault(state, 'api', NOW + 2, never)).toMatchObject({ action: 'answer', fault: { fault: 'rate_limited', retryAfterSeconds: 60 } });
  });

  it('fails the drawn share of token and API calls with a server error, never pages', () => {
    const state = setFaults(noFaults(), { errorRate: 0.3 }, NOW);
    expect(decideFault(state, 'token', NOW, () => 0.29)).toEqual({ action: 'answer', fault: { fault: 'server_error', kind: 'token', retryAfterSeconds: 1 }, delayMs: 0 });
    expect(decideFault(state, 'api', NOW, () => 0.3).action).toBe('pass');
    expect(decideFault(state, 'page', NOW, () => 0).action).toBe('pass');
  });
});

describe('fault settings', () => {
  it('shows downForSeconds as the time left, and drops it once up', () => {
    const state = setFaults(noFaults(), { downForSeconds: 60, errorRate: 0.1 }, NOW);
    expect(describeFaults(state, NOW + 15_500)).toEqual({ downForSeconds: 45, errorRate: 0.1 });
    expect(describeFaults(state, NOW + 60_000)).toEqual({ errorRate: 0.1 });
  });

  it('takes away the essential scope for true, the named one for a string, none otherwise', () => {
    expect(droppedScopeOf({ limitedPermission: true }, 'ag1')).toBe('ag1');
    expect(droppedScopeOf({ limitedPermission: 'files' }, 'ag1')).toBe('files');
    expect(droppedScopeOf({ limitedPermission: false }, 'ag1')).toBeUndefined();
    expect(droppedScopeOf({}, 'ag1')).toBeUndefined();
  });
});
