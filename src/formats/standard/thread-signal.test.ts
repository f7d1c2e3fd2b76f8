import { describe, expect, it } from 'vitest';
import { ThreadSignal } from './thread-signal.js';

describe('ThreadSignal', () => {
  it('waits until the condition clears, re-checking it each time the thread answers', async () => {
    const signal = new ThreadSignal();
    let pending = 2;
    let done = false;
    const waiting = signal.waitWhile(() => pending > 0).then(() => (done = true));
    pending = 1;
    signal.notify();
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    pending = 0;
    signal.notify();
    await waiting;
    expect(done).toBe(true);
  });

  it('wakes a waiter with the first failure, and keeps throwing it', async () => {
    const signal = new ThreadSignal();
    const waiting = signal.waitWhile(() => true);
    signal.fail(new Error('first'));
    signal.fail(new Error('second'));
    await expect(waiting).rejects.toThrow('first');
    expect(signal.failed).toBe(true);
    expect(() => signal.check()).toThrow('first');
    await expect(signal.waitWhile(() => false)).rejects.toThrow('first');
  });
});
