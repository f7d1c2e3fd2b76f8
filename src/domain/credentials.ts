/**
 * Provider credentials: the status a credential shows, the classes every provider error is
 * normalized into, the token set an adapter hands back, and the pure rule that moves a credential
 * between statuses and decides which alert goes out (SPEC section 5).
 */

/**
 * Leaf's credential statuses. The only list Leaf ever published is from a short-lived JD status
 * endpoint (leaf-api.md 3.1, legacy-docs commits e4763c3 / 92f997a); Furrow uses it for every provider.
 */
export const CREDENTIAL_STATUSES = ['OK', 'UNAUTHENTICATED', 'MISSING_PERMISSION', 'TEMPORARILY_UNAVAILABLE'] as const;
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];

/**
 * What went wrong in a call to a provider, whatever its wire format (providers.md 0.3):
 * - `auth_expired`: 401 on the data API; refresh once and retry.
 * - `auth_revoked`: the token endpoint refused the grant (`invalid_grant`, 401, Cognito
 *   `NotAuthorizedException`, Slingshot access key inactive).
 * - `forbidden_scope`: 403 with a valid token; a scope is missing.
 * - `org_not_connected`: 403 on one organization the grower has not connected (John Deere).
 * - `rate_limited`: 429, maybe with `Retry-After`.
 * - `retry_later`: 5xx, 503 + `Retry-After`, timeouts, "still preparing" answers.
 * - `not_found`: the resource is gone.
 * - `permanent`: any other refusal; retrying the same request will not help.
 */
export const PROVIDER_ERROR_CLASSES = [
  'auth_expired',
  'auth_revoked',
  'forbidden_scope',
  'org_not_connected',
  'rate_limited',
  'retry_later',
  'not_found',
  'permanent',
] as const;
export type ProviderErrorClass = (typeof PROVIDER_ERROR_CLASSES)[number];

/** The error classes that say the provider could not answer now, and nothing about the grant. */
export const TRANSIENT_ERROR_CLASSES: readonly ProviderErrorClass[] = ['rate_limited', 'retry_later'];

/** True when a later attempt of the same call may succeed without anyone changing anything. */
export function isTransientError(errorClass: ProviderErrorClass): boolean {
  return TRANSIENT_ERROR_CLASSES.includes(errorClass);
}

/**
 * Tokens a provider issued, normalized. `refreshToken` is present only when the provider returned
 * one: Climate rotates it on every refresh and Trimble's is single-use (providers.md 0.2), so a
 * returned refresh token must be stored before anything uses it.
 */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  /** ISO-8601 UTC, from `expires_in` (or the provider's equivalent) at the time of the answer. */
  expiresAt?: string;
  /** Scopes the provider says it granted; shown on GET as `tokenMetadata.scopes`. */
  scopes?: string[];
  /** The provider's payload as received (Climate returns a `user`, Cognito an `IdToken`); never shown. */
  raw?: unknown;
}

/** The alerts a credential's status change sends; Leaf documents the first two, SPEC section 3 adds the third. */
export type CredentialAlert = 'credentialsUnauthenticated' | 'credentialsLimitedPermission' | 'credentialsRecovered';

/** What the status rule remembers between attempts. */
export interface CredentialHealth {
  status: CredentialStatus;
  /** Transient failures in a row since the last answer that settled the status. */
  consecutiveFailures: number;
}

/** How one attempt to use a credential (validate, refresh or an API call) ended. */
export type CredentialOutcome = { ok: true } | { ok: false; errorClass: ProviderErrorClass };

export type StatusReason =
  | 'still_ok'
  | 'recovered'
  | 'grant_rejected'
  | 'token_rejected_after_refresh'
  | 'scope_missing'
  | 'transient_failure_below_threshold'
  | 'transient_failures_reached_threshold'
  | 'still_unavailable'
  | 'needs_the_grower_not_a_retry'
  | 'organization_level_problem'
  | 'resource_level_problem'
  | 'not_a_credential_problem';

/** The rule's answer: the new health, the alert to send (only on a transition) and why. */
export interface StatusDecision extends CredentialHealth {
  changed: boolean;
  alert: CredentialAlert | undefined;
  reason: StatusReason;
}

/**
 * Transient failures in a row before a credential shows TEMPORARILY_UNAVAILABLE. [I] SPEC section 5
 * says "only after repeated failure" without a number; three rides out one blip and one retry.
 */
export const UNAVAILABLE_AFTER_FAILURES = 3;

/**
 * The status a credential moves to after one attempt, and the alert that goes out.
 *
 * - A rejected grant (`auth_revoked`, or `auth_expired` reported after the caller already
 *   refreshed once) sets UNAUTHENTICATED at once: SPEC section 5, "invalid_grant or 401".
 * - A missing scope sets MISSING_PERMISSION (`credentialsLimitedPermission`).
 * - Rate limits, 5xx and timeouts set TEMPORARILY_UNAVAILABLE only after `unavailableAfter`
 *   failures in a row, and never mask UNAUTHENTICATED or MISSING_PERMISSION: those need the
 *   grower, and a provider outage does not change that.
 * - Success after any failure status sets OK and sends `credentialsRecovered`.
 * - `org_not_connected`, `not_found` and `permanent` say nothing about the credential as a whole
 *   (one organization, one resource, one bad request), so the status and the count stay. [I]
 *
 * Alerts go out only when the status changes, so a credential failing every hour alerts once.
 */
export function nextStatus(
  current: CredentialHealth,
  outcome: CredentialOutcome,
  options: { unavailableAfter?: number } = {},
): StatusDecision {
  const unavailableAfter = options.unavailableAfter ?? UNAVAILABLE_AFTER_FAILURES;
  const decide = (status: CredentialStatus, consecutiveFailures: number, reason: StatusReason, alert?: CredentialAlert): StatusDecision => {
    const changed = status !== current.status;
    return { status, consecutiveFailures, changed, alert: changed ? alert : undefined, reason };
  };

  if (outcome.ok) {
    return current.status === 'OK' ? decide('OK', 0, 'still_ok') : decide('OK', 0, 'recovered', 'credentialsRecovered');
  }
  switch (outcome.errorClass) {
    case 'auth_revoked':
      return decide('UNAUTHENTICATED', 0, 'grant_rejected', 'credentialsUnauthenticated');
    case 'auth_expired':
      return decide('UNAUTHENTICATED', 0, 'token_rejected_after_refresh', 'credentialsUnauthenticated');
    case 'forbidden_scope':
      return decide('MISSING_PERMISSION', 0, 'scope_missing', 'credentialsLimitedPermission');
    case 'rate_limited':
    case 'retry_later': {
      const failures = current.consecutiveFailures + 1;
      if (current.status === 'UNAUTHENTICATED' || current.status === 'MISSING_PERMISSION') {
        return decide(current.status, failures, 'needs_the_grower_not_a_retry');
      }
      if (current.status === 'TEMPORARILY_UNAVAILABLE') return decide(current.status, failures, 'still_unavailable');
      if (failures < unavailableAfter) return decide(current.status, failures, 'transient_failure_below_threshold');
      // No alert: Leaf has no event for an outage, and SPEC section 5 names none.
      return decide('TEMPORARILY_UNAVAILABLE', failures, 'transient_failures_reached_threshold');
    }
    case 'org_not_connected':
      return decide(current.status, current.consecutiveFailures, 'organization_level_problem');
    case 'not_found':
      return decide(current.status, current.consecutiveFailures, 'resource_level_problem');
    case 'permanent':
      return decide(current.status, current.consecutiveFailures, 'not_a_credential_problem');
  }
}

/**
 * A secret as GET shows it: the last four characters behind asterisks (SPEC section 3). [I] A
 * value of eight characters or fewer shows nothing, so a short secret never shows half of itself.
 */
export function maskSecret(value: string): string {
  return value.length <= 8 ? '****' : `****${value.slice(-4)}`;
}
