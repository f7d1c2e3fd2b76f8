import type { ProviderErrorClass, TokenSet } from '../domain/index.js';
import type { ErrorClassification } from './provider.js';

/**
 * What an adapter throws when a provider call fails: the normalized class (providers.md 0.3) and
 * the provider's own reason. Services turn it into a status (`nextStatus`) or a retry; the HTTP
 * edge turns it into `credentials_invalid` with `reason` when a POST is refused.
 */
export class ProviderError extends Error {
  readonly errorClass: ProviderErrorClass;
  readonly reason: string;
  /** The HTTP status, when there was an answer. */
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /**
   * Tokens the provider issued before the call that failed, e.g. a validation whose refresh
   * succeeded and whose data call did not. A rotated refresh token is the grant's only live one
   * (Trimble's are single use, providers.md 5.1), so the caller stores these even on failure.
   * Not enumerable, so an error logged or serialized with its properties never writes them out.
   */
  declare readonly tokens: TokenSet | undefined;

  constructor(classification: ErrorClassification & { status?: number }, options: { cause?: unknown; tokens?: TokenSet } = {}) {
    super(`${classification.errorClass}: ${classification.reason}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.errorClass = classification.errorClass;
    this.reason = classification.reason;
    this.status = classification.status;
    this.retryAfterMs = classification.retryAfterMs;
    Object.defineProperty(this, 'tokens', { value: options.tokens, enumerable: false });
  }

  /** No answer at all (timeout, DNS, connection refused): the provider may be back later. */
  static unreachable(cause: unknown): ProviderError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new ProviderError({ errorClass: 'retry_later', reason: `no answer from the provider (${detail})` }, { cause });
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
