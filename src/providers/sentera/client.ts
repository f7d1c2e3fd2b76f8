/**
 * Sentera FieldAgent on the wire (providers.md 10): the legacy session login Leaf's Sentera
 * credential uses (`POST /v1/sessions`, email and password for an `auth_token` that lasts three
 * months), then GraphQL at `/graphql` with the token in `Authorization`, `pagination` arguments,
 * and errors that may arrive with HTTP 200. The only file that knows Sentera's URLs and wire format.
 */
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, httpResultOf, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/** Sentera's API host (providers.md 10.1 and 10.2): sessions and GraphQL on one host, one environment. */
export const SENTERA_HOSTS = {
  api: { PRODUCTION: 'https://api.sentera.com' },
} as const satisfies Record<string, HostUrls>;

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface SenteraCredentialFields {
  /** The FieldAgent account's email (the session's `email`). */
  username: string;
  password: string;
  /** The organization whose data to read, by name; looked up once per login. */
  organizationName: string;
}

/**
 * "The auth_token will expire after 3 months" (providers.md 10.1). [I] The answer carries no
 * expiry, so three months are read as 90 days from the login: never later than the token's end.
 */
export const SESSION_LIFETIME_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;
/** [I] No maximum is published; the docs' examples ask for 100. */
export const PAGE_SIZE = 100;
/** [I] A stop for paging that never ends. */
const MAX_PAGES = 1_000;

/** What the session login answers (providers.md 10.1), with the expiry it implies. */
export interface SenteraSession {
  authToken: string;
  userSenteraId: string | undefined;
  userEmail: string | undefined;
  status: string | undefined;
  /** ISO-8601. */
  expiresAt: string;
}

/** An organization as the `organizations` query gives it (providers.md 10.3). */
export interface SenteraOrganization {
  senteraId: string;
  name: string;
}

/** One page of a paginated GraphQL list (`total_count`, `page`, `results`; providers.md 10.2). */
export interface SenteraPage<T> {
  totalCount: number;
  page: number;
  results: T[];
}

/**
 * The login body, exactly as the legacy authentication page shows it (providers.md 10.1):
 * `{"session": {"email", "password", "platform_id": "API", "version_id": "1.0.0"}}`.
 */
export function sessionRequestBody(fields: Pick<SenteraCredentialFields, 'username' | 'password'>) {
  return { session: { email: fields.username, password: fields.password, platform_id: 'API', version_id: '1.0.0' } };
}

/**
 * The session from a login answer, or an error saying what was missing. [I] A user whose
 * `status` is not `active` cannot use the API: `auth_revoked`.
 */
export function sessionFromAnswer(body: unknown, now: number): SenteraSession {
  const answer = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const authToken = answer['auth_token'];
  if (typeof authToken !== 'string' || authToken === '') throw new ProviderError({ errorClass: 'permanent', reason: 'expected an auth_token in the session answer; found none', status: 200 });
  const status = typeof answer['status'] === 'string' ? answer['status'] : undefined;
  if (status !== undefined && status.toLowerCase() !== 'active') throw new ProviderError({ errorClass: 'auth_revoked', reason: `Sentera says the user is ${status}, not active`, status: 200 });
  return {
    authToken,
    userSenteraId: typeof answer['user_sentera_id'] === 'string' ? answer['user_sentera_id'] : undefined,
    userEmail: typeof answer['user_email'] === 'string' ? answer['user_email'] : undefined,
    status,
    expiresAt: new Date(now + SESSION_LIFETIME_DAYS * DAY_MS).toISOString(),
  };
}

/** `POST /v1/sessions`: logs in with the email and password (providers.md 10.1). */
export async function createSession(ctx: AdapterContext, fields: Pick<SenteraCredentialFields, 'username' | 'password'>): Promise<SenteraSession> {
  const url = `${ctx.baseUrl(SENTERA_HOSTS.api)}/v1/sessions`;
  const response = await callProvider(ctx, url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(sessionRequestBody(fields)) });
  if (!response.ok) throw await providerErrorOf(response, 'token', classifySenteraError);
  return sessionFromAnswer(await readJson(response, url), ctx.now());
}

/**
 * One GraphQL request. The token goes in `Authorization` ("should be sent in the Authorization
 * header", providers.md 10.1) as `Bearer` ([3P] the API's OpenAPI description). Field errors can
 * come with HTTP 200, so the answer is classified whatever its status.
 */
export async function graphqlRequest<T = Record<string, unknown>>(ctx: AdapterContext, authToken: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const url = `${ctx.baseUrl(SENTERA_HOSTS.api)}/graphql`;
  const response = await callProvider(ctx, url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${authToken}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifySenteraError);
  const result = await httpResultOf(response, 'api');
  const classification = classifySenteraError(result);
  if (classification !== undefined) throw new ProviderError({ ...classification, status: response.status });
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (data === null || typeof data !== 'object') throw new ProviderError({ errorClass: 'permanent', reason: `expected { data } from ${url}`, status: response.status });
  return data as T;
}

const ORGANIZATIONS_QUERY = `query Organizations($page: Int!, $pageSize: Int!) {
  organizations(pagination: { page: $page, page_size: $pageSize }) {
    total_count
    page
    results { sentera_id name }
  }
}`;

const FIELDS_QUERY = `query Fields($ownerId: ID, $page: Int!, $pageSize: Int!) {
  fields(owner_id: $ownerId, pagination: { page: $page, page_size: $pageSize }) {
    total_count
    page
    results { sentera_id name latitude longitude }
  }
}`;

/** Every organization the user can access, "including partnerships" (providers.md 10.3), all pages. */
export async function listOrganizations(ctx: AdapterContext, authToken: string): Promise<SenteraOrganization[]> {
  const organizations: SenteraOrganization[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const data = await graphqlRequest(ctx, authToken, ORGANIZATIONS_QUERY, { page, pageSize: PAGE_SIZE });
    const list = pageOf(data['organizations'], 'organizations');
    for (const result of list.results) {
      const senteraId = result['sentera_id'];
      if (typeof senteraId === 'string') organizations.push({ senteraId, name: typeof result['name'] === 'string' ? result['name'] : '' });
    }
    if (list.results.length === 0 || page * PAGE_SIZE >= list.totalCount) return organizations;
  }
  throw new ProviderError({ errorClass: 'permanent', reason: `Sentera kept paging organizations past ${MAX_PAGES} pages` });
}

/** One page of an organization's fields (`fields(owner_id:, pagination:)`, providers.md 10.4); pages start at 1. */
export async function fetchFieldsPage(ctx: AdapterContext, authToken: string, options: { ownerId: string; page?: number; pageSize?: number }): Promise<SenteraPage<Record<string, unknown>>> {
  const data = await graphqlRequest(ctx, authToken, FIELDS_QUERY, { ownerId: options.ownerId, page: options.page ?? 1, pageSize: options.pageSize ?? PAGE_SIZE });
  return pageOf(data['fields'], 'fields');
}

/** Every field of an organization, all pages. */
export async function listFields(ctx: AdapterContext, authToken: string, ownerId: string): Promise<Record<string, unknown>[]> {
  const fields: Record<string, unknown>[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const list = await fetchFieldsPage(ctx, authToken, { ownerId, page });
    fields.push(...list.results);
    if (list.results.length === 0 || page * PAGE_SIZE >= list.totalCount) return fields;
  }
  throw new ProviderError({ errorClass: 'permanent', reason: `Sentera kept paging fields past ${MAX_PAGES} pages` });
}

/**
 * The organization the credential names. [I] Leaf does not say how it matches the name: exactly
 * first, else ignoring case and surrounding spaces; two matches are refused rather than guessed.
 * Not finding it means the user has no access to it: `forbidden_scope`.
 */
export function findOrganization(organizations: readonly SenteraOrganization[], name: string): SenteraOrganization {
  const exact = organizations.filter((organization) => organization.name === name);
  const loose = exact.length > 0 ? exact : organizations.filter((organization) => organization.name.trim().toLowerCase() === name.trim().toLowerCase());
  if (loose.length === 1) return loose[0]!;
  if (loose.length > 1) {
    throw new ProviderError({ errorClass: 'permanent', reason: `${loose.length} organizations this user can access are named "${name}" (${loose.map((o) => o.senteraId).join(', ')}); rename one in FieldAgent so the name picks one` });
  }
  const known = organizations.slice(0, 5).map((organization) => `"${organization.name}"`);
  const more = organizations.length > 5 ? ` and ${organizations.length - 5} more` : '';
  const expected = known.length === 0 ? 'it can access none at all' : `expected one of ${known.join(', ')}${more}`;
  throw new ProviderError({ errorClass: 'forbidden_scope', reason: `the user can access no organization named "${name}"; ${expected}` });
}

/**
 * Sentera's answers as error classes (providers.md 0.3 and 10):
 * - the session login: 401 (and [I] 403 and 422, Rails' other answers to a refused sign-in) is a
 *   refused email or password, `auth_revoked`; 429 and 5xx as usual;
 * - GraphQL over HTTP: 401 `auth_expired` (a new login fixes it), 403 `forbidden_scope`;
 * - GraphQL `errors` with HTTP 200 ([3P] providers.md 10.2): [I] by `extensions.code`, else by
 *   message: not authenticated `auth_expired`; not authorized or forbidden `forbidden_scope`;
 *   throttled `rate_limited`; not found `not_found`; anything else (a bad query) `permanent`.
 */
export function classifySenteraError(result: HttpResult): ErrorClassification | undefined {
  const message = senteraMessage(result.body);
  if (result.status >= 200 && result.status < 300) {
    const error = graphqlErrorOf(result.body);
    if (error === undefined) return undefined;
    const reason = `GraphQL answered with errors: ${error.message}`;
    const kind = `${error.code ?? ''} ${error.message}`;
    if (/UNAUTHENTICATED|not authenticated|not logged in|invalid (auth|session) token|token (has )?expired/i.test(kind)) return { errorClass: 'auth_expired', reason };
    if (/FORBIDDEN|UNAUTHORIZED|not authorized|permission|access denied/i.test(kind)) return { errorClass: 'forbidden_scope', reason };
    if (/RATE_LIMITED|THROTTLED|too many requests/i.test(kind)) return { errorClass: 'rate_limited', reason };
    if (/NOT_FOUND|not found/i.test(kind)) return { errorClass: 'not_found', reason };
    return { errorClass: 'permanent', reason };
  }
  const base = classifyHttpError(result);
  if (base === undefined) return undefined;
  // classifyHttpError already names a Rails `{"error": "..."}` as if it were an OAuth error code.
  const reason = message === undefined || base.reason.includes(message) ? base.reason : `${base.reason}: ${message}`;
  if (result.purpose === 'token' && (result.status === 401 || result.status === 403 || result.status === 422)) {
    return { errorClass: 'auth_revoked', reason: `${reason} (Sentera refused the email and password; the grower updates them)` };
  }
  return { ...base, reason };
}

/**
 * Logs in, finds the named organization and reads one of its fields: the password works, the
 * organization is reachable and its data readable. The session token and its three-month expiry
 * are the token set; the organization's id goes in `raw`, as Leaf keeps `organizationId`.
 * Refresh does the same: the only way to renew a legacy session is to log in again.
 */
export async function connectSentera(credential: ProviderCredential<SenteraCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  const { fields } = credential;
  const session = await createSession(ctx, fields);
  const organization = findOrganization(await listOrganizations(ctx, session.authToken), fields.organizationName);
  await fetchFieldsPage(ctx, session.authToken, { ownerId: organization.senteraId, page: 1, pageSize: 1 });
  return {
    accessToken: session.authToken,
    expiresAt: session.expiresAt,
    raw: { organizationId: organization.senteraId, organizationName: organization.name, userSenteraId: session.userSenteraId, status: session.status },
  };
}

/** The Sentera adapter. */
export const senteraAdapter: ProviderAdapter<SenteraCredentialFields> = {
  validate: connectSentera,
  refresh: connectSentera,
  classifyError: classifySenteraError,
};

function pageOf(value: unknown, name: string): SenteraPage<Record<string, unknown>> {
  const page = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  const results = page?.['results'];
  if (page === undefined || !Array.isArray(results)) throw new ProviderError({ errorClass: 'permanent', reason: `expected { total_count, page, results } for ${name}`, status: 200 });
  return {
    totalCount: typeof page['total_count'] === 'number' ? page['total_count'] : results.length,
    page: typeof page['page'] === 'number' ? page['page'] : 1,
    results: results.filter((result): result is Record<string, unknown> => result !== null && typeof result === 'object'),
  };
}

/** The first GraphQL error (`errors[0]`: `message`, `extensions.code`), if the body has any. */
function graphqlErrorOf(body: string): { message: string; code: string | undefined } | undefined {
  const errors = (parseJson(body) as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const first = errors[0] as { message?: unknown; extensions?: { code?: unknown } } | null;
  const message = typeof first?.message === 'string' ? first.message.slice(0, 300) : 'no message';
  const code = typeof first?.extensions?.code === 'string' ? first.extensions.code : undefined;
  return { message, code };
}

/** What a failed answer says: a GraphQL error, Rails' `error`/`errors`, or OAuth's `error_description`. */
function senteraMessage(body: string): string | undefined {
  const graphql = graphqlErrorOf(body);
  if (graphql !== undefined) return graphql.message;
  const parsed = parseJson(body) as { error?: unknown; errors?: unknown; error_description?: unknown; message?: unknown } | undefined;
  if (parsed === undefined || parsed === null || typeof parsed !== 'object') return undefined;
  const candidates = [parsed.error_description, parsed.error, parsed.message, Array.isArray(parsed.errors) ? parsed.errors[0] : parsed.errors];
  const message = candidates.find((candidate): candidate is string => typeof candidate === 'string');
  return message?.slice(0, 300);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

async function readJson(response: Response, url: string): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${url} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
}
