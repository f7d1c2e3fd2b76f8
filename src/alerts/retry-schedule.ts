/**
 * What one delivery attempt's result means, and when the next attempt is due.
 *
 * Leaf: "In case of alert delivery failures, Leaf Alerts will make new attempts at 1, 30, 60, and
 * 240 minutes" after the initial failure (leaf-api.md 5.2). Furrow counts those points from the
 * moment the event was emitted, which is the initial failure for an event tried at once, and
 * keeps them as deadlines: an event that waited behind an earlier one of the same webhook (order is
 * kept per webhook) is tried as soon as it reaches the front, and again at the next point still
 * ahead; once an attempt fails after the last point it is given up and recorded as a failed call.
 * So every event is settled within 240 minutes (times the configured scale) of being emitted, plus
 * the time the events before it took, whatever the receiver does.
 *
 * Retried: timeouts, network errors, 408, 429 (not before its Retry-After) and 5xx (SPEC section
 * 9). Any other answer is final: 2xx delivered; 3xx (redirects are not followed) and other 4xx
 * failed at once, since the same request will get the same answer.
 */

/** Leaf's retry points, in minutes after the initial failure. */
export const LEAF_RETRY_MINUTES = [1, 30, 60, 240] as const;

/** The retry points in milliseconds after emission, scaled (`FURROW_ALERT_RETRY_SCALE`; tests run in seconds). */
export function retryOffsetsMs(scale: number): number[] {
  if (!(scale > 0)) throw new RangeError(`The alert retry scale must be above 0; found ${scale}.`);
  return LEAF_RETRY_MINUTES.map((minutes) => minutes * 60_000 * scale);
}

/** What the HTTP sender observed; see `http-sender.ts`. */
export type SendFact =
  | { kind: 'response'; status: number; retryAfter: string | undefined; body: string }
  | { kind: 'timeout'; error: string }
  | { kind: 'network'; error: string }
  /** The target resolved to an address the policy refuses (private, loopback, link-local). */
  | { kind: 'refused'; error: string };

/**
 * The verdict on one attempt. `health` is what the attempt says about the receiver, for the
 * circuit breaker: `up` (it answered, even with a 4xx), `down` (timeouts, network errors, 408,
 * 429, 5xx), `unknown` (nothing was sent).
 */
export type DeliveryVerdict =
  | { kind: 'delivered'; status: number; health: 'up' }
  | { kind: 'retry'; status: number | undefined; response: string | undefined; error: string | undefined; retryAfterMs: number | undefined; health: 'down' }
  | { kind: 'failed'; status: number | undefined; response: string | undefined; error: string | undefined; health: 'up' | 'unknown' };

/** Classifies an attempt; `now` reads an HTTP-date Retry-After. */
export function classifyDelivery(fact: SendFact, now: number): DeliveryVerdict {
  switch (fact.kind) {
    case 'timeout':
    case 'network':
      return { kind: 'retry', status: undefined, response: undefined, error: fact.error, retryAfterMs: undefined, health: 'down' };
    case 'refused':
      return { kind: 'failed', status: undefined, response: undefined, error: fact.error, health: 'unknown' };
    case 'response': {
      const { status, body } = fact;
      if (status >= 200 && status < 300) return { kind: 'delivered', status, health: 'up' };
      if (status === 408 || status === 429 || status >= 500) {
        return { kind: 'retry', status, response: body, error: undefined, retryAfterMs: parseRetryAfter(fact.retryAfter, now), health: 'down' };
      }
      const error = status >= 300 && status < 400 ? `the receiver answered ${status} (a redirect); redirects are not followed, so register the final URL` : undefined;
      return { kind: 'failed', status, response: body, error, health: 'up' };
    }
  }
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 section 10.2.3); `undefined` when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * When to try again after a failed attempt at `now`, or `undefined` to give up: the first retry
 * point after `now`, and not before the receiver's Retry-After, which is capped at the last point's
 * offset so one header cannot park an event for longer than the whole schedule.
 */
export function nextAttemptAt(emittedAt: number, now: number, offsetsMs: readonly number[], retryAfterMs?: number): number | undefined {
  const point = offsetsMs.map((offset) => emittedAt + offset).find((at) => at > now);
  if (point === undefined) return undefined;
  if (retryAfterMs === undefined) return point;
  const cap = offsetsMs[offsetsMs.length - 1] ?? 0;
  return Math.max(point, now + Math.min(retryAfterMs, cap));
}
