/**
 * Climate FieldView on the wire: the token endpoint with rotating refresh tokens, `X-Api-Key` on
 * every platform call, header paging (`X-Limit`, `X-Next-Token`; 206 more, 200 last, 304 none),
 * and how Climate's answers map to error classes. The only file that knows Climate's URLs.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { refreshTokenGrant, type OAuthClientSettings } from '../oauth2-token-requests.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/** Climate's hosts (providers.md 3.1 and 3.2); one environment, no sandbox host. */
export const CLIMATE_HOSTS = {
  /** The browser login: `https://climate.com/static/app-login/index.html?...&page=oidcauthn`. */
  login: { PRODUCTION: 'https://climate.com/static/app-login' },
  /** `POST https://api.climate.com/api/oauth/token`. */
  token: { PRODUCTION: 'https://api.climate.com/api/oauth' },
  /** The platform API (`/v4/fields`, `/v4/layers/...`). */
  platform: { PRODUCTION: 'https://platform.climate.com' },
} as const satisfies Record<string, HostUrls>;

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface ClimateFieldViewCredentialFields {
  clientId: string;
  clientSecret: string;
  apiKey: string;
  refreshToken: string;
}

/** What every platform call needs: the grower's access token and the partner's API key. */
export interface ClimateApiAuth {
  accessToken: string;
  apiKey: string;
}

/** One page of a `results` list. */
export interface ClimateResultsPage {
  results: Record<string, unknown>[];
  /**
   * The token for the next page, or, after the last one, for changes since ("Can be used to poll
   * for changes", providers.md 3.2). Unchanged after a 304.
   */
  nextToken: string | undefined;
  /** 206: more results wait behind `nextToken`. */
  more: boolean;
}

/** `X-Limit` is "1-100, default 100" (providers.md 3.2). */
export const MAX_PAGE_SIZE = 100;
/** [I] A stop for 206 answers that never end. */
const MAX_PAGES = 10_000;

/** The refresh token to use: the latest one Climate returned, else the one posted. */
function currentRefreshToken(credential: ProviderCredential<ClimateFieldViewCredentialFields>): string {
  return credential.tokens?.refreshToken ?? credential.fields.refreshToken;
}

export function oauthSettings(ctx: AdapterContext, fields: ClimateFieldViewCredentialFields): OAuthClientSettings {
  const base = ctx.baseUrl(CLIMATE_HOSTS.token);
  // No discovery document is published; the issuer is only the library's name for the server.
  return { server: { issuer: base, token_endpoint: `${base}/token` }, clientId: fields.clientId, clientSecret: fields.clientSecret };
}

/**
 * The `refresh_token` grant (providers.md 3.1: form body, HTTP Basic). Every refresh returns a new
 * refresh token and the one sent dies an hour later, so the new one is always in the token set
 * and the caller must store it before anything else uses it.
 */
export async function refreshClimateTokens(credential: ProviderCredential<ClimateFieldViewCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  const tokens = await refreshTokenGrant(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), classifyClimateError);
  if (tokens.refreshToken === undefined) {
    // The old token now dies within the hour; a retry inside that hour gets an answer with one.
    throw new ProviderError({ errorClass: 'retry_later', reason: 'Climate answered a refresh without a new refresh_token; the one sent expires within the hour' });
  }
  return tokens;
}

/** The browser login URL for the authorization-code step (providers.md 3.1). */
export function climateAuthorizeUrl(ctx: AdapterContext, request: { clientId: string; redirectUri: string; scopes: readonly string[]; state: string }): string {
  const url = new URL(`${ctx.baseUrl(CLIMATE_HOSTS.login)}/index.html`);
  url.search = new URLSearchParams({ scope: request.scopes.join(' '), page: 'oidcauthn', response_type: 'code', client_id: request.clientId, redirect_uri: request.redirectUri, state: request.state }).toString();
  return url.toString();
}

/** One page of a `results` list such as `/v4/fields` (providers.md 3.2 header paging). */
export async function fetchResultsPage(ctx: AdapterContext, auth: ClimateApiAuth, path: string, options: { limit?: number; nextToken?: string | undefined } = {}): Promise<ClimateResultsPage> {
  const headers: Record<string, string> = {
    Authorization: `Bearer ${auth.accessToken}`,
    'X-Api-Key': auth.apiKey,
    Accept: 'application/json',
    'X-Limit': String(Math.min(MAX_PAGE_SIZE, Math.max(1, options.limit ?? MAX_PAGE_SIZE))),
  };
  if (options.nextToken !== undefined) headers['X-Next-Token'] = options.nextToken;
  const url = `${ctx.baseUrl(CLIMATE_HOSTS.platform)}${path}`;
  const response = await callProvider(ctx, url, { headers });
  if (response.status === 304) return { results: [], nextToken: options.nextToken, more: false };
  if (response.status !== 200 && response.status !== 206) throw await providerErrorOf(response, 'api', classifyClimateError);
  const nextToken = response.headers.get('x-next-token') ?? undefined;
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw new ProviderError({ errorClass: 'permanent', reason: `expected { results: [...] } from ${url}`, status: response.status });
  if (response.status === 206 && nextToken === undefined) throw new ProviderError({ errorClass: 'permanent', reason: `Climate answered 206 from ${url} without X-Next-Token`, status: 206 });
  return { results: results as Record<string, unknown>[], nextToken: nextToken ?? options.nextToken, more: response.status === 206 };
}

/** Every result of a list, all pages, and the token to poll for changes after them. */
export async function listAllResults(ctx: AdapterContext, auth: ClimateApiAuth, path: string, options: { pageSize?: number; since?: string | undefined } = {}): Promise<{ results: Record<string, unknown>[]; nextToken: string | undefined }> {
  const results: Record<string, unknown>[] = [];
  let nextToken = options.since;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await fetchResultsPage(ctx, auth, path, { limit: options.pageSize ?? MAX_PAGE_SIZE, nextToken });
    results.push(...page.results);
    nextToken = page.nextToken;
    if (!page.more) return { results, nextToken };
  }
  throw new ProviderError({ errorClass: 'permanent', reason: `Climate kept answering 206 for ${path} past ${MAX_PAGES} pages` });
}

/** The grower's fields (`GET /v4/fields`), all pages. */
export async function listFields(ctx: AdapterContext, auth: ClimateApiAuth, options: { pageSize?: number; since?: string | undefined } = {}) {
  return listAllResults(ctx, auth, '/v4/fields', options);
}

/**
 * Climate's answers as error classes (providers.md 0.3 and 3.2):
 * - token endpoint `invalid_grant` or 401: `auth_revoked` (a rotated token presented after its hour);
 * - API 401: `auth_expired`;
 * - API 403 `{"message":"Forbidden"}`: the gateway refused the `X-Api-Key` ([I] the 429 bodies are
 *   AWS API Gateway's usage-plan messages, and this is its answer to a missing or unknown key), so
 *   `auth_revoked`: only the developer can fix it; any other 403 ("Permission error") `forbidden_scope`;
 * - 429 `rate_limited` with `Retry-After` when sent; "Limit Exceeded" is the monthly quota;
 * - 503 "Server Busy" and other 5xx: `retry_later` with `Retry-After`;
 * - 409: the `X-Next-Token` expired; paging must start over (`permanent` for this request).
 */
export function classifyClimateError(result: HttpResult): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  const message = climateMessage(result.body);
  const reason = message === undefined ? base.reason : `${base.reason}: ${message}`;
  if (result.purpose === 'api' && result.status === 403) {
    if (message === 'Forbidden') return { errorClass: 'auth_revoked', reason: `${reason} (the X-Api-Key was missing or not accepted)` };
    return { errorClass: 'forbidden_scope', reason };
  }
  if (result.status === 429 && message === 'Limit Exceeded') return { ...base, reason: `${reason} (the API key's monthly quota is used up)` };
  if (result.purpose === 'api' && result.status === 409) return { errorClass: 'permanent', reason: `${reason} (the X-Next-Token expired; list again from the start)` };
  return { ...base, reason };
}

/** The Climate FieldView adapter. */
export const climateFieldViewAdapter: ProviderAdapter<ClimateFieldViewCredentialFields> = {
  async validate(credential, ctx) {
    const tokens = await refreshClimateTokens(credential, ctx);
    // One field is enough to show that the token, the API key and `fields:read` all work.
    await fetchResultsPage(ctx, { accessToken: tokens.accessToken, apiKey: credential.fields.apiKey }, '/v4/fields', { limit: 1 });
    return tokens;
  },
  refresh: refreshClimateTokens,
  classifyError: classifyClimateError,
};

/** Climate's message: `{"error": {"message"}}` (providers.md 3.2), the gateway's `{"message"}`, or OAuth's `error_description`. */
function climateMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const object = parsed as { error?: unknown; message?: unknown; error_description?: unknown };
  const nested = object.error !== null && typeof object.error === 'object' ? (object.error as { message?: unknown }).message : undefined;
  const message = [nested, object.message, object.error_description].find((m): m is string => typeof m === 'string');
  return message?.slice(0, 300);
}
