import { describe, expect, it } from 'vitest';
import { createAdapterContext } from './adapter-context.js';
import { appKeyOf, backoffDelayMs, politeContext, type PoliteOptions } from './polite-context.js';
import { rateBudgets } from './rate-budget.js';
import type { Exchange } from './redact-exchange.js';

const START = Date.parse('2026-03-01T08:00:00Z');
const provider = { id: 'john-deere', clientIdentityField: 'clientKey' };
const credential = { id: 'cred-1', fields: { clientKey: 'app-one' } };

/** A fake provider answering from a script, a clock that only sleeps move, and the waits made. */
function harness(script: readonly (number | Error | { status: number; headers: Record<string, string> })[], options: Partial<PoliteOptions> = {}) {
  let now = START;
  const sleeps: number[] = [];
  const sent: { method: string; range: string | null; at: number }[] = [];
  const exchanges: Exchange[] = [];
  let call = 0;
  const ctx = createAdapterContext({
    providerId: 'john-deere',
    environment: 'PRODUCTION',
    now: () => now,
    onExchange: (exchange) => exchanges.push(exchange),
    fetch: async (_input, init) => {
      sent.push({ method: init?.method ?? 'GET', range: new Headers(init?.headers).get('range'), at: now });
      const step = script[Math.min(call, script.length - 1)]!;
      call += 1;
      if (step instanceof Error) throw step;
      const { status, headers } = typeof step === 'number' ? { status: step, headers: {} } : step;
      return new Response(status === 204 ? null : JSON.stringify({ status }), { status, headers: { 'content-type': 'application/json', ...headers } });
    },
  });
  const polite = politeContext(ctx, {
    provider,
    credential,
    budgets: rateBudgets(),
    random: () => 0.5,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
    ...options,
  });
  return { polite, sleeps, sent, exchanges, now: () => now };
}

describe('politeContext', () => {
  it('sends a GET again after a 5xx and returns the first good answer', async () => {
    const h = harness([503, 500, 200]);
    const response = await h.polite.fetch('https://api.example/fields');
    expect(response.status).toBe(200);
    expect(h.sent).toHaveLength(3);
    // Full jitter at 0.5 of a ceiling that doubles from 500 ms.
    expect(h.sleeps).toEqual([250, 500]);
    expect(h.exchanges.map((e) => e.response?.status)).toEqual([503, 500, 200]);
  });

  it('waits the Retry-After seconds a 429 asks for, and holds other calls of the same app as long', async () => {
    const budgets = rateBudgets();
    const h = harness([{ status: 429, headers: { 'retry-after': '7' } }, 200], { budgets });
    expect((await h.polite.fetch('https://api.example/fields')).status).toBe(200);
    expect(h.sleeps).toEqual([7_000]);
    // The pause was set at the 429, so a call of the same app made then would have waited 7 s.
    expect(budgets.reserve(appKeyOf(provider, credential), undefined, START)).toBe(7_000);
    expect(budgets.reserve(appKeyOf(provider, { id: 'cred-2', fields: { clientKey: 'app-two' } }), undefined, START)).toBe(0);
  });

  it('reads a Retry-After given as an HTTP date', async () => {
    const h = harness([{ status: 503, headers: { 'retry-after': new Date(START + 3_000).toUTCString() } }, 200]);
    expect((await h.polite.fetch('https://api.example/fields')).status).toBe(200);
    expect(h.sleeps).toEqual([3_000]);
  });

  it('retries a ranged GET of a download with its Range header unchanged', async () => {
    const h = harness([502, 206]);
    const response = await h.polite.fetch('https://api.example/files/1', { headers: { Range: 'bytes=1048576-2097151' } });
    expect(response.status).toBe(206);
    expect(h.sent.map((s) => s.range)).toEqual(['bytes=1048576-2097151', 'bytes=1048576-2097151']);
  });

  it('sends a network failure again and rethrows it once the attempts are spent', async () => {
    const recovered = harness([new TypeError('fetch failed'), 200]);
    expect((await recovered.polite.fetch('https://api.example/fields')).status).toBe(200);

    const dead = harness([new TypeError('fetch failed')], { maxAttempts: 3 });
    await expect(dead.polite.fetch('https://api.example/fields')).rejects.toThrow('fetch failed');
    expect(dead.sent).toHaveLength(3);
  });

  it('returns the last failed answer after the bounded attempts, for the adapter to classify', async () => {
    const h = harness([500], { maxAttempts: 4 });
    const response = await h.polite.fetch('https://api.example/fields');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ status: 500 });
    expect(h.sent).toHaveLength(4);
    expect(h.sleeps).toEqual([250, 500, 1_000]);
  });

  it('gives up at once when a Retry-After is longer than the wait left', async () => {
    const h = harness([{ status: 429, headers: { 'retry-after': '120' } }, 200], { maxTotalWaitMs: 20_000 });
    const response = await h.polite.fetch('https://api.example/fields');
    expect(response.status).toBe(429);
    expect(h.sent).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
  });

  it('stops retrying when the total wait would pass its bound', async () => {
    const h = harness([{ status: 503, headers: { 'retry-after': '8' } }], { maxAttempts: 10, maxTotalWaitMs: 20_000 });
    expect((await h.polite.fetch('https://api.example/fields')).status).toBe(503);
    expect(h.sleeps).toEqual([8_000, 8_000]);
    expect(h.sent).toHaveLength(3);
  });

  it('never sends a POST twice', async () => {
    const h = harness([503, 200]);
    expect((await h.polite.fetch('https://api.example/exports', { method: 'POST', body: '{}' })).status).toBe(503);
    expect(h.sent).toHaveLength(1);
  });

  it('does not retry answers that are not transient', async () => {
    for (const status of [400, 401, 403, 404]) {
      const h = harness([status, 200]);
      expect((await h.polite.fetch('https://api.example/fields')).status).toBe(status);
      expect(h.sent).toHaveLength(1);
    }
  });

  it('ends a backoff at once when shutdown aborts, without another send', async () => {
    const shutdown = new AbortController();
    const h = harness([503, 200], {
      signal: shutdown.signal,
      sleep: async (_ms, signal) => {
        shutdown.abort(new Error('worker stopping'));
        signal?.throwIfAborted();
      },
    });
    await expect(h.polite.fetch('https://api.example/fields')).rejects.toThrow('worker stopping');
    expect(h.sent).toHaveLength(1);
  });

  it('spaces calls by the provider app budget and shares it between credentials of the app', async () => {
    const budgets = rateBudgets();
    const limited = { id: 'raven-slingshot', clientIdentityField: undefined, rateBudget: { requestsPerMinute: 30, burst: 2, appField: 'apiKey' } };
    const one = harness([200], { budgets, provider: limited, credential: { id: 'a', fields: { apiKey: 'isv' } } });
    const other = harness([200], { budgets, provider: limited, credential: { id: 'b', fields: { apiKey: 'isv' } } });
    await one.polite.fetch('https://api.example/jobdata');
    await one.polite.fetch('https://api.example/jobdata');
    expect(one.sleeps).toEqual([]);
    // The burst is spent; the other credential of the same ISV key waits for a token (2 s at 30/min).
    await other.polite.fetch('https://api.example/jobdata');
    expect(other.sleeps).toEqual([2_000]);
  });

  it('keeps the wrapped context for everything but fetch', () => {
    const h = harness([200]);
    expect(h.polite.baseUrl({ PRODUCTION: 'https://sandboxapi.deere.com/platform' })).toBe('https://sandboxapi.deere.com/platform');
    expect(h.polite.now()).toBe(START);
    expect(h.polite.environment).toBe('PRODUCTION');
  });
});

describe('backoffDelayMs', () => {
  it('draws within a ceiling that doubles per retry up to the maximum', () => {
    const top = { baseDelayMs: 500, maxDelayMs: 8_000, random: () => 0.999_999 };
    expect([1, 2, 3, 4, 5, 6, 7].map((retry) => backoffDelayMs(retry, top))).toEqual([499, 999, 1_999, 3_999, 7_999, 7_999, 7_999]);
    expect(backoffDelayMs(3, { ...top, random: () => 0 })).toBe(0);
  });
});

describe('appKeyOf', () => {
  it('names the app by the declared field, falling back to the credential, never showing the value', () => {
    const slingshot = { id: 'raven-slingshot', clientIdentityField: undefined, rateBudget: { requestsPerMinute: 28, appField: 'apiKey' } };
    const key = appKeyOf(slingshot, { id: 'a', fields: { apiKey: 'secret-isv-key' } });
    expect(key).toBe(appKeyOf(slingshot, { id: 'b', fields: { apiKey: 'secret-isv-key' } }));
    expect(key).not.toContain('secret-isv-key');
    expect(appKeyOf(slingshot, { id: 'a', fields: {} })).not.toBe(appKeyOf(slingshot, { id: 'b', fields: {} }));
    expect(appKeyOf(provider, credential)).not.toBe(appKeyOf({ ...provider, id: 'climate-field-view' }, credential));
  });
});
