/**
 * Calls to a provider's data API as every adapter makes them: through the recording fetch, with a
 * timeout, and with "no answer" and "a failed answer" turned into `ProviderError`s of one class.
 */
import { ProviderError } from './provider-error.js';
import type { AdapterContext, ErrorClassification, HttpResult } from './provider.js';

/**
 * [I] How long one provider call may take before it counts as no answer. No provider publishes a
 * number; half a minute outlasts Deere's and Climate's slow list pages without holding a refresh
 * lock for long.
 */
export const PROVIDER_CALL_TIMEOUT_MS = 30_000;

/** `ctx.fetch` with the timeout; throws `ProviderError.unreachable` (retry_later) when no answer comes. */
export async function callProvider(ctx: AdapterContext, url: string, init: RequestInit = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(PROVIDER_CALL_TIMEOUT_MS);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  try {
    return await ctx.fetch(url, { ...init, signal });
  } catch (error) {
    throw ProviderError.unreachable(error);
  }
}

/** An answer as `HttpResult`, its body read as text. */
export async function httpResultOf(response: Response, purpose: HttpResult['purpose']): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  let body = '';
  try {
    body = await response.text();
  } catch {
    // the connection broke mid-body: classify by status and headers alone
  }
  return { purpose, status: response.status, headers, body };
}

/** The `ProviderError` for a failed answer, classified by the adapter (`permanent` when it has no class for it). */
export async function providerErrorOf(response: Response, purpose: HttpResult['purpose'], classify: (result: HttpResult) => ErrorClassification | undefined): Promise<ProviderError> {
  const result = await httpResultOf(response, purpose);
  const classification = classify(result) ?? { errorClass: 'permanent' as const, reason: `${purpose === 'token' ? 'token endpoint' : 'API'} answered ${result.status}` };
  return new ProviderError({ ...classification, status: result.status });
}
