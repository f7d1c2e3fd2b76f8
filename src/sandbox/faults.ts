/**
 * Injected faults of a sandbox account (SPEC section 4): what each one does to a call, decided
 * here as a pure function of the account's fault state, the call's kind, the clock and a seeded
 * draw, so the wrapper every emulator route goes through only carries the decision out.
 */
import type { EmulatedCallKind, InjectedFault } from '../providers/provider-emulator.js';

/** The faults a developer sets with `POST /sandbox/api/accounts/{id}/faults`. */
export interface SandboxFaults {
  /** Revoke every grant so far: the next refresh answers `invalid_grant`. Acts once, when posted. */
  revoke?: boolean;
  /** Take a scope away: `true` for the provider's essential one, or the scope's name. */
  limitedPermission?: boolean | string;
  /** The share of token and API calls answered 5xx, from 0 to 1. */
  errorRate?: number;
  /** API calls admitted per sliding minute; more are answered 429 with `Retry-After`. */
  rateLimitPerMinute?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  /** Drop every connection for this many seconds from now. */
  downForSeconds?: number;
}

/** An account's faults as set, plus what the clock and the rate window need. */
export interface FaultState {
  settings: SandboxFaults;
  /** Epoch ms until which the provider is down. */
  downUntil: number | undefined;
  /** Times of the API calls admitted in the last minute, oldest first. */
  admitted: number[];
}

/** What happens to one call. */
export type FaultDecision =
  /** Close the connection without an answer. */
  | { action: 'drop' }
  /** Answer with the injected fault after `delayMs`. */
  | { action: 'answer'; fault: InjectedFault; delayMs: number }
  /** Let the emulator answer after `delayMs`. */
  | { action: 'pass'; delayMs: number };

const MINUTE_MS = 60_000;
/** [I] Retry-After on an injected 5xx: a second, long enough for a client to show it honours the header. */
const SERVER_ERROR_RETRY_AFTER_SECONDS = 1;

/** A fresh state with no faults. */
export function noFaults(): FaultState {
  return { settings: {}, downUntil: undefined, admitted: [] };
}

/** The state after a developer posts `settings` at `now`: the faults are replaced as a whole. */
export function setFaults(state: FaultState, settings: SandboxFaults, now: number): FaultState {
  const downUntil = settings.downForSeconds !== undefined && settings.downForSeconds > 0 ? now + settings.downForSeconds * 1000 : undefined;
  return { settings: { ...settings }, downUntil, admitted: state.admitted };
}

/** The scope a `limitedPermission` fault takes away, given the provider's essential scope. */
export function droppedScopeOf(settings: SandboxFaults, essentialScope: string): string | undefined {
  if (typeof settings.limitedPermission === 'string') return settings.limitedPermission;
  return settings.limitedPermission === true ? essentialScope : undefined;
}

/** The faults as the control API shows them: `downForSeconds` as the time left, absent once up again. */
export function describeFaults(state: FaultState, now: number): SandboxFaults {
  const { downForSeconds: _given, ...rest } = state.settings;
  return state.downUntil !== undefined && state.downUntil > now ? { ...rest, downForSeconds: Math.ceil((state.downUntil - now) / 1000) } : rest;
}

/**
 * What a call meets. Down drops every kind of call; latency slows every kind; the rate limit
 * counts API calls only ([I] providers publish rate limits for their data APIs: Climate's usage
 * plan per API key, Deere's 429s, providers.md 0.2); the error rate hits token and API calls, never
 * the pages a browser opens. `state.admitted` is updated in place.
 */
export function decideFault(state: FaultState, kind: EmulatedCallKind, now: number, draw: () => number): FaultDecision {
  const { settings } = state;
  if (state.downUntil !== undefined && state.downUntil > now) return { action: 'drop' };
  const delayMs = settings.latencyMs ?? 0;
  if (kind === 'page') return { action: 'pass', delayMs };

  if (kind === 'api') {
    // Every admitted call is remembered for a minute, so a limit set now counts the calls before it.
    while (state.admitted.length > 0 && state.admitted[0]! <= now - MINUTE_MS) state.admitted.shift();
    if (settings.rateLimitPerMinute !== undefined && state.admitted.length >= settings.rateLimitPerMinute) {
      const oldest = state.admitted[0] ?? now;
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + MINUTE_MS - now) / 1000));
      return { action: 'answer', fault: { fault: 'rate_limited', kind, retryAfterSeconds }, delayMs };
    }
    state.admitted.push(now);
  }
  if (settings.errorRate !== undefined && settings.errorRate > 0 && draw() < settings.errorRate) {
    return { action: 'answer', fault: { fault: 'server_error', kind, retryAfterSeconds: SERVER_ERROR_RETRY_AFTER_SECONDS }, delayMs };
  }
  return { action: 'pass', delayMs };
}
