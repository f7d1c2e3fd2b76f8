/**
 * Builds the context adapters run in: URLs for the credential's environment (or the sandbox's
 * emulator), and a fetch that records every exchange, redacted, for the credential events log.
 */
import { redactExchange, type Exchange } from './redact-exchange.js';
import type { AdapterContext, Environment, FetchLike, HostUrls } from './provider.js';

/**
 * [I] Bodies longer than this are recorded cut: provider error and token answers are small, and
 * the events log must not hold a machine file.
 */
export const MAX_RECORDED_BODY_BYTES = 64 * 1024;

/** Where a provider call goes: the real host for an environment, or the sandbox. */
export interface BaseUrlTarget {
  providerId: string;
  environment: Environment;
  /** Furrow's own emulator prefix, e.g. `http://127.0.0.1:8080/sandbox`; undefined for real providers. */
  sandboxBaseUrl?: string | undefined;
}

/**
 * The base URL for a host. In the sandbox every host of a provider is served by Furrow under
 * `/sandbox/<provider-id>` with the provider's own paths below it (SPEC section 4, "The sandbox").
 */
export function resolveBaseUrl(urls: HostUrls, target: BaseUrlTarget): string {
  if (target.sandboxBaseUrl !== undefined) {
    const path = urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
    return `${target.sandboxBaseUrl.replace(/\/+$/, '')}/${target.providerId}${path === '/' ? '' : path.replace(/\/+$/, '')}`;
  }
  if (target.environment === 'STAGE') {
    if (urls.STAGE === undefined) {
      throw new Error(`${target.providerId} has no STAGE host for ${urls.PRODUCTION}; expected the adapter to declare one, or the credential to use PRODUCTION`);
    }
    return urls.STAGE;
  }
  return urls.PRODUCTION;
}

export interface AdapterContextOptions extends BaseUrlTarget {
  fetch: FetchLike;
  /** Receives each exchange after redaction. */
  onExchange: (exchange: Exchange) => void;
  /** The credential's secret values, redacted wherever they appear. */
  secretValues?: readonly string[];
  now?: () => number;
}

/** An `AdapterContext` whose `fetch` records every exchange; see the module comment. */
export function createAdapterContext(options: AdapterContextOptions): AdapterContext {
  const now = options.now ?? Date.now;
  const record = (exchange: Exchange) => options.onExchange(redactExchange(exchange, { secretValues: options.secretValues ?? [] }));

  const recordingFetch: FetchLike = async (input, init) => {
    const started = now();
    const requestHeaders = headerRecord(new Headers(init?.headers));
    if (requestHeaders['content-type'] === undefined && init?.body instanceof URLSearchParams) {
      requestHeaders['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    const request: Exchange['request'] = { method: (init?.method ?? 'GET').toUpperCase(), url: String(input), headers: requestHeaders };
    const requestBody = describeRequestBody(init?.body);
    if (requestBody !== undefined) request.body = requestBody;
    let response: Response;
    try {
      response = await options.fetch(input, init);
    } catch (error) {
      record({ startedAt: new Date(started).toISOString(), durationMs: now() - started, request, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    const responseHeaders = headerRecord(response.headers);
    record({
      startedAt: new Date(started).toISOString(),
      durationMs: now() - started,
      request,
      response: { status: response.status, headers: responseHeaders, body: await recordableBody(response, responseHeaders) },
    });
    return response;
  };

  return {
    environment: options.environment,
    baseUrl: (urls) => resolveBaseUrl(urls, options),
    fetch: recordingFetch,
    onExchange: record,
    now,
  };
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name.toLowerCase()] = value;
  });
  return record;
}

function describeRequestBody(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body.length > MAX_RECORDED_BODY_BYTES ? `${body.slice(0, MAX_RECORDED_BODY_BYTES)}[cut at ${MAX_RECORDED_BODY_BYTES} bytes]` : body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return `[binary body, ${body.byteLength} bytes]`;
  return '[streamed body, not recorded]';
}

const TEXTUAL = /json|xml|text\/|x-www-form-urlencoded|graphql/i;

/**
 * The answer's body as text for the log, read from a clone so the adapter still gets the whole
 * stream; binary bodies (machine files) are described, never read, and text stops at the limit.
 */
async function recordableBody(response: Response, headers: Record<string, string>): Promise<string> {
  const type = headers['content-type'] ?? '';
  if (response.body === null) return '';
  if (type !== '' && !TEXTUAL.test(type)) return `[${type} body, ${headers['content-length'] ?? 'unknown'} bytes, not recorded]`;
  const reader = response.clone().body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_RECORDED_BODY_BYTES) {
      // Not awaited: a tee branch's cancel settles only once the other branch (the adapter's) is
      // done too (WHATWG Streams, ReadableStreamTee).
      reader.cancel().catch(() => undefined);
      return `${Buffer.concat(chunks).subarray(0, MAX_RECORDED_BODY_BYTES).toString('utf8')}[cut at ${MAX_RECORDED_BODY_BYTES} bytes]`;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
