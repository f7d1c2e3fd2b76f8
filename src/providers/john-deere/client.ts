/**
 * John Deere Operations Center on the wire: the Okta token endpoints, the platform API hosts per
 * environment, Deere's media type and `nextPage` paging, organizations with their connection
 * links, and how Deere's answers map to error classes. The only file that knows Deere's URLs.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { refreshTokenGrant, revokeToken, type OAuthClientSettings } from '../oauth2-token-requests.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, Environment, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential, ProviderOrganization } from '../provider.js';

/** Deere's hosts (providers.md 1.1 and 1.2). */
export const JOHN_DEERE_HOSTS = {
  /**
   * The Okta custom authorization server. Same for sandbox and production apps [I]: the official
   * sample pairs it with sandboxapi, and no separate sandbox issuer was seen (providers.md 1.1).
   */
  signIn: {
    PRODUCTION: 'https://signin.johndeere.com/oauth2/aus78tnlaysMraFhC1t7',
    STAGE: 'https://signin.johndeere.com/oauth2/aus78tnlaysMraFhC1t7',
  },
  /**
   * The platform API: `sandboxapi.deere.com` for development apps; production partner apps call
   * `partnerapi.deere.com` (providers.md 1.2 lists both with api.deere.com; [3P] community
   * integrations use partnerapi for production).
   */
  api: {
    PRODUCTION: 'https://partnerapi.deere.com/platform',
    STAGE: 'https://sandboxapi.deere.com/platform',
  },
} as const satisfies Record<string, HostUrls>;

/** Deere's media type for requests and answers (providers.md 1.2). */
export const DEERE_MEDIA_TYPE = 'application/vnd.deere.axiom.v3+json';

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface JohnDeereCredentialFields {
  clientKey: string;
  clientSecret: string;
  refreshToken: string;
  clientEnvironment: Environment;
}

/** A Deere HATEOAS link (`{"@type": "Link", "rel", "uri"}`). */
export interface DeereLink {
  rel: string;
  uri: string;
}

/**
 * Whether the grower let this application into an organization (providers.md 1.3): connected
 * organizations carry `manage_connections`, the others `connections`, the page where the grower
 * selects them. Leaf shows these as SELECTED and PREVIEW/BLOCKED.
 */
export type OrganizationConnection = { state: 'connected'; manageUri: string } | { state: 'not_connected'; connectUri: string } | { state: 'unknown' };

/** An organization as `GET /organizations` lists it. */
export interface DeereOrganization {
  id: string;
  name: string;
  type: string | undefined;
  member: boolean | undefined;
  internal: boolean | undefined;
  connection: OrganizationConnection;
  links: DeereLink[];
}

/** Organization-scoped collections the adapter reads; farms and clients join with the hierarchy sync. */
export type DeereOrganizationCollection = 'fields';

/** [I] A stop for `nextPage` chains that never end (a provider bug must not hang a sync). */
const MAX_PAGES = 10_000;

/** The refresh token to use: the latest one Deere returned, else the one posted. */
function currentRefreshToken(credential: ProviderCredential<JohnDeereCredentialFields>): string {
  return credential.tokens?.refreshToken ?? credential.fields.refreshToken;
}

export function oauthSettings(ctx: AdapterContext, fields: JohnDeereCredentialFields): OAuthClientSettings {
  const issuer = ctx.baseUrl(JOHN_DEERE_HOSTS.signIn);
  // Okta's discovery document (providers.md 1.1), written out: no discovery round trip per refresh.
  return { server: { issuer, token_endpoint: `${issuer}/v1/token`, revocation_endpoint: `${issuer}/v1/revoke` }, clientId: fields.clientKey, clientSecret: fields.clientSecret };
}

/**
 * The `refresh_token` grant (providers.md 1.1: form body, HTTP Basic). Deere's rotation is not
 * documented [I]: a `refresh_token` in the answer is taken as authoritative and handed back.
 */
export async function refreshJohnDeereTokens(credential: ProviderCredential<JohnDeereCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  return refreshTokenGrant(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), classifyJohnDeereError);
}

/** Revokes the grower's refresh token at Okta's `revocation_endpoint` (RFC 7009; providers.md 1.1). */
export async function revokeJohnDeereGrant(credential: ProviderCredential<JohnDeereCredentialFields>, ctx: AdapterContext): Promise<void> {
  await revokeToken(ctx, oauthSettings(ctx, credential.fields), currentRefreshToken(credential), 'refresh_token', classifyJohnDeereError);
}

/** Every organization the token's user belongs to, with its connection state, all pages followed. */
export async function listOrganizations(ctx: AdapterContext, accessToken: string): Promise<DeereOrganization[]> {
  const values = await getCollection(ctx, accessToken, `${ctx.baseUrl(JOHN_DEERE_HOSTS.api)}/organizations`, classifyJohnDeereError);
  return values.map(organizationOf);
}

/**
 * An organization-scoped collection (`/organizations/{id}/fields`), all pages followed, as Deere's
 * raw objects. A 403 on an organization that carries a `connections` link is `org_not_connected`.
 */
export async function listOrganizationCollection(ctx: AdapterContext, accessToken: string, organization: DeereOrganization, collection: DeereOrganizationCollection): Promise<Record<string, unknown>[]> {
  const url = `${ctx.baseUrl(JOHN_DEERE_HOSTS.api)}/organizations/${encodeURIComponent(organization.id)}/${collection}`;
  return getCollection(ctx, accessToken, url, (result) => classifyJohnDeereError(result, { organization }));
}

/**
 * Where to send the grower to connect an organization: its `connections` link with
 * `?redirect_uri=` (providers.md 1.1, "redirect the user there with ?redirect_uri={urlencoded}").
 */
export function organizationConnectUrl(organization: DeereOrganization, redirectUri: string): string | undefined {
  if (organization.connection.state !== 'not_connected') return undefined;
  const url = new URL(organization.connection.connectUri);
  url.searchParams.set('redirect_uri', redirectUri);
  return url.toString();
}

/**
 * An organization as Leaf's organization endpoints show it (leaf-api.md 3.5): connected when Deere
 * gives a `manage_connections` link, whose page is Leaf's `managementUri`; otherwise the
 * `connections` page where the grower selects it. [I] An organization with neither link says
 * nothing about the connection; it counts as not connected, since its data cannot be promised.
 */
export function providerOrganizationOf(organization: DeereOrganization): ProviderOrganization {
  const { id, name, connection } = organization;
  if (connection.state === 'connected') return { id, name, connected: true, connectUrl: connection.manageUri };
  if (connection.state === 'not_connected') return { id, name, connected: false, connectUrl: connection.connectUri };
  return { id, name, connected: false };
}

/** `listOrganizations` of the adapter: Deere's organizations with the credential's current access token. */
export async function listJohnDeereOrganizations(credential: ProviderCredential<JohnDeereCredentialFields>, ctx: AdapterContext): Promise<ProviderOrganization[]> {
  const accessToken = credential.tokens?.accessToken;
  // The caller refreshes first; a credential without an access token has never been refreshed.
  if (accessToken === undefined) throw new ProviderError({ errorClass: 'auth_expired', reason: 'the credential holds no access token yet; refresh it first' });
  return (await listOrganizations(ctx, accessToken)).map(providerOrganizationOf);
}

/**
 * Deere's answers as error classes (providers.md 0.3): the token endpoint's `invalid_grant` or 401
 * is `auth_revoked`; a data API 401 `auth_expired`; a 403 `org_not_connected` when the organization
 * called carries a `connections` link, else `forbidden_scope`; 429 `rate_limited` and 5xx
 * `retry_later`, both with `Retry-After`. Deere's own message is added to the reason.
 */
export function classifyJohnDeereError(result: HttpResult, context: { organization?: DeereOrganization } = {}): ErrorClassification | undefined {
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  const message = deereMessage(result.body);
  const reason = message === undefined ? base.reason : `${base.reason}: ${message}`;
  if (result.purpose === 'api' && result.status === 403) {
    const organization = context.organization;
    if (organization?.connection.state === 'not_connected') {
      return { errorClass: 'org_not_connected', reason: `${reason} (organization ${organization.id} is not connected to this application; the grower connects it at ${organization.connection.connectUri})` };
    }
    return { ...base, errorClass: 'forbidden_scope', reason };
  }
  return { ...base, reason };
}

/** The John Deere adapter. */
export const johnDeereAdapter: ProviderAdapter<JohnDeereCredentialFields> = {
  async validate(credential, ctx) {
    const tokens = await refreshJohnDeereTokens(credential, ctx);
    // The token works for data: listing organizations needs no organization connection.
    await listOrganizations(ctx, tokens.accessToken);
    return tokens;
  },
  refresh: refreshJohnDeereTokens,
  revoke: revokeJohnDeereGrant,
  listOrganizations: listJohnDeereOrganizations,
  classifyError: (result) => classifyJohnDeereError(result),
};

/** Reads a Deere collection (`{ links, total, values }`), following `nextPage` (providers.md 1.2). */
async function getCollection(ctx: AdapterContext, accessToken: string, firstUrl: string, classify: (result: HttpResult) => ErrorClassification | undefined): Promise<Record<string, unknown>[]> {
  const origin = new URL(firstUrl).origin;
  const values: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  let url: string | undefined = firstUrl;
  while (url !== undefined) {
    if (seen.has(url) || seen.size >= MAX_PAGES) throw new ProviderError({ errorClass: 'permanent', reason: `Deere's nextPage links loop or exceed ${MAX_PAGES} pages at ${url}` });
    seen.add(url);
    const response = await callProvider(ctx, url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: DEERE_MEDIA_TYPE } });
    if (!response.ok) throw await providerErrorOf(response, 'api', classify);
    const page = await readJson(response, url);
    if (page === null || typeof page !== 'object' || !Array.isArray((page as { values?: unknown }).values)) {
      throw new ProviderError({ errorClass: 'permanent', reason: `expected a Deere collection ({ links, total, values }) from ${url}`, status: response.status });
    }
    values.push(...((page as { values: Record<string, unknown>[] }).values ?? []));
    const next = linksOf(page).find((link) => link.rel === 'nextPage')?.uri;
    // The bearer token goes only to the host it was issued for, whatever a link says.
    if (next !== undefined && new URL(next, url).origin !== origin) throw new ProviderError({ errorClass: 'permanent', reason: `Deere's nextPage link leaves ${origin}: ${next}` });
    url = next === undefined ? undefined : new URL(next, url).toString();
  }
  return values;
}

async function readJson(response: Response, url: string): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    // A body cut off or garbled on the way: the next attempt may read it whole.
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
}

function organizationOf(value: Record<string, unknown>): DeereOrganization {
  const links = linksOf(value);
  const manage = links.find((link) => link.rel === 'manage_connections');
  const connect = links.find((link) => link.rel === 'connections');
  const connection: OrganizationConnection = manage !== undefined ? { state: 'connected', manageUri: manage.uri } : connect !== undefined ? { state: 'not_connected', connectUri: connect.uri } : { state: 'unknown' };
  return {
    id: String(value['id']),
    name: typeof value['name'] === 'string' ? value['name'] : '',
    type: typeof value['type'] === 'string' ? value['type'] : undefined,
    member: typeof value['member'] === 'boolean' ? value['member'] : undefined,
    internal: typeof value['internal'] === 'boolean' ? value['internal'] : undefined,
    connection,
    links,
  };
}

function linksOf(value: unknown): DeereLink[] {
  const links = (value as { links?: unknown } | null)?.links;
  if (!Array.isArray(links)) return [];
  return links.filter((link): link is DeereLink => typeof link?.rel === 'string' && typeof link?.uri === 'string').map(({ rel, uri }) => ({ rel, uri }));
}

/**
 * The first message of a Deere error body. [I] Deere documents `[{ guid, message, ... }]` error
 * lists (providers.md 1.7) but not the 401/403 bodies (1.9): read `errors[].message`, a bare
 * list, Okta's `error_description`, or nothing.
 */
function deereMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { errors?: unknown } | null)?.errors;
  if (Array.isArray(list) && typeof list[0]?.message === 'string') return (list[0].message as string).slice(0, 300);
  const description = (parsed as { error_description?: unknown } | null)?.error_description;
  return typeof description === 'string' ? description.slice(0, 300) : undefined;
}

/**
 * The grower's consent page (providers.md 1.1): Okta's `authorize_endpoint` of the same custom
 * authorization server as the token endpoint, with PKCE S256 (Okta supports it for web apps).
 */
export function johnDeereAuthorizeUrl(ctx: AdapterContext, request: { clientKey: string; redirectUri: string; scopes: readonly string[]; state: string; codeChallenge?: string | undefined }): string {
  const url = new URL(`${ctx.baseUrl(JOHN_DEERE_HOSTS.signIn)}/v1/authorize`);
  const params: Record<string, string> = { response_type: 'code', client_id: request.clientKey, redirect_uri: request.redirectUri, scope: request.scopes.join(' '), state: request.state };
  if (request.codeChallenge !== undefined) Object.assign(params, { code_challenge: request.codeChallenge, code_challenge_method: 'S256' });
  url.search = new URLSearchParams(params).toString();
  return url.toString();
}
