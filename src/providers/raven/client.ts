/**
 * Raven (AgSync) on the wire: the IdentityServer-style OpenID Connect token and revocation
 * endpoints, the fields API's growers, farms and fields (boundaries as WKT), and how AgSync's
 * answers map to error classes. The only file that knows AgSync's URLs.
 */
import * as oauth from 'oauth4webapi';
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { refreshTokenGrant, revokeToken, type OAuthClientSettings } from '../oauth2-token-requests.js';
import { isProviderError, ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/** AgSync's hosts; one environment, no public sandbox host. */
export const RAVEN_HOSTS = {
  /**
   * The OpenID Connect provider [3P] (providers.md 7.1: community configs use
   * `https://auth.agsync.com/core/connect/{authorize,token}`, IdentityServer3's layout). Its
   * discovery document is `/.well-known/openid-configuration` below this [I].
   */
  identity: { PRODUCTION: 'https://auth.agsync.com/core' },
  /** The fields API [3P] (providers.md 7.2). */
  fields: { PRODUCTION: 'https://fields.agsync.com/api' },
} as const satisfies Record<string, HostUrls>;

/** Endpoint paths below `RAVEN_HOSTS.identity`, as IdentityServer3 names them. */
export const RAVEN_IDENTITY_PATHS = {
  authorize: '/connect/authorize',
  token: '/connect/token',
  /** [I] IdentityServer3's RFC 7009 endpoint; AgSync does not document it, its discovery document would list it. */
  revocation: '/connect/revocation',
  discovery: '/.well-known/openid-configuration',
} as const;

/**
 * [I] The collections of the fields API. Only the objects are documented, through the
 * `field_changed` webhook (providers.md 7.7: `Field` with `FarmId` and a `Boundary` holding `Wkt`
 * and `ProjectionWkt`); the paths follow ASP.NET Web API's resource naming, each level nested in
 * its parent. The emulator serves the same paths.
 */
export const RAVEN_FIELDS_PATHS = {
  growers: '/Growers',
  /** The id goes in as given: URI-encoded by the client, a route parameter (`:growerId`) for the emulator. */
  farmsOfGrower: (growerId: string) => `/Growers/${growerId}/Farms`,
  fieldsOfFarm: (farmId: string) => `/Farms/${farmId}/Fields`,
} as const;

/**
 * [I] Scopes: "A list of scopes is available at the discovery endpoints" (providers.md 7.1) but
 * none was captured. OpenID's `openid` and `offline_access` (for the refresh token), and one
 * scope per API host seen (fields, orders; providers.md 7.2).
 */
export const RAVEN_SCOPES = ['openid', 'profile', 'offline_access', 'fields', 'orders'] as const;
/** [I] The scope the fields API asks for. */
export const RAVEN_FIELDS_SCOPE = 'fields';

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface RavenCredentialFields {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** An AgSync boundary as the `field_changed` webhook shows it (providers.md 7.7). */
export interface AgSyncBoundary {
  Id: string;
  FieldId: string;
  Name: string;
  Status: boolean;
  /** WKT `MULTIPOLYGON`, in the coordinate system `ProjectionWkt` names (WGS 84 in every sample). */
  Wkt: string;
  ProjectionWkt: string;
  Area: number | null;
  [property: string]: unknown;
}

/** An AgSync field (providers.md 7.7). */
export interface AgSyncField {
  Id: string;
  FarmId: string;
  Name: string;
  Status: boolean;
  Boundary: AgSyncBoundary | null;
  [property: string]: unknown;
}

/** The refresh token to use: the latest one AgSync returned, else the one posted. */
function currentRefreshToken(credential: ProviderCredential<RavenCredentialFields>): string {
  return credential.tokens?.refreshToken ?? credential.fields.refreshToken;
}

export function oauthSettings(ctx: AdapterContext, fields: RavenCredentialFields): OAuthClientSettings {
  const issuer = ctx.baseUrl(RAVEN_HOSTS.identity);
  // The discovery document, written out: no round trip per refresh, and no trust in where it points.
  return {
    server: { issuer, token_endpoint: `${issuer}${RAVEN_IDENTITY_PATHS.token}`, revocation_endpoint: `${issuer}${RAVEN_IDENTITY_PATHS.revocation}` },
    clientId: fields.clientId,
    clientSecret: fields.clientSecret,
  };
}

/**
 * Client id and secret in the form body (`client_secret_post`), which IdentityServer accepts as
 * well as Basic. [I] Chosen over Basic because IdentityServer3's Basic parser does not
 * form-decode (RFC 6749 section 2.3.1 says to), so a secret with `+`, `/` or `=` would only
 * work one way; in a form body there is one encoding.
 */
export function clientAuth(fields: RavenCredentialFields): oauth.ClientAuth {
  return oauth.ClientSecretPost(fields.clientSecret);
}

/**
 * The `refresh_token` grant (providers.md 7.1: "Authorization Code (recommended for refresh)").
 * "15 day sliding refresh token time" [V]: each use restarts the 15 days. [I] Whether AgSync
 * rotates is unknown (IdentityServer can do both); a refresh token in the answer is handed back.
 */
export async function refreshRavenTokens(credential: ProviderCredential<RavenCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  return refreshTokenGrant(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), classifyRavenError, { clientAuth: clientAuth(credential.fields) });
}

/** Revokes the grower's refresh token (RFC 7009) at IdentityServer's revocation endpoint [I]. */
export async function revokeRavenGrant(credential: ProviderCredential<RavenCredentialFields>, ctx: AdapterContext): Promise<void> {
  await revokeToken(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), 'refresh_token', classifyRavenError, { clientAuth: clientAuth(credential.fields) });
}

/** The authorize URL (OpenID Connect authorization code flow, providers.md 7.1). */
export function ravenAuthorizeUrl(ctx: AdapterContext, request: { clientId: string; redirectUri: string; scopes?: readonly string[]; state: string; codeChallenge?: string }): string {
  const url = new URL(`${ctx.baseUrl(RAVEN_HOSTS.identity)}${RAVEN_IDENTITY_PATHS.authorize}`);
  const params: Record<string, string> = { client_id: request.clientId, redirect_uri: request.redirectUri, response_type: 'code', scope: (request.scopes ?? RAVEN_SCOPES).join(' '), state: request.state };
  if (request.codeChallenge !== undefined) Object.assign(params, { code_challenge: request.codeChallenge, code_challenge_method: 'S256' });
  url.search = new URLSearchParams(params).toString();
  return url.toString();
}

/** The growers the token's user can see (`GET /Growers`, [I] path). */
export async function listRavenGrowers(ctx: AdapterContext, accessToken: string): Promise<Record<string, unknown>[]> {
  return getList(ctx, accessToken, RAVEN_FIELDS_PATHS.growers);
}

/** A grower's farms ([I] path). */
export async function listRavenFarms(ctx: AdapterContext, accessToken: string, growerId: string): Promise<Record<string, unknown>[]> {
  return getList(ctx, accessToken, RAVEN_FIELDS_PATHS.farmsOfGrower(encodeURIComponent(growerId)));
}

/** A farm's fields with their boundaries as WKT ([I] path; objects as providers.md 7.7). */
export async function listRavenFields(ctx: AdapterContext, accessToken: string, farmId: string): Promise<AgSyncField[]> {
  return (await getList(ctx, accessToken, RAVEN_FIELDS_PATHS.fieldsOfFarm(encodeURIComponent(farmId)))) as AgSyncField[];
}

/**
 * AgSync's answers as error classes (providers.md 0.3): the token endpoint's `invalid_grant` (the
 * 15 days passed unused, the year is over, or the grower revoked) or `invalid_client` is
 * `auth_revoked`; a fields API 401 `auth_expired`, 403 `forbidden_scope`, 404 `not_found`; 429
 * `rate_limited` and 5xx `retry_later` with `Retry-After`. The message (`error_description`, or
 * ASP.NET's `Message` [I]) is added to the reason.
 */
export function classifyRavenError(result: HttpResult): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  const message = agSyncMessage(result.body);
  return message === undefined ? base : { ...base, reason: `${base.reason}: ${message}` };
}

/** The Raven adapter. */
export const ravenAdapter: ProviderAdapter<RavenCredentialFields> = {
  async validate(credential, ctx) {
    const tokens = await refreshRavenTokens(credential, ctx);
    // Listing growers proves the token reads the fields API, and needs nothing else to be known.
    try {
      await listRavenGrowers(ctx, tokens.accessToken);
    } catch (error) {
      throw withIssuedTokens(error, tokens);
    }
    return tokens;
  },
  refresh: refreshRavenTokens,
  revoke: revokeRavenGrant,
  classifyError: classifyRavenError,
};

/**
 * The failure of a data call made right after a refresh, carrying the tokens the refresh issued
 * (`ProviderError.tokens`), so the caller stores them even so: should the provider rotate refresh
 * tokens after all ([I] unknown), the one it issued is the grant's only live one.
 */
function withIssuedTokens(error: unknown, tokens: TokenSet): unknown {
  if (!isProviderError(error)) return error;
  const { errorClass, reason, status, retryAfterMs } = error;
  return new ProviderError({ errorClass, reason, ...(status === undefined ? {} : { status }), ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }, { cause: error, tokens });
}

/** [I] A JSON array: no paging is documented for the fields API. */
async function getList(ctx: AdapterContext, accessToken: string, path: string): Promise<Record<string, unknown>[]> {
  const url = `${ctx.baseUrl(RAVEN_HOSTS.fields)}${path}`;
  const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifyRavenError);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${path} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  if (!Array.isArray(body)) throw new ProviderError({ errorClass: 'permanent', reason: `expected a JSON array from ${path}`, status: response.status });
  return body as Record<string, unknown>[];
}

function agSyncMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const object = parsed as { error_description?: unknown; Message?: unknown; message?: unknown };
  const message = [object.error_description, object.Message, object.message].find((m): m is string => typeof m === 'string');
  return message?.slice(0, 300);
}
