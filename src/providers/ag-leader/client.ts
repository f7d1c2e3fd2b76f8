/**
 * AgLeader AgFiniti on the wire: the OAuth 2.0 token endpoint with the consumer key pair as HTTP
 * Basic client authentication, the (undocumented, [I]) file list that proves a token reads data,
 * and how AgFiniti's answers map to error classes. The only file that knows AgFiniti's URLs.
 */
import type * as oauth from 'oauth4webapi';
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { refreshTokenGrant, type OAuthClientSettings } from '../oauth2-token-requests.js';
import { isProviderError, ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/**
 * AgFiniti's one host (providers.md 6.1): `/Account/Authorize` for the grower, `/api/token` for
 * the application. "This account and credentials also serves as a test account for AgFiniti":
 * there is no separate test host, so no STAGE.
 */
export const AG_LEADER_HOSTS = {
  agfiniti: { PRODUCTION: 'https://www.agfiniti.com' },
} as const satisfies Record<string, HostUrls>;

/** Paths below the AgFiniti host. */
export const AG_LEADER_PATHS = {
  /** The grower's consent page (providers.md 6.1, Leaf's current tutorial). */
  authorize: '/Account/Authorize',
  /** The token endpoint (providers.md 6.1). */
  token: '/api/token',
  /**
   * [I] The file list. AgFiniti publishes no data endpoints (providers.md 6.2-6.5, 6.9); Leaf
   * syncs machine files, and the older authorize URL asks for a `filedownload` scope, so a file
   * list under `/api` is the closest guess. The emulator serves the same path.
   */
  files: '/api/v1/files',
} as const;

/**
 * The scopes of Leaf's tutorial (providers.md 6.1): `read readwrite`, plus `fileupload` for
 * prescriptions. [I] `read` is the one a file list needs.
 */
export const AG_LEADER_SCOPES = ['read', 'readwrite', 'fileupload'] as const;
export const AG_LEADER_READ_SCOPE = 'read';

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface AgLeaderCredentialFields {
  accessToken?: string | undefined;
  refreshToken: string;
  publicKey: string;
  privateKey: string;
}

/** One page of AgFiniti's file list ([I] shape: .NET-style PascalCase, as AgSync's, providers.md 7.7). */
export interface AgFinitiFilePage {
  files: Record<string, unknown>[];
  totalCount: number;
}

/**
 * `Authorization: Basic base64(publicKey:privateKey)`, exactly as Leaf's tutorial builds it
 * (`echo -n 'yourPublicKey:yourPrivateKey' | base64`, providers.md 6.1): the keys are not
 * form-encoded first, unlike RFC 6749 section 2.3.1. [I] AgFiniti's `/Account/Authorize` +
 * `/api/token` pair is the ASP.NET OWIN OAuth server's, whose Basic parser does not form-decode;
 * for keys of letters and digits both encodings are the same bytes.
 */
export function agFinitiBasicAuthorization(publicKey: string, privateKey: string): string {
  return `Basic ${Buffer.from(`${publicKey}:${privateKey}`, 'utf8').toString('base64')}`;
}

/** The client authentication above, for oauth4webapi. */
export function consumerKeyAuth(publicKey: string, privateKey: string): oauth.ClientAuth {
  return (_server, _client, _body, headers) => {
    headers.set('authorization', agFinitiBasicAuthorization(publicKey, privateKey));
  };
}

/** The refresh token to use: the latest one AgFiniti returned, else the one posted. */
function currentRefreshToken(credential: ProviderCredential<AgLeaderCredentialFields>): string {
  return credential.tokens?.refreshToken ?? credential.fields.refreshToken;
}

export function oauthSettings(ctx: AdapterContext, fields: AgLeaderCredentialFields): OAuthClientSettings {
  const base = ctx.baseUrl(AG_LEADER_HOSTS.agfiniti);
  // No discovery document is published; the issuer is only the library's name for the server.
  return { server: { issuer: base, token_endpoint: `${base}${AG_LEADER_PATHS.token}` }, clientId: fields.publicKey, clientSecret: fields.privateKey };
}

/**
 * The `refresh_token` grant. [I] Not documented (providers.md 6.1: "assume standard
 * grant_type=refresh_token"); rotation is unknown too, so a `refresh_token` in the answer is taken
 * as authoritative and handed back for the caller to store.
 */
export async function refreshAgLeaderTokens(credential: ProviderCredential<AgLeaderCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  const { publicKey, privateKey } = credential.fields;
  return refreshTokenGrant(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), classifyAgLeaderError, { clientAuth: consumerKeyAuth(publicKey, privateKey) });
}

/** The authorize URL of Leaf's tutorial (providers.md 6.1), for the grower's consent. */
export function agLeaderAuthorizeUrl(ctx: AdapterContext, request: { publicKey: string; redirectUri: string; scopes?: readonly string[]; state?: string }): string {
  const url = new URL(`${ctx.baseUrl(AG_LEADER_HOSTS.agfiniti)}${AG_LEADER_PATHS.authorize}`);
  const params: Record<string, string> = { response_type: 'code', client_id: request.publicKey, redirect_uri: request.redirectUri, scope: (request.scopes ?? ['read', 'readwrite']).join(' ') };
  if (request.state !== undefined) params['state'] = request.state;
  url.search = new URLSearchParams(params).toString();
  return url.toString();
}

/** One page of the grower's files ([I] `page` from 1, `pageSize`; see `AG_LEADER_PATHS.files`). */
export async function listAgFinitiFiles(ctx: AdapterContext, accessToken: string, options: { page?: number; pageSize?: number } = {}): Promise<AgFinitiFilePage> {
  const url = new URL(`${ctx.baseUrl(AG_LEADER_HOSTS.agfiniti)}${AG_LEADER_PATHS.files}`);
  url.search = new URLSearchParams({ page: String(options.page ?? 1), pageSize: String(options.pageSize ?? 100) }).toString();
  const response = await callProvider(ctx, url.toString(), { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifyAgLeaderError);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url.pathname} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  const page = body as { Files?: unknown; TotalCount?: unknown } | null;
  if (page === null || typeof page !== 'object' || !Array.isArray(page.Files)) {
    throw new ProviderError({ errorClass: 'permanent', reason: `expected { Files: [...], TotalCount } from ${url.pathname}`, status: response.status });
  }
  return { files: page.Files as Record<string, unknown>[], totalCount: typeof page.TotalCount === 'number' ? page.TotalCount : page.Files.length };
}

/**
 * AgFiniti's answers as error classes (providers.md 0.3; its own error bodies are not published,
 * 6.9): the token endpoint's `invalid_grant`/`invalid_client` or 401 is `auth_revoked` (only the
 * grower or the developer can fix it); a data API 401 `auth_expired`, 403 `forbidden_scope`; 429
 * `rate_limited` and 5xx `retry_later`, both with `Retry-After`. The server's message, OAuth's
 * `error_description` or ASP.NET's `Message` [I], is added to the reason.
 */
export function classifyAgLeaderError(result: HttpResult): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  const message = agFinitiMessage(result.body);
  return message === undefined ? base : { ...base, reason: `${base.reason}: ${message}` };
}

/** The AgLeader adapter. */
export const agLeaderAdapter: ProviderAdapter<AgLeaderCredentialFields> = {
  async validate(credential, ctx) {
    // The posted access token may be long expired; a refresh proves the refresh token and the
    // key pair at once, and one file read proves the token reads data.
    const tokens = await refreshAgLeaderTokens(credential, ctx);
    try {
      await listAgFinitiFiles(ctx, tokens.accessToken, { pageSize: 1 });
    } catch (error) {
      throw withIssuedTokens(error, tokens);
    }
    return tokens;
  },
  refresh: refreshAgLeaderTokens,
  classifyError: classifyAgLeaderError,
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

function agFinitiMessage(body: string): string | undefined {
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
