import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_BODY_BYTES, createAdapterContext, resolveBaseUrl } from './adapter-context.js';
import { REDACTED, type Exchange } from './redact-exchange.js';
import type { FetchLike } from './provider.js';

const DEERE = { PRODUCTION: 'https://api.deere.com/platform', STAGE: 'https://sandboxapi.deere.com/platform' };
const CLIMATE = { PRODUCTION: 'https://platform.climate.com' };

describe('resolving a base URL', () => {
  it('picks the host of the credential environment', () => {
    expect(resolveBaseUrl(DEERE, { providerId: 'john-deere', environment: 'STAGE' })).toBe('https://sandboxapi.deere.com/platform');
    expect(resolveBaseUrl(DEERE, { providerId: 'john-deere', environment: 'PRODUCTION' })).toBe('https://api.deere.com/platform');
  });

  it('refuses STAGE for a host that has none, naming the host', () => {
    expect(() => resolveBaseUrl(CLIMATE, { providerId: 'climate-field-view', environment: 'STAGE' })).toThrow(/climate-field-view has no STAGE host for https:\/\/platform.climate.com/);
  });

  it('sends every host to the emulator under /sandbox/<provider-id>, keeping the provider paths', () => {
    const sandbox = { providerId: 'john-deere', environment: 'STAGE' as const, sandboxBaseUrl: 'http://127.0.0.1:8080/sandbox/' };
    expect(resolveBaseUrl(DEERE, sandbox)).toBe('http://127.0.0.1:8080/sandbox/john-deere/platform');
    expect(resolveBaseUrl(CLIMATE, { ...sandbox, providerId: 'climate-field-view' })).toBe('http://127.0.0.1:8080/sandbox/climate-field-view');
    expect(resolveBaseUrl({ ...CLIMATE, sandboxPath: '/orders' }, sandbox)).toBe('http://127.0.0.1:8080/sandbox/john-deere/orders');
  });
});

describe('the adapter context', () => {
  function setup(fetch: FetchLike, secretValues: string[] = []) {
    const exchanges: Exchange[] = [];
    let clock = Date.parse('2026-03-01T12:00:00Z');
    const ctx = createAdapterContext({ providerId: 'john-deere', environment: 'STAGE', fetch, onExchange: (e) => exchanges.push(e), secretValues, now: () => (clock += 5) });
    return { ctx, exchanges };
  }

  it('records each exchange redacted, and still hands the adapter the whole answer', async () => {
    const body = JSON.stringify({ access_token: 'new-access-token', refresh_token: 'new-refresh-token', expires_in: 43200 });
    const { ctx, exchanges } = setup(async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } }), ['old-refresh-token']);
    const response = await ctx.fetch('https://signin.example.com/v1/token', {
      method: 'post',
      headers: { Authorization: 'Basic abc', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'old-refresh-token' }),
    });
    expect(await response.json()).toEqual(JSON.parse(body));
    expect(exchanges).toHaveLength(1);
    const [recorded] = exchanges;
    expect(recorded).toMatchObject({
      startedAt: '2026-03-01T12:00:00.005Z',
      durationMs: 5,
      request: { method: 'POST', url: 'https://signin.example.com/v1/token', headers: { authorization: REDACTED }, body: `grant_type=refresh_token&refresh_token=${REDACTED}` },
      response: { status: 200 },
    });
    expect(JSON.parse(recorded!.response!.body!)).toEqual({ access_token: REDACTED, refresh_token: REDACTED, expires_in: 43200 });
    expect(JSON.stringify(exchanges)).not.toMatch(/old-refresh-token|new-refresh-token|new-access-token|Basic abc/);
  });

  it('records a failed request with its error, and rethrows it', async () => {
    const { ctx, exchanges } = setup(async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:443');
    });
    await expect(ctx.fetch('https://api.example.com/x')).rejects.toThrow(/ECONNREFUSED/);
    expect(exchanges[0]).toMatchObject({ request: { method: 'GET' }, error: 'connect ECONNREFUSED 127.0.0.1:443' });
    expect(exchanges[0]?.response).toBeUndefined();
  });

  it('describes binary answers instead of reading them, and cuts long text', async () => {
    const zip = new Uint8Array(1000);
    const { ctx, exchanges } = setup(async (input) =>
      String(input).endsWith('.zip')
        ? new Response(zip, { headers: { 'content-type': 'application/zip', 'content-length': '1000' } })
        : new Response('x'.repeat(MAX_RECORDED_BODY_BYTES + 10), { headers: { 'content-type': 'text/plain' } }),
    );
    const file = await ctx.fetch('https://api.example.com/file.zip');
    expect((await file.arrayBuffer()).byteLength).toBe(1000);
    expect(exchanges[0]?.response?.body).toBe('[application/zip body, 1000 bytes, not recorded]');
    const text = await ctx.fetch('https://api.example.com/big');
    expect((await text.text()).length).toBe(MAX_RECORDED_BODY_BYTES + 10);
    expect(exchanges[1]?.response?.body?.endsWith(`[cut at ${MAX_RECORDED_BODY_BYTES} bytes]`)).toBe(true);
  });

  it('redacts exchanges an adapter records itself, and resolves URLs for its environment', () => {
    const { ctx, exchanges } = setup(async () => new Response(''), ['partner-password']);
    ctx.onExchange({ startedAt: 'x', durationMs: 1, request: { method: 'POST', url: 'cognito', headers: {}, body: '{"PASSWORD":"partner-password"}' } });
    expect(exchanges[0]?.request.body).toBe(`{"PASSWORD":"${REDACTED}"}`);
    expect(ctx.baseUrl(DEERE)).toBe(DEERE.STAGE);
    expect(ctx.environment).toBe('STAGE');
  });
});
