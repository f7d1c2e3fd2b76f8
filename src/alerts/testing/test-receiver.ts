/**
 * A webhook receiver on loopback for tests and benchmarks. It keeps every request's raw bytes and
 * checks both signatures itself, recomputed from those bytes with node:crypto (not with Furrow's
 * signing code, so a bug there cannot hide here). It can answer 200, answer 503, hang, or stop
 * listening altogether and come back on the same port.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** The parsed body. */
  body: Record<string, unknown>;
  /** What the receiver answered (0: it never answered). */
  answeredWith: number;
  leafSignatureValid: boolean;
  standardSignatureValid: boolean;
  receivedAt: number;
}

export type ReceiverMode = 'ok' | 'unavailable' | 'hang';

export interface TestReceiver {
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly calls: ReceivedCall[];
  /** The requests answered 2xx. */
  delivered(): ReceivedCall[];
  setMode(mode: ReceiverMode): void;
  /** Stops listening and drops open connections: callers get connection refused. */
  goDown(): Promise<void>;
  /** Listens again on the same port. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

/** The Standard Webhooks key of a secret: `whsec_<base64>` decoded, anything else as UTF-8. */
function standardKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

export async function startTestReceiver(options: { secret: string; path?: string }): Promise<TestReceiver> {
  const calls: ReceivedCall[] = [];
  let mode: ReceiverMode = 'ok';
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const id = String(req.headers['webhook-id'] ?? '');
      const timestamp = String(req.headers['webhook-timestamp'] ?? '');
      const leaf = crypto.createHmac('sha256', Buffer.from(options.secret, 'utf8')).update(raw).digest('base64');
      const standard = `v1,${crypto.createHmac('sha256', standardKey(options.secret)).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), raw])).digest('base64')}`;
      const call: ReceivedCall = {
        headers: req.headers,
        raw,
        body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
        answeredWith: 0,
        leafSignatureValid: req.headers['x-leaf-signature'] === leaf,
        standardSignatureValid: String(req.headers['webhook-signature'] ?? '').split(' ').includes(standard),
        receivedAt: Date.now(),
      };
      calls.push(call);
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      call.answeredWith = mode === 'ok' ? 200 : 503;
      res.writeHead(call.answeredWith, { 'content-type': 'text/plain' }).end(mode === 'ok' ? 'ok' : 'down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dropAll = () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
    server.closeAllConnections();
  };
  return {
    url: `http://127.0.0.1:${port}${options.path ?? '/leaf/alerts'}`,
    port,
    calls,
    delivered: () => calls.filter((c) => c.answeredWith >= 200 && c.answeredWith < 300),
    setMode(next) {
      mode = next;
    },
    async goDown() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropAll();
      await closed;
    },
    async comeBack() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    async close() {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      dropAll();
      await closed;
    },
  };
}
