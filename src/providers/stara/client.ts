/**
 * Stara Telemetria on the wire: the API key and the client access token exchanged at `/token` for
 * an access/refresh token pair (the call Leaf's Postman collection makes), the access token sent
 * on data calls, and how Stara's answers map to error classes. The only file that knows Stara's
 * URLs. Stara speaks no OAuth 2.0, so the exchange is written here by hand.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/** Stara's one host (providers.md 9.1); no test host is published. */
export const STARA_HOSTS = {
  telemetria: { PRODUCTION: 'https://v2apitelemetria.telemetriastara.com.br' },
} as const satisfies Record<string, HostUrls>;

/** Paths below the Telemetria host. */
export const STARA_PATHS = {
  /**
   * The grower's login, `user` + `pwd` (Postman) or `login` + `password` (Leaf docs), answering
   * the API key as `key` or `apiKey` (providers.md 9.1). Furrow receives the API key and never
   * calls it.
   */
  login: '/autenticacao',
  /** API key + client access token -> `X_access_token` and `refresh_Token` [V] (providers.md 9.1, Postman). */
  token: '/token',
  /**
   * [I] The grower's fields. Stara provides "field names, field boundaries, planting operations,
   * as-applied operations, and machine information" (providers.md 9.2-9.5) behind endpoints
   * nobody published; `talhoes` is Portuguese for fields, as `autenticacao` is for the login.
   */
  fields: '/talhoes',
} as const;

/**
 * [I] The header carrying the access token on data calls: the token answer names it
 * `X_access_token` (providers.md 9.1 suggests `X-Access-Token`).
 */
export const STARA_ACCESS_TOKEN_HEADER = 'X-Access-Token';

/**
 * [I] The access-token lifetime assumed when the answer states none: Postman reads only the two
 * tokens (providers.md 9.1). An hour is short enough that the token is renewed before a real,
 * longer lifetime runs out, and each renewal is one cheap exchange.
 */
export const STARA_DEFAULT_ACCESS_TOKEN_SECONDS = 3600;

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface StaraCredentialFields {
  apiKey: string;
  accessToken: string;
  accessTokenClient: string;
  refreshToken: string;
}

/**
 * A `/token` answer as a `TokenSet`: `X_access_token` and `refresh_Token` [V]; the expiry from
 * `expires_in` when sent, else the access token's JWT `exp` when it is one, else the default
 * above [I]. `raw` keeps the rest of the answer, never a token.
 */
export function staraTokenSetOf(body: unknown, now: number): TokenSet {
  const answer = (body ?? {}) as Record<string, unknown>;
  const { X_access_token: accessToken, refresh_Token: refreshToken, expires_in: expiresIn, ...rest } = answer;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new ProviderError({ errorClass: 'permanent', reason: `expected X_access_token in Stara's /token answer; found ${Object.keys(answer).join(', ') || 'no properties'}` });
  }
  const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : typeof expiresIn === 'string' && /^\d+$/.test(expiresIn) ? Number(expiresIn) : undefined;
  const expiresAt = seconds !== undefined ? now + seconds * 1000 : (jwtExpiry(accessToken) ?? now + STARA_DEFAULT_ACCESS_TOKEN_SECONDS * 1000);
  const tokens: TokenSet = { accessToken, expiresAt: new Date(expiresAt).toISOString(), raw: rest };
  if (typeof refreshToken === 'string' && refreshToken !== '') tokens.refreshToken = refreshToken;
  return tokens;
}

/**
 * The exchange at `/token`: form fields `accessTokenClient` and `apiKey`, as Leaf's Postman
 * collection sends them (providers.md 9.1; Leaf's docs send a JSON body with the API key alone,
 * which the emulator takes too). It is also how Furrow refreshes: the call that made the pair
 * makes the next one, and it proves the API key and the client token still hold. [I] No refresh
 * call taking `refresh_Token` is documented; the refresh token Stara returns is stored, unused.
 */
export async function exchangeStaraTokens(credential: ProviderCredential<StaraCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  const url = `${ctx.baseUrl(STARA_HOSTS.telemetria)}${STARA_PATHS.token}`;
  const body = new URLSearchParams({ accessTokenClient: credential.fields.accessTokenClient, apiKey: credential.fields.apiKey });
  const response = await callProvider(ctx, url, { method: 'POST', headers: { Accept: 'application/json' }, body });
  if (!response.ok) throw await providerErrorOf(response, 'token', classifyStaraError);
  let answer: unknown;
  try {
    answer = await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${STARA_PATHS.token} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  return staraTokenSetOf(answer, ctx.now());
}

/** The grower's fields (`GET /talhoes`, [I] path and shape: a JSON array). */
export async function listStaraFields(ctx: AdapterContext, accessToken: string): Promise<Record<string, unknown>[]> {
  const url = `${ctx.baseUrl(STARA_HOSTS.telemetria)}${STARA_PATHS.fields}`;
  const response = await callProvider(ctx, url, { headers: { [STARA_ACCESS_TOKEN_HEADER]: accessToken, Accept: 'application/json' } });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifyStaraError);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${STARA_PATHS.fields} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  if (!Array.isArray(body)) throw new ProviderError({ errorClass: 'permanent', reason: `expected a JSON array from ${STARA_PATHS.fields}`, status: response.status });
  return body as Record<string, unknown>[];
}

/**
 * Stara's answers as error classes (providers.md 0.3; Stara's error bodies are not published, so
 * `{ "message" }` is [I]):
 * - `/token` 401 or 403: the API key or the client token was refused, which only the grower can
 *   mend (a new login, a new client token): `auth_revoked`; a 400 there is a malformed request;
 * - data 401 `auth_expired`, 403 `forbidden_scope`, 404 `not_found`;
 * - 429 `rate_limited`, 5xx `retry_later`, with `Retry-After`.
 */
export function classifyStaraError(result: HttpResult): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  const message = staraMessage(result.body);
  const reason = message === undefined ? base.reason : `${base.reason}: ${message}`;
  if (result.purpose === 'token' && result.status === 403) return { errorClass: 'auth_revoked', reason };
  return { ...base, reason };
}

/** The Stara adapter. */
export const staraAdapter: ProviderAdapter<StaraCredentialFields> = {
  async validate(credential, ctx) {
    // The posted access token may have expired long ago; a new pair proves the API key and the
    // client token, and reading the fields proves the pair reads data.
    const tokens = await exchangeStaraTokens(credential, ctx);
    await listStaraFields(ctx, tokens.accessToken);
    return tokens;
  },
  refresh: exchangeStaraTokens,
  classifyError: classifyStaraError,
};

/** The `exp` claim (seconds) of a JWT, as epoch ms; `undefined` for any other token. The signature is not checked: only the expiry is read. */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function staraMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const object = parsed as { message?: unknown; mensagem?: unknown; error?: unknown };
  const message = [object.message, object.mensagem, object.error].find((m): m is string => typeof m === 'string');
  return message?.slice(0, 300);
}
