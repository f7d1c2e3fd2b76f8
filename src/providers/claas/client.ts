/**
 * CLAAS connect (the partner / online file transfer API) on the wire: the OAuth 2.0 token endpoint
 * per environment, the machines of the customer organization, and how CLAAS's answers map to
 * error classes. The only file that knows CLAAS's URLs.
 *
 * [I] Almost nothing below the product level is public: "our API scopes are restrictedly
 * accessible and not completely public" (providers.md 2.1, 2.9). Hosts, paths, paging, scopes,
 * lifetimes and error bodies here follow the closest documented pattern (RFC 6749 with form body
 * and HTTP Basic, RFC 9457 problem details, page/size paging) and are guesses, each marked; the
 * emulator serves exactly the same, so replacing a guess is a change in this folder only.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { refreshTokenGrant, type OAuthClientSettings } from '../oauth2-token-requests.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, Environment, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/** [I] CLAAS's hosts: not published (providers.md 2.2); STAGE and PRODUCTION as Leaf names them (2.1). */
export const CLAAS_HOSTS = {
  /** The OAuth 2.0 authorization server: `/authorize`, `/token`. */
  identity: { PRODUCTION: 'https://identity.claas.com/oauth2', STAGE: 'https://identity-stage.claas.com/oauth2' },
  /** The online file transfer API. */
  api: { PRODUCTION: 'https://api.claas.com/oft/v1', STAGE: 'https://api-stage.claas.com/oft/v1' },
} as const satisfies Record<string, HostUrls>;

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface ClaasCredentialFields {
  clientKey: string;
  clientSecret: string;
  refreshToken: string;
  clientEnvironment?: Environment;
}

/**
 * A machine of the customer organization enabled for online file transfer ("Retrieval of a list
 * of machines within a customer organization in CLAAS connect that are enabled for online file
 * transfer", providers.md 2.3 [V]); the fields are [I].
 */
export interface ClaasMachine {
  id: string;
  name: string;
  model: string | undefined;
  serialNumber: string | undefined;
  organizationId: string | undefined;
}

/** One page of a list: [I] `{ content, page: { number, size, totalElements, totalPages } }`, pages numbered from 0. */
export interface ClaasPage {
  content: Record<string, unknown>[];
  number: number;
  totalPages: number;
}

/** [I] The largest page the API serves. */
export const MAX_PAGE_SIZE = 100;
/** [I] A stop for page counts that never end. */
const MAX_PAGES = 10_000;

/** The refresh token to use: one CLAAS returned (if it rotates, which is not known [I]), else the one posted. */
function currentRefreshToken(credential: ProviderCredential<ClaasCredentialFields>): string {
  return credential.tokens?.refreshToken ?? credential.fields.refreshToken;
}

export function oauthSettings(ctx: AdapterContext, fields: ClaasCredentialFields): OAuthClientSettings {
  const issuer = ctx.baseUrl(CLAAS_HOSTS.identity);
  return { server: { issuer, token_endpoint: `${issuer}/token` }, clientId: fields.clientKey, clientSecret: fields.clientSecret };
}

/**
 * The `refresh_token` grant: "The API uses REST services, OAuth2" (providers.md 2.1) and Leaf
 * stores a client key, a secret and the grower's refresh token, so RFC 6749 section 6 with HTTP
 * Basic [I]. A `refresh_token` in the answer is taken as authoritative and handed back.
 */
export async function refreshClaasTokens(credential: ProviderCredential<ClaasCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  return refreshTokenGrant(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), classifyClaasError);
}

/** The browser step of the consent flow (RFC 6749 section 4.1) [I]; Furrow receives refresh tokens and never runs it. */
export function claasAuthorizeUrl(ctx: AdapterContext, request: { clientKey: string; redirectUri: string; scopes: readonly string[]; state: string }): string {
  const url = new URL(`${ctx.baseUrl(CLAAS_HOSTS.identity)}/authorize`);
  url.search = new URLSearchParams({ response_type: 'code', client_id: request.clientKey, redirect_uri: request.redirectUri, scope: request.scopes.join(' '), state: request.state }).toString();
  return url.toString();
}

/** One page of machines (`GET /machines?page=&size=`) [I]. */
export async function fetchMachinesPage(ctx: AdapterContext, accessToken: string, options: { page?: number; size?: number } = {}): Promise<ClaasPage> {
  const url = new URL(`${ctx.baseUrl(CLAAS_HOSTS.api)}/machines`);
  url.searchParams.set('page', String(options.page ?? 0));
  url.searchParams.set('size', String(Math.min(MAX_PAGE_SIZE, Math.max(1, options.size ?? MAX_PAGE_SIZE))));
  const response = await callProvider(ctx, url.toString(), { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifyClaasError);
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    // A body cut off or garbled on the way: the next attempt may read it whole.
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url.pathname} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  const content = (body as { content?: unknown } | null)?.content;
  const page = (body as { page?: { number?: unknown; totalPages?: unknown } } | null)?.page;
  if (!Array.isArray(content) || typeof page?.number !== 'number' || typeof page.totalPages !== 'number') {
    throw new ProviderError({ errorClass: 'permanent', reason: `expected { content: [...], page: { number, totalPages } } from ${url.pathname}`, status: response.status });
  }
  return { content: content as Record<string, unknown>[], number: page.number, totalPages: page.totalPages };
}

/** Every machine of the customer organization, all pages. */
export async function listMachines(ctx: AdapterContext, accessToken: string, options: { pageSize?: number } = {}): Promise<ClaasMachine[]> {
  const machines: ClaasMachine[] = [];
  for (let number = 0; number < MAX_PAGES; number++) {
    const page = await fetchMachinesPage(ctx, accessToken, { page: number, size: options.pageSize ?? MAX_PAGE_SIZE });
    machines.push(...page.content.map(machineOf));
    if (page.number + 1 >= page.totalPages) return machines;
  }
  throw new ProviderError({ errorClass: 'permanent', reason: `CLAAS kept reporting more pages of /machines past ${MAX_PAGES}` });
}

/**
 * CLAAS's answers as error classes (providers.md 0.3; [I] CLAAS publishes none of its own): the
 * token endpoint's `invalid_grant` or 401 is `auth_revoked`; a data API 401 `auth_expired`, 403
 * `forbidden_scope`, 404 `not_found`; 429 `rate_limited` and 5xx `retry_later`, both with
 * `Retry-After`. The problem detail's `detail` (or `title`) is added to the reason.
 */
export function classifyClaasError(result: HttpResult): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  const message = claasMessage(result.body);
  return { ...base, reason: message === undefined ? base.reason : `${base.reason}: ${message}` };
}

/** The CLAAS adapter. */
export const claasAdapter: ProviderAdapter<ClaasCredentialFields> = {
  async validate(credential, ctx) {
    const tokens = await refreshClaasTokens(credential, ctx);
    // One machine is enough to show that the token reads the organization's data.
    await fetchMachinesPage(ctx, tokens.accessToken, { size: 1 });
    return tokens;
  },
  refresh: refreshClaasTokens,
  classifyError: classifyClaasError,
};

function machineOf(value: Record<string, unknown>): ClaasMachine {
  const text = (name: string) => (typeof value[name] === 'string' ? (value[name] as string) : undefined);
  return { id: String(value['id']), name: text('name') ?? '', model: text('model'), serialNumber: text('serialNumber'), organizationId: text('organizationId') };
}

/** The message of an error body: RFC 9457's `detail` or `title` [I], or OAuth's `error_description`. */
function claasMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const object = parsed as { detail?: unknown; title?: unknown; error_description?: unknown };
  const message = [object.detail, object.error_description, object.title].find((m): m is string => typeof m === 'string');
  return message?.slice(0, 300);
}
