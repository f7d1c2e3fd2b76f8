/**
 * A provider app's request budget in this process: a token bucket per provider and developer app,
 * shared by every credential of that app, so one grower's sync cannot spend the quota every other
 * grower of the app needs (providers.md 0.2: Slingshot allows 30 calls per 60 s per ISV key,
 * Climate's usage plans are per API key). A 429's `Retry-After` pauses the whole app, since the
 * provider counts the app's calls, not one credential's.
 */

/** What a provider declares about its apps' request rate. */
export interface RateBudget {
  /** Requests an app may make per minute, spread evenly. */
  requestsPerMinute: number;
  /** Requests that may go at once after a quiet spell; defaults to `requestsPerMinute`. */
  burst?: number | undefined;
  /**
   * The credential field that names the developer app (its API key or client id); defaults to
   * the provider's `clientIdentityField`. Without either, each credential is its own app.
   */
  appField?: string | undefined;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  pausedUntil: number;
}

/** The buckets of every provider app seen by this process. */
export interface RateBudgets {
  /**
   * Takes one request from the app's bucket at `now` and returns how long to wait before sending
   * it (0: at once). The token is reserved even when the caller must wait, so callers of one app
   * queue in order instead of racing for the next token. `budget` undefined: only pauses apply.
   */
  reserve(key: string, budget: RateBudget | undefined, now: number): number;
  /** Holds every request of the app until `until` (a 429's `Retry-After`). */
  pause(key: string, until: number): void;
}

const MINUTE_MS = 60_000;

export function rateBudgets(): RateBudgets {
  const buckets = new Map<string, Bucket>();
  const bucketOf = (key: string, now: number): Bucket => {
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      // Full: `reserve` caps the tokens at the budget's burst.
      bucket = { tokens: Number.POSITIVE_INFINITY, updatedAt: now, pausedUntil: 0 };
      buckets.set(key, bucket);
    }
    return bucket;
  };
  return {
    reserve(key, budget, now) {
      const bucket = bucketOf(key, now);
      const paused = Math.max(0, bucket.pausedUntil - now);
      if (budget === undefined) return paused;
      const perMs = budget.requestsPerMinute / MINUTE_MS;
      const capacity = budget.burst ?? budget.requestsPerMinute;
      bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, now - bucket.updatedAt) * perMs);
      bucket.updatedAt = now;
      bucket.tokens -= 1;
      const waitForToken = bucket.tokens >= 0 ? 0 : Math.ceil(-bucket.tokens / perMs);
      return Math.max(paused, waitForToken);
    },
    pause(key, until) {
      const bucket = bucketOf(key, until);
      bucket.pausedUntil = Math.max(bucket.pausedUntil, until);
    },
  };
}

/** The process's buckets: every sync in this process shares them. */
export const processRateBudgets: RateBudgets = rateBudgets();
