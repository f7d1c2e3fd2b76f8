/**
 * A circuit breaker per receiver origin (`scheme://host:port`), so one dead receiver costs the
 * workers at most one call at a time and then none for a while, instead of a worker slot per
 * webhook for the whole 10 s timeout. After Nango's per-endpoint breaker (anchors.md D: 5 failures
 * → open), kept in each process's memory [I]: it protects this process's workers, which is what a
 * slow receiver would tie up; a process that has not met the receiver yet learns in a few calls.
 *
 * - closed: up to `maxInFlight` calls at once to a receiver that answered within the last
 *   `provenForMs`. Any other receiver gets one call at a time: one not heard from yet, one whose
 *   last call failed, and one with a call running for longer than `slowCallMs`. So a receiver that
 *   hangs holds one worker, not all of them, from the very first call.
 * - open, after `failureThreshold` failures in a row: no calls until `openMs` has passed.
 * - half-open, then: one probe call; success closes the circuit, failure opens it again.
 *
 * A refusal is not a failed attempt: the caller puts the delivery off until `retryAt`, and its
 * retry schedule does not move.
 */

export interface CircuitBreakerOptions {
  failureThreshold: number;
  openMs: number;
  maxInFlight: number;
  slowCallMs: number;
  /** How long a call refused for being one too many waits before asking again. */
  busyRetryMs: number;
  /** How long a receiver's last success lets it take `maxInFlight` calls at once. */
  provenForMs: number;
  now?: () => number;
}

/** `up`: the receiver answered; `down`: timeout, network error, 408, 429 or 5xx; `unknown`: nothing learnt. */
export type ReceiverHealth = 'up' | 'down' | 'unknown';

export type Admission =
  | { admitted: true; release(health: ReceiverHealth): void }
  | { admitted: false; retryAt: number; reason: string };

interface CircuitState {
  consecutiveFailures: number;
  /** 0 when closed; otherwise when the open period ends (half-open from then). */
  openUntil: number;
  probing: boolean;
  /** When the receiver last answered; 0 if never. */
  lastUpAt: number;
  /** When anything last happened, for forgetting idle receivers. */
  touchedAt: number;
  /** Start times of the calls in flight, by ticket. */
  inFlight: Map<number, number>;
}

export const DEFAULT_CIRCUIT_BREAKER: Omit<CircuitBreakerOptions, 'openMs' | 'now'> = {
  failureThreshold: 5,
  maxInFlight: 16,
  slowCallMs: 1000,
  busyRetryMs: 250,
  provenForMs: 60_000,
};

/** Receivers remembered at most; idle ones are forgotten first. */
const MAX_CIRCUITS = 10_000;

export class CircuitBreakers {
  private readonly circuits = new Map<string, CircuitState>();
  private readonly now: () => number;
  private tickets = 0;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Asks to call the receiver at `key`; an admitted caller must `release` with what it learnt. */
  admit(key: string): Admission {
    const now = this.now();
    const state = this.circuits.get(key) ?? { consecutiveFailures: 0, openUntil: 0, probing: false, lastUpAt: 0, touchedAt: now, inFlight: new Map<number, number>() };
    state.touchedAt = now;
    if (state.openUntil > now) {
      return { admitted: false, retryAt: state.openUntil, reason: `the circuit for ${key} is open after ${state.consecutiveFailures} failed calls in a row` };
    }
    const halfOpen = state.openUntil !== 0;
    if (halfOpen && state.probing) {
      return { admitted: false, retryAt: now + this.options.busyRetryMs, reason: `a probe call to ${key} is under way` };
    }
    let slow = false;
    for (const started of state.inFlight.values()) if (now - started > this.options.slowCallMs) slow = true;
    const proven = state.lastUpAt !== 0 && now - state.lastUpAt <= this.options.provenForMs;
    const limit = halfOpen || !proven || state.consecutiveFailures > 0 || slow ? 1 : this.options.maxInFlight;
    if (state.inFlight.size >= limit) {
      return { admitted: false, retryAt: now + this.options.busyRetryMs, reason: `${key} already has ${state.inFlight.size} call(s) in flight${limit === 1 ? ' and has not answered lately, is failing or is slow' : ''}` };
    }
    const ticket = ++this.tickets;
    state.inFlight.set(ticket, now);
    if (halfOpen) state.probing = true;
    if (!this.circuits.has(key)) {
      if (this.circuits.size >= MAX_CIRCUITS) this.forgetIdle(now);
      this.circuits.set(key, state);
    }
    let released = false;
    return {
      admitted: true,
      release: (health) => {
        if (released) return;
        released = true;
        this.release(state, ticket, halfOpen, health);
      },
    };
  }

  /** The circuit's state, for tests and diagnostics. */
  describe(key: string): { state: 'closed' | 'open' | 'half-open'; consecutiveFailures: number; inFlight: number } {
    const s = this.circuits.get(key);
    if (s === undefined) return { state: 'closed', consecutiveFailures: 0, inFlight: 0 };
    const state = s.openUntil === 0 ? 'closed' : s.openUntil > this.now() ? 'open' : 'half-open';
    return { state, consecutiveFailures: s.consecutiveFailures, inFlight: s.inFlight.size };
  }

  private release(state: CircuitState, ticket: number, probe: boolean, health: ReceiverHealth): void {
    state.inFlight.delete(ticket);
    if (probe) state.probing = false;
    const now = this.now();
    state.touchedAt = now;
    if (health === 'up') {
      state.consecutiveFailures = 0;
      state.openUntil = 0;
      state.lastUpAt = now;
    } else if (health === 'down') {
      state.consecutiveFailures += 1;
      if (probe || state.consecutiveFailures >= this.options.failureThreshold) state.openUntil = now + this.options.openMs;
    }
  }

  /** Forgets receivers with nothing in flight and nothing recent, oldest first, down to 90% of the bound. */
  private forgetIdle(now: number): void {
    const idle = [...this.circuits.entries()].filter(([, s]) => s.inFlight.size === 0 && s.openUntil <= now).sort((a, b) => a[1].touchedAt - b[1].touchedAt);
    for (const [key] of idle.slice(0, Math.max(1, this.circuits.size - Math.floor(MAX_CIRCUITS * 0.9)))) this.circuits.delete(key);
  }
}
