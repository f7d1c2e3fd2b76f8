/**
 * The only code that opens connections to webhook receivers. Outbound safety lives here:
 *
 * - Addresses: unless private targets are allowed, an IP-literal host must be public, and a name is
 *   resolved by our own lookup on every new connection, refusing it if any address it resolves to
 *   is not public (`address-policy.ts`), so DNS rebinding after registration is caught too.
 * - Redirects are never followed: node's http client does not, and a 3xx is reported as it is.
 * - Bounded: the whole exchange (connect, send, response) has one deadline (10 s by default), and
 *   at most `maxResponseBytes` of a response body are read; a longer body is cut off.
 * - Connections are kept alive per origin, since a webhook's deliveries go out one after another.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { classifyAddress } from './address-policy.js';
import type { SendFact } from './retry-schedule.js';

export interface AlertHttpRequest {
  url: string;
  /** Sent as they are; the sender adds `content-type`, `content-length` and `user-agent`. */
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
}

/**
 * Whether a URL may be registered: `ok`, or why not: `invalid` (not an http(s) URL) or `refused`
 * (the address policy, or a host that does not resolve).
 */
export type TargetCheck = { ok: true } | { ok: false; problem: 'invalid' | 'refused'; reason: string };

export interface AlertSender {
  /** Sends one POST and reports what happened; never throws. */
  send(request: AlertHttpRequest): Promise<SendFact>;
  /** Checks a URL against the address policy, resolving its host now. */
  checkTarget(url: string): Promise<TargetCheck>;
  /** Closes idle kept-alive connections. */
  close(): void;
}

export interface AlertSenderOptions {
  /** `FURROW_ALERTS_ALLOW_PRIVATE`: call private, loopback and link-local addresses too. */
  allowPrivate: boolean;
  /** The deadline of one exchange; Leaf-compatible receivers get 10 s. */
  timeoutMs?: number;
  /** Response bytes read at most (kept for the failed-calls record). */
  maxResponseBytes?: number;
  /** Resolves a host name to its addresses; `dns.lookup` by default (tests replace it). */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export const ALERT_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 16 * 1024;
const USER_AGENT = 'Furrow-Alerts/0.1';

const defaultResolve = (hostname: string) => dns.promises.lookup(hostname, { all: true, verbatim: true });

class PolicyRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyRefusal';
  }
}

/** The host as the address policy reads it: without IPv6 brackets. */
function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

export function createAlertSender(options: AlertSenderOptions): AlertSender {
  const timeoutMs = options.timeoutMs ?? ALERT_TIMEOUT_MS;
  const maxResponseBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const resolve = options.resolve ?? defaultResolve;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16 }),
  };

  const refusal = (host: string, address: string) => {
    const kind = classifyAddress(address);
    return kind === 'public' ? undefined : `${host} resolves to ${address}, a ${kind} address; webhooks may call public addresses only (set FURROW_ALERTS_ALLOW_PRIVATE=true to allow private ones)`;
  };

  /** `dns.lookup` with the policy applied to every address, for connections the agent opens. */
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = addresses.map((a) => refusal(hostname, a.address)).find((r) => r !== undefined);
        if (refused !== undefined) return callback(new PolicyRefusal(refused), '', 4);
        const first = addresses[0];
        if (first === undefined) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
        if (lookupOptions.all === true) return (callback as unknown as (e: null, all: typeof addresses) => void)(null, addresses);
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };

  const checkTarget = async (raw: string): Promise<TargetCheck> => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, problem: 'invalid', reason: `"${raw}" is not a URL; expected http(s)://host[:port]/path` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: 'invalid', reason: `the URL's scheme is ${url.protocol.slice(0, -1)}; expected http or https` };
    if (options.allowPrivate) return { ok: true };
    const host = bareHost(url);
    if (classifyAddress(host) !== undefined) {
      const refused = refusal(host, host);
      return refused === undefined ? { ok: true } : { ok: false, problem: 'refused', reason: refused };
    }
    try {
      const addresses = await resolve(host);
      const refused = addresses.map((a) => refusal(host, a.address)).find((r) => r !== undefined);
      if (refused !== undefined) return { ok: false, problem: 'refused', reason: refused };
      return addresses.length > 0 ? { ok: true } : { ok: false, problem: 'refused', reason: `${host} has no address` };
    } catch (error) {
      return { ok: false, problem: 'refused', reason: `${host} could not be resolved (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); register a URL whose host resolves` };
    }
  };

  const send = (request: AlertHttpRequest): Promise<SendFact> =>
    new Promise<SendFact>((settle) => {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        settle({ kind: 'refused', error: `"${request.url}" is not a URL` });
        return;
      }
      const agent = url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : undefined;
      if (agent === undefined) {
        settle({ kind: 'refused', error: `the URL's scheme is ${url.protocol.slice(0, -1)}; expected http or https` });
        return;
      }
      const host = bareHost(url);
      if (!options.allowPrivate && classifyAddress(host) !== undefined) {
        // An IP literal never reaches the lookup, so the policy is applied here.
        const refused = refusal(host, host);
        if (refused !== undefined) {
          settle({ kind: 'refused', error: refused });
          return;
        }
      }
      const body = Buffer.from(request.body, 'utf8');
      let done = false;
      const finish = (fact: SendFact) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        settle(fact);
      };
      const req = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'POST',
        agent,
        ...(options.allowPrivate ? {} : { lookup: guardedLookup }),
        headers: { ...request.headers, 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': USER_AGENT },
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish({ kind: 'timeout', error: `TimeoutError: no complete answer from ${url.origin} within ${timeoutMs} ms` });
      }, timeoutMs);
      const onAbort = () => {
        req.destroy();
        finish({ kind: 'network', error: 'AbortError: the delivery was stopped (worker shutting down)' });
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof PolicyRefusal) finish({ kind: 'refused', error: error.message });
        else finish({ kind: 'network', error: `ConnectionError: ${error.code ?? error.name} ${error.message}`.trim() });
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const answer = () =>
          finish({
            kind: 'response',
            status: res.statusCode ?? 0,
            retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        res.on('data', (chunk: Buffer) => {
          const room = maxResponseBytes - size;
          if (room > 0) chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
          size += chunk.length;
          if (size > maxResponseBytes) {
            // Enough to show what the receiver said; the rest is not read (nor is the socket reused).
            answer();
            res.destroy();
          }
        });
        res.on('end', answer);
        res.on('error', answer);
      });
      req.end(body);
    });

  return {
    send,
    checkTarget,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
