/**
 * The error classes of plain OAuth 2.0 and HTTP, which most adapters start from and then refine
 * with their provider's quirks (a GraphQL `errors` array, Slingshot's `MORE_TIME_NEEDED`, a John
 * Deere 403 on an unconnected organization).
 */
import type { ErrorClassification, HttpResult } from './provider.js';

// RFC 6749 section 5.2: the grant or the client is no good; only the grower or the developer can fix it.
const GRANT_REFUSED = ['invalid_grant', 'invalid_client', 'unauthorized_client'];

/**
 * The class of an answer by RFC 6749 and HTTP status alone, or `undefined` for a 1xx-3xx answer.
 * A 401 or an `invalid_grant` from the token endpoint revokes at once (SPEC section 5); a 401 from
 * the data API only means the access token expired.
 */
export function classifyHttpError(result: HttpResult, now: number = Date.now()): ErrorClassification | undefined {
  const { status } = result;
  if (status < 400) return undefined;
  const oauthError = oauthErrorCode(result.body);
  const described = `${result.purpose === 'token' ? 'token endpoint' : 'API'} answered ${status}${oauthError === undefined ? '' : ` ${oauthError}`}`;
  if (status === 429) return withRetryAfter({ errorClass: 'rate_limited', reason: described }, result, now);
  if (status >= 500 || status === 408 || status === 425) return withRetryAfter({ errorClass: 'retry_later', reason: described }, result, now);
  if (result.purpose === 'token') {
    if (oauthError === 'invalid_scope') return { errorClass: 'forbidden_scope', reason: described };
    if (status === 401 || (oauthError !== undefined && GRANT_REFUSED.includes(oauthError))) return { errorClass: 'auth_revoked', reason: described };
    return { errorClass: 'permanent', reason: described };
  }
  if (status === 401) return { errorClass: 'auth_expired', reason: described };
  if (status === 403) return { errorClass: 'forbidden_scope', reason: described };
  if (status === 404 || status === 410) return { errorClass: 'not_found', reason: described };
  return { errorClass: 'permanent', reason: described };
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 section 10.2.3);
 * `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function withRetryAfter(classification: ErrorClassification, result: HttpResult, now: number): ErrorClassification {
  const retryAfterMs = parseRetryAfter(result.headers['retry-after'], now);
  return retryAfterMs === undefined ? classification : { ...classification, retryAfterMs };
}

function oauthErrorCode(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && typeof (parsed as { error?: unknown }).error === 'string') return (parsed as { error: string }).error;
  } catch {
    // not JSON: no OAuth error code
  }
  return undefined;
}
