/**
 * Trimble Agriculture on the wire: Trimble Identity's token endpoint with single-use refresh
 * tokens, the Ag Software external API with its `{ result, bookmark }` envelopes, the
 * trimbleag.com page where the grower authorizes organizations, and how Trimble's answers map to
 * error classes. The only file that knows Trimble's URLs.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { refreshTokenGrant, type OAuthClientSettings } from '../oauth2-token-requests.js';
import { ProviderError, isProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential, ProviderOrganization } from '../provider.js';

/**
 * Trimble's hosts (providers.md 5.1 and 5.2). Production only: "These URLs are for Production
 * endpoints. They will be different for other environments", and the others were not published.
 * Trimble Identity and trimbleag.com both serve from their root, so the sandbox puts each under
 * a path of its own.
 */
export const TRIMBLE_HOSTS = {
  /** Trimble Identity (TID): `/oauth/token`, `/oauth/authorize`, `/.well-known/openid-configuration`. */
  identity: { PRODUCTION: 'https://id.trimble.com', sandboxPath: '/id' },
  /** The Ag Software external API, version 3.0. */
  api: { PRODUCTION: 'https://cloud.api.trimble.com/Trimble-Ag-Software/externalApi/3.0' },
  /** Where the grower picks the organizations an application may read (`ThirdPartyAuthorizationRedirect`). */
  agSoftware: { PRODUCTION: 'https://www.trimbleag.com', sandboxPath: '/trimbleag' },
} as const satisfies Record<string, HostUrls>;

/** The organization authorization page below `TRIMBLE_HOSTS.agSoftware` (providers.md 5.1). */
export const ORGANIZATION_AUTHORIZATION_PATH = '/ThirdPartyAccess/ThirdPartyAuthorizationRedirect';

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface TrimbleCredentialFields {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** An organization as `GET /config/organizations` lists it (providers.md 5.3, `Organization.cs`). */
export interface TrimbleOrganization {
  /** A GUID. */
  id: string;
  name: string;
  timezoneName: string | undefined;
  currencyCode: string | undefined;
  isMetric: boolean | undefined;
}

/** One page of a `{ result, bookmark }` envelope (providers.md 5.2, `ActionResponse.cs`, `Bookmark.cs`). */
export interface TrimblePage {
  result: Record<string, unknown>[];
  /** The bookmark to ask for the next page with, when `moreResults`. */
  bookmark: string | undefined;
  moreResults: boolean;
}

/**
 * [I] How a bookmark is sent back is not captured (providers.md 5.9): as the `bookmark` query
 * parameter, the way the envelope names it.
 */
export const BOOKMARK_PARAMETER = 'bookmark';

/** [I] A stop for bookmark chains that never end (a provider bug must not hang a sync). */
const MAX_PAGES = 10_000;

/** The refresh token to use: the one Trimble issued last, else the one posted. */
function currentRefreshToken(credential: ProviderCredential<TrimbleCredentialFields>): string {
  return credential.tokens?.refreshToken ?? credential.fields.refreshToken;
}

export function oauthSettings(ctx: AdapterContext, fields: TrimbleCredentialFields): OAuthClientSettings {
  const issuer = ctx.baseUrl(TRIMBLE_HOSTS.identity);
  // TID's discovery document (providers.md 5.1), written out: no discovery round trip per refresh.
  return { server: { issuer, token_endpoint: `${issuer}/oauth/token` }, clientId: fields.clientId, clientSecret: fields.clientSecret };
}

/**
 * The `refresh_token` grant: form body, HTTP Basic, as TID's documented client-credentials call
 * (providers.md 5.1; the refresh form is RFC 6749 section 6 [I]). "The refresh token is a
 * single-use token that becomes invalid after use": the one sent is dead once this answers, so the
 * caller stores the new one before anything else can refresh. An answer without a new refresh
 * token still carries a working access token and is returned as it is; the next refresh then
 * fails with `invalid_grant`, which is the truth: the grant can no longer be renewed.
 */
export async function refreshTrimbleTokens(credential: ProviderCredential<TrimbleCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  return refreshTokenGrant(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), classifyTrimbleError);
}

/**
 * The browser step of the authorization-code grant (providers.md 5.1): TID's authorize endpoint
 * with the application name as scope, plus `openid` [I]. Furrow receives refresh tokens and never
 * runs it; it is here so the sandbox's consent page is reachable as Trimble's would be.
 */
export function trimbleAuthorizeUrl(ctx: AdapterContext, request: { clientId: string; applicationName: string; redirectUri: string; state: string }): string {
  const url = new URL(`${ctx.baseUrl(TRIMBLE_HOSTS.identity)}/oauth/authorize`);
  url.search = new URLSearchParams({ response_type: 'code', client_id: request.clientId, redirect_uri: request.redirectUri, scope: `openid ${request.applicationName}`, state: request.state }).toString();
  return url.toString();
}

/**
 * The page where the grower authorizes organizations for the application (providers.md 5.1):
 * `ThirdPartyAuthorizationRedirect?clientid=...`, with `redirectionUrl` to come back to. It is
 * also where the authorization is changed later, so it is what Leaf shows as `managementUri`.
 */
export function organizationAuthorizationUrl(ctx: AdapterContext, clientId: string, redirectionUrl?: string): string {
  const url = new URL(`${ctx.baseUrl(TRIMBLE_HOSTS.agSoftware)}${ORGANIZATION_AUTHORIZATION_PATH}`);
  url.searchParams.set('clientid', clientId);
  if (redirectionUrl !== undefined) url.searchParams.set('redirectionUrl', redirectionUrl);
  return url.toString();
}

/** One page of a collection below the API root, e.g. `/config/organizations`. */
export async function fetchTrimblePage(ctx: AdapterContext, accessToken: string, path: string, options: { bookmark?: string | undefined; organizationId?: string } = {}): Promise<TrimblePage> {
  const url = new URL(`${ctx.baseUrl(TRIMBLE_HOSTS.api)}${path}`);
  if (options.bookmark !== undefined) url.searchParams.set(BOOKMARK_PARAMETER, options.bookmark);
  const response = await callProvider(ctx, url.toString(), { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } });
  const context = options.organizationId === undefined ? {} : { organizationId: options.organizationId };
  if (!response.ok) throw await providerErrorOf(response, 'api', (result) => classifyTrimbleError(result, context));
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    // A body cut off or garbled on the way: the next attempt may read it whole.
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url.pathname} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  return trimblePageOf(body, url.pathname, response.status);
}

/** Every item of a collection, following bookmarks while `moreResults` says so. */
export async function listAllResults(ctx: AdapterContext, accessToken: string, path: string, options: { organizationId?: string } = {}): Promise<Record<string, unknown>[]> {
  const results: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  let bookmark: string | undefined;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const page = await fetchTrimblePage(ctx, accessToken, path, { bookmark, ...options });
    results.push(...page.result);
    if (!page.moreResults) return results;
    if (page.bookmark === undefined) throw new ProviderError({ errorClass: 'permanent', reason: `Trimble said moreResults for ${path} without a bookmark token` });
    if (seen.has(page.bookmark)) throw new ProviderError({ errorClass: 'permanent', reason: `Trimble's bookmarks for ${path} loop` });
    seen.add(page.bookmark);
    bookmark = page.bookmark;
  }
  throw new ProviderError({ errorClass: 'permanent', reason: `Trimble kept saying moreResults for ${path} past ${MAX_PAGES} pages` });
}

/** The organizations the grower authorized for this application, all pages. */
export async function listOrganizations(ctx: AdapterContext, accessToken: string): Promise<TrimbleOrganization[]> {
  return (await listAllResults(ctx, accessToken, '/config/organizations')).map(organizationOf);
}

/**
 * The fields of an organization, all pages, as Trimble's raw objects. [I] The list path is not in
 * the samples (providers.md 5.4: only `POST /resources/{orgId}/fields`); a 403 here means the
 * organization is no longer authorized for the application: `org_not_connected`.
 */
export async function listOrganizationFields(ctx: AdapterContext, accessToken: string, organizationId: string): Promise<Record<string, unknown>[]> {
  return listAllResults(ctx, accessToken, `/resources/${encodeURIComponent(organizationId)}/fields`, { organizationId });
}

/**
 * Organizations as Leaf's organization endpoints show them (leaf-api.md 3.5). Trimble lists only
 * the organizations the grower authorized ("At Trimble it is not possible to differentiate which
 * organizations are connected or not"), so every one is connected, and the authorization page,
 * where the grower adds or withdraws organizations, is the management URL.
 */
export async function listTrimbleOrganizations(credential: ProviderCredential<TrimbleCredentialFields>, ctx: AdapterContext): Promise<ProviderOrganization[]> {
  const accessToken = credential.tokens?.accessToken;
  // The caller refreshes first; a credential without an access token has never been refreshed.
  if (accessToken === undefined) throw new ProviderError({ errorClass: 'auth_expired', reason: 'the credential holds no access token yet; refresh it first' });
  const connectUrl = organizationAuthorizationUrl(ctx, credential.fields.clientId);
  return (await listOrganizations(ctx, accessToken)).map(({ id, name }) => ({ id, name, connected: true, connectUrl }));
}

/**
 * Trimble's answers as error classes (providers.md 0.3):
 * - TID's `invalid_grant` or a 401 from the token endpoint: `auth_revoked`. A single-use refresh
 *   token presented a second time is answered so too: the grant is lost and only the grower can
 *   grant it again;
 * - API 401: `auth_expired`;
 * - API 403: `forbidden_scope` when the token lacks the application's scope; on an
 *   organization's resources otherwise `org_not_connected` (the grower withdrew the organization
 *   on trimbleag.com); [I] the 403 body's `code` tells them apart, as the sandbox sends it;
 * - 429 `rate_limited` and 5xx `retry_later`, with `Retry-After` when sent ([I] no rate limit is
 *   published, providers.md 5.2).
 */
export function classifyTrimbleError(result: HttpResult, context: { organizationId?: string } = {}): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  const { code, message } = trimbleMessage(result.body);
  const reason = message === undefined ? base.reason : `${base.reason}: ${message}`;
  if (result.purpose === 'api' && result.status === 403) {
    if (context.organizationId !== undefined && code !== 'insufficient_scope') {
      return { errorClass: 'org_not_connected', reason: `${reason} (organization ${context.organizationId} is not authorized for this application; the grower authorizes it on trimbleag.com, ${ORGANIZATION_AUTHORIZATION_PATH})` };
    }
    return { errorClass: 'forbidden_scope', reason };
  }
  return { ...base, reason };
}

/** The Trimble adapter. */
export const trimbleAdapter: ProviderAdapter<TrimbleCredentialFields> = {
  async validate(credential, ctx) {
    const tokens = await refreshTrimbleTokens(credential, ctx);
    try {
      // One page of organizations proves the token reads data; an empty list is still a valid
      // credential (the grower may authorize organizations later, providers.md 5.1).
      await fetchTrimblePage(ctx, tokens.accessToken, '/config/organizations');
    } catch (error) {
      if (!isProviderError(error)) throw error;
      // The refresh token sent is spent: the new one must reach storage even though validation failed.
      throw new ProviderError({ errorClass: error.errorClass, reason: error.reason, ...(error.status === undefined ? {} : { status: error.status }), ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) }, { cause: error, tokens });
    }
    return tokens;
  },
  refresh: refreshTrimbleTokens,
  listOrganizations: listTrimbleOrganizations,
  classifyError: (result) => classifyTrimbleError(result),
};

/**
 * A `{ result, bookmark }` envelope. `moreResults` is a string in Trimble's own sample
 * (`Bookmark.cs`: `string? MoreResults`), so "true" and `true` both mean more.
 */
export function trimblePageOf(body: unknown, path: string, status: number): TrimblePage {
  const result = (body as { result?: unknown } | null)?.result;
  if (!Array.isArray(result)) throw new ProviderError({ errorClass: 'permanent', reason: `expected { result: [...], bookmark } from ${path}`, status });
  const bookmark = (body as { bookmark?: unknown }).bookmark as { token?: unknown; moreResults?: unknown } | null | undefined;
  const moreResults = bookmark?.moreResults === true || (typeof bookmark?.moreResults === 'string' && bookmark.moreResults.toLowerCase() === 'true');
  const token = typeof bookmark?.token === 'string' && bookmark.token !== '' ? bookmark.token : undefined;
  return { result: result as Record<string, unknown>[], bookmark: token, moreResults };
}

function organizationOf(value: Record<string, unknown>): TrimbleOrganization {
  return {
    id: String(value['id']),
    name: typeof value['name'] === 'string' ? value['name'] : '',
    timezoneName: typeof value['timezoneName'] === 'string' ? value['timezoneName'] : undefined,
    currencyCode: typeof value['currencyCode'] === 'string' ? value['currencyCode'] : undefined,
    isMetric: typeof value['isMetric'] === 'boolean' ? value['isMetric'] : undefined,
  };
}

/**
 * The code and message of an error body: TID's OAuth `{ error, error_description }`, or [I] the
 * API's `{ code, message }` (the API's error bodies are not captured, providers.md 5.9).
 */
function trimbleMessage(body: string): { code: string | undefined; message: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { code: undefined, message: undefined };
  }
  if (parsed === null || typeof parsed !== 'object') return { code: undefined, message: undefined };
  const object = parsed as { code?: unknown; message?: unknown; error_description?: unknown };
  const message = [object.message, object.error_description].find((m): m is string => typeof m === 'string');
  return { code: typeof object.code === 'string' ? object.code : undefined, message: message?.slice(0, 300) };
}
