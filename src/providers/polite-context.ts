/**
 * An adapter context whose fetch is polite to the provider during a sync (issue 5, "Politeness and
 * failure"): every call waits for the provider app's rate budget (`rate-budget.ts`), and an
 * idempotent call (GET, HEAD, ranged GETs of a download) that meets a 5xx, a 429 or no answer is
 * sent again after an exponential backoff with full jitter, or after the `Retry-After` the
 * provider asked for. The retries are bounded in attempts and in total wait; then the last answer
 * goes back to the adapter as it came, so the adapter's own classification turns it into a
 * visible failure of the run (never a silent stall). Nothing else changes: URLs, recording (each
 * attempt is one recorded exchange) and the clock are the wrapped context's.
 */
import crypto from 'node:crypto';
import { parseRetryAfter } from './classify-http-error.js';
import { processRateBudgets, type RateBudget, type RateBudgets } from './rate-budget.js';
import type { AdapterContext, FetchLike, Provider, ProviderCredential } from './provider.js';

export interface PoliteOptions {
  /** The provider called: its id and declared budget name the app's bucket. */
  provider: Pick<Provider, 'id' | 'clientIdentityField'> & { rateBudget?: RateBudget | undefined };
  /** The credential the calls are made for: its app field names the app. */
  credential: Pick<ProviderCredential, 'id' | 'fields'>;
  /** Shutdown: aborts waits and calls at once, so a stopping worker is not held by a backoff. */
  signal?: AbortSignal | undefined;
  /** Sends of one request, the first included. */
  maxAttempts?: number;
  /**
   * The most one request may spend waiting between its attempts. A `Retry-After` beyond what is
   * left ends the retries at once: the answer goes up and the job's own backoff takes over.
   */
  maxTotalWaitMs?: number;
  /** The first backoff's ceiling; it doubles on each retry up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected for tests; default the process's buckets, `ctx.now`, a timer and `Math.random`. */
  budgets?: RateBudgets;
  clock?: () => number;
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  random?: () => number;
}

/** [I] Five sends of a call: at a 20% error rate, one call in 3,000 still fails after them. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/**
 * [I] Less than `PROVIDER_CALL_TIMEOUT_MS` (30 s): the adapters' timeout covers the call with its
 * retries, and an answer to classify says more than a timeout.
 */
export const DEFAULT_MAX_TOTAL_WAIT_MS = 20_000;
const DEFAULT_BASE_DELAY_MS = 500;
const DEFAULT_MAX_DELAY_MS = 8_000;

const IDEMPOTENT = new Set(['GET', 'HEAD']);

/** Whether an answer is worth asking again: the provider was busy or broke, not the request. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * The wait before retry `retry` (1 for the first): full jitter over an exponential ceiling
 * ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015), so many syncs that failed
 * together do not come back together.
 */
export function backoffDelayMs(retry: number, options: { baseDelayMs: number; maxDelayMs: number; random: () => number }): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(options.random() * ceiling);
}

/**
 * The bucket key of the credential's app: the provider id and a digest of the app field's value
 * (an API key may be secret, and the key lives in memory for the process's life).
 */
export function appKeyOf(provider: PoliteOptions['provider'], credential: PoliteOptions['credential']): string {
  const field = provider.rateBudget?.appField ?? provider.clientIdentityField;
  const value = field === undefined ? undefined : (credential.fields as Record<string, unknown>)[field];
  const app = typeof value === 'string' && value !== '' ? `app:${value}` : `credential:${credential.id}`;
  return `${provider.id}/${crypto.createHash('sha256').update(app).digest('base64url').slice(0, 22)}`;
}

/** `ctx` with its fetch made polite; see the module comment. */
export function politeContext(ctx: AdapterContext, options: PoliteOptions): AdapterContext {
  const budgets = options.budgets ?? processRateBudgets;
  const clock = options.clock ?? (() => ctx.now());
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const maxTotalWaitMs = options.maxTotalWaitMs ?? DEFAULT_MAX_TOTAL_WAIT_MS;
  const delays = { baseDelayMs: options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS, maxDelayMs: options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS, random };
  const key = appKeyOf(options.provider, options.credential);
  const budget = options.provider.rateBudget;
  const shutdown = options.signal;

  const send: FetchLike = async (input, init) => {
    const wait = budgets.reserve(key, budget, clock());
    if (wait > 0) await sleep(wait, shutdown);
    shutdown?.throwIfAborted();
    const signal = shutdown === undefined ? init?.signal : init?.signal ? AbortSignal.any([init.signal, shutdown]) : shutdown;
    return ctx.fetch(input, signal === undefined || signal === null ? init : { ...init, signal });
  };

  const politeFetch: FetchLike = async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    if (!IDEMPOTENT.has(method)) return send(input, init);
    let waited = 0;
    for (let attempt = 1; ; attempt += 1) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await send(input, init);
      } catch (error) {
        // The caller's own abort (shutdown, or the adapter's call timeout) is not the provider's fault.
        if (shutdown?.aborted || init?.signal?.aborted || attempt >= maxAttempts) throw error;
        failure = error;
      }
      if (response !== undefined && !isTransientStatus(response.status)) return response;
      if (response !== undefined && attempt >= maxAttempts) return response;

      const retryAfterMs = response === undefined ? undefined : parseRetryAfter(response.headers.get('retry-after') ?? undefined, clock());
      if (response?.status === 429 && retryAfterMs !== undefined) budgets.pause(key, clock() + retryAfterMs);
      const delay = retryAfterMs ?? backoffDelayMs(attempt, delays);
      if (waited + delay > maxTotalWaitMs) {
        if (response !== undefined) return response;
        throw failure;
      }
      // The answer is dropped unread; the recording fetch has already logged it.
      response?.body?.cancel().catch(() => undefined);
      waited += delay;
      try {
        await sleep(delay, init?.signal ? (shutdown ? AbortSignal.any([init.signal, shutdown]) : init.signal) : shutdown);
      } catch (error) {
        shutdown?.throwIfAborted();
        throw error;
      }
    }
  };

  return { environment: ctx.environment, baseUrl: (urls) => ctx.baseUrl(urls), fetch: politeFetch, onExchange: (exchange) => ctx.onExchange(exchange), now: () => ctx.now() };
}

/** A timer that ends early, rejecting with the signal's reason, when the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
