/** The HTTP sender against real servers on loopback: address policy, redirects, bounds, timeouts. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertSender } from './http-sender.js';

let server: http.Server;
let base: string;
const received: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url === '/redirect') return void res.writeHead(302, { location: `${base}/ok` }).end();
      if (req.url === '/huge') return void res.writeHead(500).end('x'.repeat(1024 * 1024));
      if (req.url === '/hang') return;
      if (req.url === '/slow-down') return void res.writeHead(429, { 'retry-after': '3' }).end('slow down');
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the alert HTTP sender', () => {
  const open = createAlertSender({ allowPrivate: true, timeoutMs: 300, maxResponseBytes: 1000 });
  afterAll(() => open.close());

  it('POSTs the exact body with the given headers, as JSON', async () => {
    const fact = await open.send({ url: `${base}/ok`, headers: { 'x-leaf-signature': 'sig' }, body: '{"a": "\\u00e9"}' });
    expect(fact).toEqual({ kind: 'response', status: 200, retryAfter: undefined, body: 'ok' });
    const last = received[received.length - 1]!;
    expect(last.body).toBe('{"a": "\\u00e9"}');
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['x-leaf-signature']).toBe('sig');
  });

  it('does not follow redirects', async () => {
    const before = received.length;
    const fact = await open.send({ url: `${base}/redirect`, headers: {}, body: '{}' });
    expect(fact).toMatchObject({ kind: 'response', status: 302 });
    await new Promise((r) => setTimeout(r, 50));
    expect(received.slice(before).map((r) => r.path)).toEqual(['/redirect']);
  });

  it('reads a response body only up to its bound', async () => {
    const fact = await open.send({ url: `${base}/huge`, headers: {}, body: '{}' });
    expect(fact.kind === 'response' && fact.body.length).toBe(1000);
  });

  it('gives up on a receiver that does not answer within the deadline', async () => {
    const started = Date.now();
    const fact = await open.send({ url: `${base}/hang`, headers: {}, body: '{}' });
    expect(fact.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("reports Retry-After with a 429", async () => {
    expect(await open.send({ url: `${base}/slow-down`, headers: {}, body: '{}' })).toMatchObject({ kind: 'response', status: 429, retryAfter: '3' });
  });

  it('reports a closed port as a network error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const fact = await open.send({ url: `http://127.0.0.1:${port}/`, headers: {}, body: '{}' });
    expect(fact).toMatchObject({ kind: 'network' });
    expect(fact.kind === 'network' && fact.error).toMatch(/ECONNREFUSED/);
  });

  describe('with private targets not allowed', () => {
    // A name that "resolves" to loopback, as a DNS rebinding attack would make it.
    const guarded = createAlertSender({ allowPrivate: false, timeoutMs: 300, resolve: async (host) => (host === 'rebound.example' ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '93.184.216.34', family: 4 }]) });
    afterAll(() => guarded.close());

    it('refuses loopback, private and link-local literals without connecting', async () => {
      for (const url of [`${base}/ok`, 'http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:9/x', 'http://[::ffff:127.0.0.1]/x']) {
        const fact = await guarded.send({ url, headers: {}, body: '{}' });
        expect(fact.kind, url).toBe('refused');
      }
    });

    it('refuses a name that resolves to a private address when it connects, not only at registration', async () => {
      const fact = await guarded.send({ url: `http://rebound.example:${new URL(base).port}/ok`, headers: {}, body: '{}' });
      expect(fact).toMatchObject({ kind: 'refused' });
      expect(fact.kind === 'refused' && fact.error).toMatch(/127\.0\.0\.1, a loopback address/);
    });

    it('checks registrations the same way, naming the fix', async () => {
      expect(await guarded.checkTarget('http://rebound.example/hook')).toMatchObject({ ok: false, problem: 'refused', reason: expect.stringMatching(/FURROW_ALERTS_ALLOW_PRIVATE/) });
      expect(await guarded.checkTarget('http://public.example/hook')).toEqual({ ok: true });
      expect(await guarded.checkTarget('ftp://public.example/hook')).toMatchObject({ ok: false, problem: 'invalid' });
      expect(await guarded.checkTarget('not a url')).toMatchObject({ ok: false, problem: 'invalid' });
    });
  });
});
