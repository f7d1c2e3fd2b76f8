import { describe, expect, it } from 'vitest';
import {
  PROVIDER_ERROR_CLASSES,
  UNAVAILABLE_AFTER_FAILURES,
  isTransientError,
  maskSecret,
  nextStatus,
  type CredentialHealth,
  type CredentialOutcome,
  type ProviderErrorClass,
} from './credentials.js';

const ok: CredentialHealth = { status: 'OK', consecutiveFailures: 0 };
const success: CredentialOutcome = { ok: true };
const failure = (errorClass: ProviderErrorClass): CredentialOutcome => ({ ok: false, errorClass });

/** Runs outcomes in order from `start`, returning every decision. */
function run(start: CredentialHealth, outcomes: CredentialOutcome[], unavailableAfter?: number) {
  const decisions = [];
  let health = start;
  for (const outcome of outcomes) {
    const decision = nextStatus(health, outcome, unavailableAfter === undefined ? {} : { unavailableAfter });
    decisions.push(decision);
    health = decision;
  }
  return decisions;
}

describe('credential status transitions', () => {
  it('a rejected grant sets UNAUTHENTICATED at once and alerts once', () => {
    const [first, second] = run(ok, [failure('auth_revoked'), failure('auth_revoked')]);
    expect(first).toMatchObject({ status: 'UNAUTHENTICATED', changed: true, alert: 'credentialsUnauthenticated', reason: 'grant_rejected' });
    expect(second).toMatchObject({ status: 'UNAUTHENTICATED', changed: false, alert: undefined });
  });

  it('a 401 that survives a refresh also sets UNAUTHENTICATED at once', () => {
    expect(nextStatus(ok, failure('auth_expired'))).toMatchObject({ status: 'UNAUTHENTICATED', alert: 'credentialsUnauthenticated', reason: 'token_rejected_after_refresh' });
  });

  it('a missing scope sets MISSING_PERMISSION with a limited-permission alert', () => {
    expect(nextStatus(ok, failure('forbidden_scope'))).toMatchObject({ status: 'MISSING_PERMISSION', alert: 'credentialsLimitedPermission', reason: 'scope_missing' });
  });

  it('transient failures set TEMPORARILY_UNAVAILABLE only at the threshold, without an alert', () => {
    const decisions = run(ok, Array.from({ length: UNAVAILABLE_AFTER_FAILURES + 1 }, () => failure('retry_later')));
    expect(decisions.slice(0, UNAVAILABLE_AFTER_FAILURES - 1).every((d) => d.status === 'OK' && d.reason === 'transient_failure_below_threshold')).toBe(true);
    expect(decisions[UNAVAILABLE_AFTER_FAILURES - 1]).toMatchObject({ status: 'TEMPORARILY_UNAVAILABLE', changed: true, alert: undefined, consecutiveFailures: UNAVAILABLE_AFTER_FAILURES });
    expect(decisions[UNAVAILABLE_AFTER_FAILURES]).toMatchObject({ status: 'TEMPORARILY_UNAVAILABLE', changed: false, reason: 'still_unavailable' });
  });

  it('rate limits count as transient failures, and the threshold can be configured', () => {
    const [first, second] = run(ok, [failure('rate_limited'), failure('rate_limited')], 2);
    expect(first?.status).toBe('OK');
    expect(second?.status).toBe('TEMPORARILY_UNAVAILABLE');
  });

  it('a success in between resets the count of transient failures', () => {
    const decisions = run(ok, [failure('retry_later'), failure('retry_later'), success, failure('retry_later'), failure('retry_later')]);
    expect(decisions.map((d) => d.status)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    expect(decisions[2]).toMatchObject({ reason: 'still_ok', alert: undefined, consecutiveFailures: 0 });
  });

  it('success after any failure status recovers with an alert', () => {
    for (const status of ['UNAUTHENTICATED', 'MISSING_PERMISSION', 'TEMPORARILY_UNAVAILABLE'] as const) {
      expect(nextStatus({ status, consecutiveFailures: 5 }, success)).toEqual({ status: 'OK', consecutiveFailures: 0, changed: true, alert: 'credentialsRecovered', reason: 'recovered' });
    }
  });

  it('an outage never hides a credential that needs the grower', () => {
    for (const status of ['UNAUTHENTICATED', 'MISSING_PERMISSION'] as const) {
      const decisions = run({ status, consecutiveFailures: 0 }, Array.from({ length: 5 }, () => failure('retry_later')));
      expect(decisions.every((d) => d.status === status && d.alert === undefined)).toBe(true);
    }
  });

  it('a definitive answer during an outage replaces TEMPORARILY_UNAVAILABLE and alerts', () => {
    const down: CredentialHealth = { status: 'TEMPORARILY_UNAVAILABLE', consecutiveFailures: 4 };
    expect(nextStatus(down, failure('auth_revoked'))).toMatchObject({ status: 'UNAUTHENTICATED', consecutiveFailures: 0, alert: 'credentialsUnauthenticated' });
  });

  it('organization, resource and request problems leave the status and the count alone', () => {
    const health: CredentialHealth = { status: 'OK', consecutiveFailures: 2 };
    for (const errorClass of ['org_not_connected', 'not_found', 'permanent'] as const) {
      expect(nextStatus(health, failure(errorClass))).toMatchObject({ status: 'OK', consecutiveFailures: 2, changed: false, alert: undefined });
    }
  });

  it('gives a decision for every error class', () => {
    for (const errorClass of PROVIDER_ERROR_CLASSES) expect(nextStatus(ok, failure(errorClass)).reason).toEqual(expect.any(String));
    expect(PROVIDER_ERROR_CLASSES.filter(isTransientError)).toEqual(['rate_limited', 'retry_later']);
  });
});

describe('masking a secret', () => {
  it('shows only the last four characters of a long secret, and nothing of a short one', () => {
    expect(maskSecret('a-very-long-client-secret-1234')).toBe('****1234');
    expect(maskSecret('short123')).toBe('****');
    expect(maskSecret('')).toBe('****');
  });
});
