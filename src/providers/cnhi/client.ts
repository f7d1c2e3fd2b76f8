/**
 * CNH Industrial (AFS Connect) on the wire: the Auth0 tenant at identity.cnhind.com (authorize with
 * `audience` and `connection`, token and revocation with the client secret in the body), the API
 * gateway that wants `Ocp-Apim-Subscription-Key` on every data call, JSON:API bodies, and how
 * CNH's answers map to error classes. The only file that knows CNH's URLs.
 */
import * as oauth from 'oauth4webapi';
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError, parseRetryAfter } from '../classify-http-error.js';
import { refreshTokenGrant, revokeToken, type OAuthClientSettings } from '../oauth2-token-requests.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, Environment, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/**
 * CNH's hosts (providers.md 4.1 and 4.2). Production identity is verbatim from CNH's well-known
 * document; the staging identity host is [3P] (two community clients disagree:
 * `stg.identity.cnhind.com` and `stg-identity.cnhind.com`; the first is used). The legacy API
 * host `ag.api.cnhind.com` is [S] (Leaf's prescriptions page); its staging host is not published
 * and is [I]. Both hosts serve from their root, so the sandbox puts each under a path of its own.
 */
export const CNHI_HOSTS = {
  identity: { PRODUCTION: 'https://identity.cnhind.com', STAGE: 'https://stg.identity.cnhind.com', sandboxPath: '/identity' },
  api: { PRODUCTION: 'https://ag.api.cnhind.com', STAGE: 'https://stg.ag.api.cnhind.com', sandboxPath: '/ag-api' },
} as const satisfies Record<string, HostUrls>;

/**
 * The extra authorize parameters of CNH's Auth0 tenant (providers.md 4.1): the API as `audience`
 * and the enterprise `connection`. Production values are verbatim from CNH's authorize URL; the
 * staging ones are [3P].
 */
export const CNHI_AUTHORIZE_PARAMETERS: Record<Environment, { audience: string; connection: string }> = {
  PRODUCTION: { audience: 'https://ag.api.cnhind.com', connection: 'PROD-ADFS-CONN' },
  STAGE: { audience: 'https://stg.api.cnhind.com', connection: 'STG-ADFS-CONN' },
};

/** The API gateway's key header (providers.md 4.2 [3P], Azure API Management's name for it). */
export const SUBSCRIPTION_KEY_HEADER = 'Ocp-Apim-Subscription-Key';

/** "Leverages the JSON API standard" (providers.md 4.2): JSON:API's media type. */
export const JSON_API_MEDIA_TYPE = 'application/vnd.api+json';

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface CnhiCredentialFields {
  clientId: string;
  clientSecret: string;
  subscriptionKey: string;
  refreshToken: string;
  clientEnvironment: Environment;
}

/** What every data call needs: the grower's access token and the developer's subscription key. */
export interface CnhiApiAuth {
  accessToken: string;
  subscriptionKey: string;
}

/** The grower's profile (`GET /v2/myUserProfile`); `companyId` is "the id of the organization at CNHi" (providers.md 4.2). */
export interface CnhiUserProfile {
  id: string;
  email: string | undefined;
  companyId: string | undefined;
}

/** A company, CNH's organization (providers.md 4.3). */
export interface CnhiCompany {
  id: string;
  name: string;
}

/** [I] A stop for `links.next` chains that never end. */
const MAX_PAGES = 10_000;

/** The refresh token to use: the latest one CNH returned (Auth0 sends one only when rotation is on), else the one posted. */
function currentRefreshToken(credential: ProviderCredential<CnhiCredentialFields>): string {
  return credential.tokens?.refreshToken ?? credential.fields.refreshToken;
}

export function oauthSettings(ctx: AdapterContext, fields: CnhiCredentialFields): OAuthClientSettings {
  const issuer = ctx.baseUrl(CNHI_HOSTS.identity);
  // CNH's well-known document (providers.md 4.1), written out: no discovery round trip per refresh.
  return { server: { issuer: `${issuer}/`, token_endpoint: `${issuer}/oauth/token`, revocation_endpoint: `${issuer}/oauth/revoke` }, clientId: fields.clientId, clientSecret: fields.clientSecret };
}

/**
 * Auth0's client authentication as CNH's clients use it: id and secret in the form body
 * (`client_secret_post`, providers.md 4.1 [3P]), not HTTP Basic.
 */
export function clientAuth(fields: CnhiCredentialFields): oauth.ClientAuth {
  return oauth.ClientSecretPost(fields.clientSecret);
}

/**
 * The `refresh_token` grant. [I] CNH documents no rotation (providers.md 4.9); Auth0 answers
 * without a refresh token when rotation is off, and the caller keeps the one it has.
 */
export async function refreshCnhiTokens(credential: ProviderCredential<CnhiCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  return refreshTokenGrant(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), classifyCnhiError, { clientAuth: clientAuth(credential.fields) });
}

/**
 * Revokes the grower's refresh token at `revocation_endpoint` (providers.md 4.1). [3P] Community
 * code posts JSON; Auth0 takes the same fields form-encoded (RFC 7009), which is what is sent.
 */
export async function revokeCnhiGrant(credential: ProviderCredential<CnhiCredentialFields>, ctx: AdapterContext): Promise<void> {
  await revokeToken(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), 'refresh_token', classifyCnhiError, { clientAuth: clientAuth(credential.fields) });
}

/**
 * The browser step (providers.md 4.1): CNH's authorize URL with `scope=offline_access` and the
 * environment's `audience` and `connection`. Furrow receives refresh tokens and never runs it; it
 * is here so the sandbox's consent page is reached as CNH's would be.
 */
export function cnhiAuthorizeUrl(ctx: AdapterContext, request: { clientId: string; redirectUri: string; state: string }): string {
  const url = new URL(`${ctx.baseUrl(CNHI_HOSTS.identity)}/authorize`);
  const { audience, connection } = CNHI_AUTHORIZE_PARAMETERS[ctx.environment];
  url.search = new URLSearchParams({ client_id: request.clientId, response_type: 'code', redirect_uri: request.redirectUri, scope: 'offline_access', connection, state: request.state, audience }).toString();
  return url.toString();
}

/** The grower's profile (providers.md 4.2): the data call that proves token and key work. */
export async function fetchUserProfile(ctx: AdapterContext, auth: CnhiApiAuth): Promise<CnhiUserProfile> {
  const document = await getDocument(ctx, auth, `${ctx.baseUrl(CNHI_HOSTS.api)}/v2/myUserProfile`);
  const data = (document as { data?: unknown }).data as { id?: unknown; attributes?: Record<string, unknown> } | null | undefined;
  if (data === null || typeof data !== 'object' || typeof data.id !== 'string') throw new ProviderError({ errorClass: 'permanent', reason: 'expected a JSON:API document with a user profile in data from /v2/myUserProfile' });
  const attributes = data.attributes ?? {};
  return { id: data.id, email: typeof attributes['email'] === 'string' ? attributes['email'] : undefined, companyId: typeof attributes['companyId'] === 'string' ? attributes['companyId'] : undefined };
}

/**
 * The companies of the grower, all pages (providers.md 4.3). [I] The path `/v2/companies` and
 * JSON:API paging by `links.next` are assumed: the legacy API is JSON:API, and FieldOps lists
 * `/companies` [3P]. Not Leaf's organizations: a company has no connection state of its own, and
 * Leaf serves `/organizations/{provider}` for JohnDeere and Trimble only (leaf-api.md 3.5).
 */
export async function listCnhiCompanies(ctx: AdapterContext, auth: CnhiApiAuth): Promise<CnhiCompany[]> {
  const first = `${ctx.baseUrl(CNHI_HOSTS.api)}/v2/companies`;
  const origin = new URL(first).origin;
  const companies: CnhiCompany[] = [];
  const seen = new Set<string>();
  let url: string | undefined = first;
  while (url !== undefined) {
    if (seen.has(url) || seen.size >= MAX_PAGES) throw new ProviderError({ errorClass: 'permanent', reason: `CNH's links.next loop or exceed ${MAX_PAGES} pages at ${url}` });
    seen.add(url);
    const document = await getDocument(ctx, auth, url);
    const data = (document as { data?: unknown }).data;
    if (!Array.isArray(data)) throw new ProviderError({ errorClass: 'permanent', reason: `expected a JSON:API document with a list in data from ${new URL(url).pathname}` });
    for (const resource of data as { id?: unknown; attributes?: { name?: unknown } }[]) {
      companies.push({ id: String(resource.id), name: typeof resource.attributes?.name === 'string' ? resource.attributes.name : '' });
    }
    const next = ((document as { links?: { next?: unknown } }).links ?? {}).next;
    const nextUrl: string | undefined = typeof next === 'string' && next !== '' ? new URL(next, url).toString() : undefined;
    // The bearer token and the subscription key go only to the host they were issued for.
    if (nextUrl !== undefined && new URL(nextUrl).origin !== origin) throw new ProviderError({ errorClass: 'permanent', reason: `CNH's links.next leaves ${origin}: ${nextUrl}` });
    url = nextUrl;
  }
  return companies;
}

/**
 * CNH's answers as error classes (providers.md 0.3). Three layers answer, each in its own shape:
 * - Auth0 (token endpoint): `invalid_grant` (Auth0 says it with 403) or 401 `access_denied` is
 *   `auth_revoked`; its 429 carries `x-ratelimit-reset` (epoch seconds) rather than Retry-After;
 * - the API gateway (`{ statusCode, message }`, Azure API Management's bodies [I]): a 401 about the
 *   subscription key is `auth_revoked` (only the developer can fix the key; refreshing does not),
 *   any other 401 `auth_expired`; 429 "Rate limit is exceeded. Try again in N seconds." and 403
 *   "Out of call volume quota. Quota will be replenished in hh:mm:ss." are `rate_limited`, with the
 *   wait from Retry-After or the message;
 * - the API (JSON:API `errors`): 403 `forbidden_scope`, 404 `not_found`, 5xx `retry_later`.
 */
export function classifyCnhiError(result: HttpResult, now: number = Date.now()): ErrorClassification | undefined {
  const base = classifyHttpError(result, now);
  if (base === undefined) return undefined;
  const message = cnhiMessage(result.body);
  const reason = message === undefined ? base.reason : `${base.reason}: ${message}`;
  if (result.purpose === 'api' && result.status === 401 && message !== undefined && /subscription key/i.test(message)) {
    return { errorClass: 'auth_revoked', reason: `${reason} (the ${SUBSCRIPTION_KEY_HEADER} was missing or not accepted; the developer fixes it)` };
  }
  if (result.purpose === 'api' && result.status === 403 && message !== undefined && /call volume quota/i.test(message)) {
    return withWait({ errorClass: 'rate_limited', reason: `${reason} (the subscription's call quota is used up)` }, parseRetryAfter(result.headers['retry-after'], now) ?? quotaWait(message));
  }
  if (result.status === 429 && base.retryAfterMs === undefined) {
    return withWait({ ...base, reason }, rateLimitWait(message) ?? resetWait(result.headers['x-ratelimit-reset'], now));
  }
  return { ...base, reason };
}

/** The CNH adapter. */
export const cnhiAdapter: ProviderAdapter<CnhiCredentialFields> = {
  async validate(credential, ctx) {
    const tokens = await refreshCnhiTokens(credential, ctx);
    // The profile shows that the token, the subscription key and the audience all work.
    await fetchUserProfile(ctx, { accessToken: tokens.accessToken, subscriptionKey: credential.fields.subscriptionKey });
    return tokens;
  },
  refresh: refreshCnhiTokens,
  revoke: revokeCnhiGrant,
  classifyError: (result) => classifyCnhiError(result),
};

async function getDocument(ctx: AdapterContext, auth: CnhiApiAuth, url: string): Promise<Record<string, unknown>> {
  const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${auth.accessToken}`, [SUBSCRIPTION_KEY_HEADER]: auth.subscriptionKey, Accept: JSON_API_MEDIA_TYPE } });
  if (!response.ok) throw await providerErrorOf(response, 'api', (result) => classifyCnhiError(result, ctx.now()));
  let document: unknown;
  try {
    document = await response.json();
  } catch (error) {
    // A body cut off or garbled on the way: the next attempt may read it whole.
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${new URL(url).pathname} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  if (document === null || typeof document !== 'object') throw new ProviderError({ errorClass: 'permanent', reason: `expected a JSON:API document from ${new URL(url).pathname}`, status: response.status });
  return document as Record<string, unknown>;
}

function withWait(classification: ErrorClassification, retryAfterMs: number | undefined): ErrorClassification {
  return retryAfterMs === undefined ? classification : { ...classification, retryAfterMs };
}

/** "Rate limit is exceeded. Try again in 5 seconds." */
function rateLimitWait(message: string | undefined): number | undefined {
  const seconds = /try again in (\d+) seconds?/i.exec(message ?? '')?.[1];
  return seconds === undefined ? undefined : Number(seconds) * 1000;
}

/** "Out of call volume quota. Quota will be replenished in 00:12:30." (or `d.hh:mm:ss`). */
function quotaWait(message: string): number | undefined {
  const match = /replenished in (?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})/i.exec(message);
  if (match === null) return undefined;
  const [, days = '0', hours, minutes, seconds] = match;
  return (((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

/** Auth0's `x-ratelimit-reset`: the epoch second the window opens again. */
function resetWait(value: string | undefined, now: number): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Math.max(0, Number(value) * 1000 - now);
}

/**
 * The message of an error body: Auth0's `error_description`, the gateway's `message`, or the
 * first JSON:API error's `detail` or `title`.
 */
function cnhiMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const object = parsed as { error_description?: unknown; message?: unknown; errors?: unknown };
  const first = Array.isArray(object.errors) ? (object.errors[0] as { detail?: unknown; title?: unknown } | undefined) : undefined;
  const message = [object.error_description, object.message, first?.detail, first?.title].find((m): m is string => typeof m === 'string');
  return message?.slice(0, 300);
}
