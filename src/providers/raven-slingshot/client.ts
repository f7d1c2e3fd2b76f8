/**
 * Raven Slingshot on the wire (providers.md 8): no token at all, every request signed with
 * HMAC-SHA1 over method, host, path, Unix time and both keys; JSON asked for with `Accept`;
 * `page`/`pagesize` paging with `IsNextPage`; 30 calls a minute; file conversions answered 200
 * `MORE_TIME_NEEDED`. The only file that knows Slingshot's URLs and wire format.
 */
import crypto from 'node:crypto';
import type { TokenSet } from '../../domain/index.js';
import { classifyHttpError } from '../classify-http-error.js';
import { ProviderError } from '../provider-error.js';
import { callProvider, httpResultOf, providerErrorOf } from '../provider-http.js';
import type { AdapterContext, ErrorClassification, HostUrls, HttpResult, ProviderAdapter, ProviderCredential } from '../provider.js';

/**
 * Slingshot's one host (providers.md 8.2): "Every request to the production Slingshot API Servers
 * must be encrypted via SSL". No test host was captured, so the body has no `clientEnvironment`.
 */
export const RAVEN_SLINGSHOT_HOSTS = {
  api: { PRODUCTION: 'https://api.ravenslingshot.com' },
} as const satisfies Record<string, HostUrls>;

/** The credential body fields the adapter reads (`index.ts` has the schema). */
export interface RavenSlingshotCredentialFields {
  /** The ISV's API key (`X-SS-APIKey`). */
  apiKey: string;
  /** The key the grower issued in the Slingshot Portal (`X-SS-AccessKey`); they may revoke it at any time. */
  accessKey: string;
  /** The ISV's shared secret, Base64: the HMAC key once decoded. */
  sharedSecret: string;
}

/** "The request will have a valid lifetime of 120 seconds to prevent replay attacks" (providers.md 8.1). */
export const SIGNATURE_LIFETIME_SECONDS = 120;
/** "All calls to the API are subject to a rate limit of 30 calls per every 60 seconds" (providers.md 8.2). */
export const RATE_LIMIT_CALLS = 30;
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** [I] No maximum is published; 100 keeps a full listing of a busy account to a few calls of the 30 a minute. */
export const MAX_PAGE_SIZE = 100;
/** [I] A stop for `IsNextPage` chains that never end. */
const MAX_PAGES = 10_000;
/** [I] How long a `MORE_TIME_NEEDED` without a readable time span asks to wait; the docs' example is 30 s. */
const DEFAULT_MORE_TIME_MS = 30_000;

/** The parts of a request the signature covers (providers.md 8.1). */
export interface SignatureInput {
  method: string;
  /** The host name as the request carries it (with a port only when it is not the scheme's default). */
  host: string;
  /** The absolute path; a query string, if given, is dropped. */
  path: string;
  /** Unix seconds, as sent in `X-SS-TimeStamp`. */
  timestamp: number | string;
  apiKey: string;
  accessKey: string;
}

/**
 * The string Slingshot signs: `{Method}\r\n{Host}\r\n{URL}\r\n{Unix Timestamp}\r\n{API Key}\r\n{Access Key}\r\n`
 * with the method in capitals, host and path ("absolute URI minus query string") in lower case,
 * and both keys "in the case in which it was generated" (providers.md 8.1).
 */
export function slingshotStringToSign(input: SignatureInput): string {
  const path = input.path.split('?')[0]!.toLowerCase();
  return `${input.method.toUpperCase()}\r\n${input.host.toLowerCase()}\r\n${path}\r\n${input.timestamp}\r\n${input.apiKey}\r\n${input.accessKey}\r\n`;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * The HMAC key: the shared secret Base64-decoded ([3P] two independent community clients decode
 * it, "Docs show the shared secret is Base64-encoded"; providers.md 8.1). A secret that is not
 * Base64 cannot sign anything Slingshot accepts, so it is refused here rather than silently
 * decoded to other bytes.
 */
export function decodeSharedSecret(sharedSecret: string): Buffer {
  const text = sharedSecret.trim();
  if (text === '' || !BASE64.test(text)) {
    throw new ProviderError({ errorClass: 'permanent', reason: 'the shared secret is not Base64 (expected the secret exactly as Raven issued it, e.g. "c2VjcmV0Li4u")' });
  }
  return Buffer.from(text, 'base64');
}

/** `X-SS-Signature`: Base64 of HMAC-SHA1(decoded shared secret, string to sign), the string encoded as UTF-8. */
export function slingshotSignature(input: SignatureInput & { sharedSecret: string }): string {
  return crypto.createHmac('sha1', decodeSharedSecret(input.sharedSecret)).update(slingshotStringToSign(input), 'utf8').digest('base64');
}

/** The four headers of every request (providers.md 8.1), signed for `method` and `url` at `nowMs`. */
export function signedHeaders(fields: RavenSlingshotCredentialFields, method: string, url: URL, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  const signature = slingshotSignature({ method, host: url.host, path: url.pathname, timestamp, apiKey: fields.apiKey, accessKey: fields.accessKey, sharedSecret: fields.sharedSecret });
  return { 'X-SS-APIKey': fields.apiKey, 'X-SS-AccessKey': fields.accessKey, 'X-SS-TimeStamp': String(timestamp), 'X-SS-Signature': signature };
}

/** `GET /accesskey` (providers.md 8.1): the access key's state, "to determine the cause of any 'Invalid Access Key' messages". */
export interface AccessKeyDetail {
  id: string | undefined;
  friendlyName: string | undefined;
  description: string | undefined;
  isActive: boolean;
  /** ISO-8601; `undefined` when the key has no expiry. */
  expiresAt: string | undefined;
}

/** One as-applied file of `GET /jobdata` (providers.md 8.6). */
export interface JobDataSummary {
  id: string;
  name: string;
  uri: string | undefined;
  subtype: string | undefined;
  createdAt: string | undefined;
  updatedAt: string | undefined;
}

/** One page of `GET /jobdata`, newest first ("returned in created date descending order"). */
export interface JobDataPage {
  items: JobDataSummary[];
  /** 0-based, as `pageindex` (providers.md 8.2). */
  pageIndex: number;
  pageSize: number;
  totalCount: number;
  totalPages: number;
  isNextPage: boolean;
}

/** The formats a job data file is served in (providers.md 8.6): the original zip, shapefiles, or FMIS XML + TAB. */
export type JobDataFormat = 'bin' | 'shp' | 'fmis';

/**
 * A signed GET of a path below the API host. Answers other than 2xx are thrown as classified
 * `ProviderError`s; a 200 carrying `MORE_TIME_NEEDED` or `NO_COVERAGE` too.
 */
export async function signedGet(ctx: AdapterContext, fields: RavenSlingshotCredentialFields, path: string, query: Record<string, string | undefined> = {}, accept = 'application/json'): Promise<Response> {
  const url = new URL(`${ctx.baseUrl(RAVEN_SLINGSHOT_HOSTS.api)}${path}`);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  // Signed immediately before sending: the signature lives 120 seconds.
  const headers = { ...signedHeaders(fields, 'GET', url, ctx.now()), Accept: accept };
  const response = await callProvider(ctx, url.toString(), { headers });
  if (!response.ok) throw await providerErrorOf(response, 'api', classifyRavenSlingshotError);
  if (isEnvelope(response)) {
    const result = await httpResultOf(response, 'api');
    const classification = classifyRavenSlingshotError(result);
    if (classification !== undefined) throw new ProviderError({ ...classification, status: response.status });
    return new Response(result.body, { status: response.status, headers: response.headers });
  }
  return response;
}

/** `GET /accesskey`: the access key's detail. */
export async function getAccessKeyDetail(ctx: AdapterContext, fields: RavenSlingshotCredentialFields): Promise<AccessKeyDetail> {
  const body = await readObject(await signedGet(ctx, fields, '/accesskey'), '/accesskey');
  const isActive = property(body, 'IsActive');
  const expires = stringOf(property(body, 'ExpirationDateTime'));
  return {
    id: stringOf(property(body, 'ID')),
    friendlyName: stringOf(property(body, 'FriendlyName')),
    description: stringOf(property(body, 'Description')),
    // JSON has a boolean (providers.md 8.1); XML-minded serializers write "true".
    isActive: isActive === true || String(isActive).toLowerCase() === 'true',
    expiresAt: expires === undefined || Number.isNaN(Date.parse(expires)) ? undefined : new Date(Date.parse(expires)).toISOString(),
  };
}

/**
 * One page of `GET /jobdata` (providers.md 8.6): `page` is 0-based like the answer's `pageindex`
 * [I]; `since` asks for the files created between then and now (`date`).
 */
export async function fetchJobDataPage(ctx: AdapterContext, fields: RavenSlingshotCredentialFields, options: { page?: number; pageSize?: number; since?: string | undefined } = {}): Promise<JobDataPage> {
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, options.pageSize ?? MAX_PAGE_SIZE));
  const query = { pagesize: String(pageSize), page: String(Math.max(0, options.page ?? 0)), date: options.since };
  const body = await readObject(await signedGet(ctx, fields, '/jobdata', query), '/jobdata');
  // [3P] JSON casing `IsNextPage` etc.; XML is lower case (providers.md 8.2): names are matched case-insensitively.
  const list = property(body, 'JobData') ?? Object.values(body).find(Array.isArray) ?? [];
  if (!Array.isArray(list)) throw new ProviderError({ errorClass: 'permanent', reason: 'expected a list of job data in the /jobdata answer', status: 200 });
  const items = list.filter((item): item is Record<string, unknown> => item !== null && typeof item === 'object').map(jobDataOf);
  return {
    items,
    pageIndex: numberOf(property(body, 'PageIndex')) ?? options.page ?? 0,
    pageSize: numberOf(property(body, 'PageSize')) ?? pageSize,
    totalCount: numberOf(property(body, 'TotalCount')) ?? items.length,
    totalPages: numberOf(property(body, 'TotalPages')) ?? 1,
    isNextPage: property(body, 'IsNextPage') === true || String(property(body, 'IsNextPage')).toLowerCase() === 'true',
  };
}

/** Every job data summary, all pages, newest first. Each page is one of the 30 calls a minute. */
export async function listJobData(ctx: AdapterContext, fields: RavenSlingshotCredentialFields, options: { pageSize?: number; since?: string | undefined } = {}): Promise<JobDataSummary[]> {
  const items: JobDataSummary[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await fetchJobDataPage(ctx, fields, { ...options, page });
    items.push(...answer.items);
    if (!answer.isNextPage || answer.items.length === 0) return items;
  }
  throw new ProviderError({ errorClass: 'permanent', reason: `Slingshot kept answering IsNextPage past ${MAX_PAGES} pages of /jobdata` });
}

/**
 * `GET /jobdata/{id}?format=...` (providers.md 8.6): the file's answer, or a `retry_later` error
 * with the wait Slingshot asks for while it converts (`MORE_TIME_NEEDED`), or `not_found` for
 * `NO_COVERAGE`. Reading and storing the file comes with downloads.
 */
export async function requestJobDataFile(ctx: AdapterContext, fields: RavenSlingshotCredentialFields, id: string, format: JobDataFormat): Promise<Response> {
  return signedGet(ctx, fields, `/jobdata/${encodeURIComponent(id)}`, { format }, '*/*');
}

/**
 * Slingshot's answers as error classes (providers.md 0.3 and 8):
 * - 401: the API key, signature, time or access key was refused. [I] The body says which check
 *   failed ("Details of what check failed may be returned"): a time outside the 120-second window
 *   is this server's clock, which no grower can fix, so `permanent`; anything else is a key or
 *   secret that no longer works, `auth_revoked` (there is no token to refresh).
 * - 403: [I] the access key's delegation does not reach the resource: `forbidden_scope`.
 * - 429: `rate_limited`, with `Retry-After` when sent, else the 60-second window.
 * - 5xx: `retry_later`; 404 `not_found`.
 * - 200 `MORE_TIME_NEEDED` with a time span (`00:00:30`): `retry_later` after that span;
 *   200 `NO_COVERAGE`: `not_found`.
 */
export function classifyRavenSlingshotError(result: HttpResult, now: number = Date.now()): ErrorClassification | undefined {
  if (result.status >= 200 && result.status < 300) {
    const envelope = envelopeOf(result.body);
    if (envelope?.status === 'MORE_TIME_NEEDED') {
      const wait = parseTimeSpan(envelope.errorInfo ?? '');
      return { errorClass: 'retry_later', reason: `Slingshot is still preparing the file (MORE_TIME_NEEDED, ${envelope.errorInfo ?? 'no time given'})`, retryAfterMs: wait ?? DEFAULT_MORE_TIME_MS };
    }
    if (envelope?.status === 'NO_COVERAGE') return { errorClass: 'not_found', reason: `Slingshot has no coverage for the file (NO_COVERAGE${envelope.errorInfo === undefined ? '' : `: ${envelope.errorInfo}`})` };
    return undefined;
  }
  const base = classifyHttpError({ ...result, purpose: 'api' }, now);
  if (base === undefined) return undefined;
  const message = slingshotMessage(result.body);
  const reason = message === undefined ? base.reason : `${base.reason}: ${message}`;
  if (result.status === 401) {
    if (message !== undefined && /time ?stamp|expired request|request (has )?expired|lifetime|clock/i.test(message)) {
      return { errorClass: 'permanent', reason: `${reason} (the X-SS-TimeStamp was outside Slingshot's ${SIGNATURE_LIFETIME_SECONDS}-second window: check this server's clock)` };
    }
    return { errorClass: 'auth_revoked', reason: `${reason} (the API key, shared secret or access key is no longer accepted)` };
  }
  // [I] Slingshot documents no Retry-After; without one, the window has room again within a minute.
  if (result.status === 429) return { ...base, reason, retryAfterMs: base.retryAfterMs ?? RATE_LIMIT_WINDOW_MS };
  return { ...base, reason };
}

/**
 * Proves the credential works now: the access key is active and unexpired (`GET /accesskey`) and
 * job data can be read with it (one summary). Slingshot issues no token, so what comes back is the
 * access key itself ("Token issued to a Slingshot user from the Raven Slingshot Portal Server",
 * providers.md 8.1 access-key summary) with its `ExpirationDateTime`: the only thing about this
 * credential that expires. Refresh does the same check: nothing is renewed, but `/refresh` and the
 * refresh jobs then report the same statuses as for OAuth providers.
 */
export async function checkRavenSlingshotCredential(credential: ProviderCredential<RavenSlingshotCredentialFields>, ctx: AdapterContext): Promise<TokenSet> {
  const { fields } = credential;
  const detail = await getAccessKeyDetail(ctx, fields);
  const name = detail.friendlyName === undefined ? 'the access key' : `the access key "${detail.friendlyName}"`;
  if (!detail.isActive) throw new ProviderError({ errorClass: 'auth_revoked', reason: `${name} is no longer active: the grower revoked it in the Slingshot Portal and must issue a new one`, status: 200 });
  if (detail.expiresAt !== undefined && Date.parse(detail.expiresAt) <= ctx.now()) {
    throw new ProviderError({ errorClass: 'auth_revoked', reason: `${name} expired at ${detail.expiresAt}; the grower issues a new one in the Slingshot Portal`, status: 200 });
  }
  await fetchJobDataPage(ctx, fields, { page: 0, pageSize: 1 });
  const tokens: TokenSet = { accessToken: fields.accessKey, raw: { accessKeyId: detail.id, friendlyName: detail.friendlyName, isActive: detail.isActive } };
  if (detail.expiresAt !== undefined) tokens.expiresAt = detail.expiresAt;
  return tokens;
}

/** The Raven Slingshot adapter. */
export const ravenSlingshotAdapter: ProviderAdapter<RavenSlingshotCredentialFields> = {
  validate: checkRavenSlingshotCredential,
  refresh: checkRavenSlingshotCredential,
  classifyError: (result) => classifyRavenSlingshotError(result),
};

/**
 * A .NET `TimeSpan` as Slingshot writes it in `errorinfo` (`00:00:30`, `1.02:03:04.5`), in
 * milliseconds; `undefined` when it is not one.
 */
export function parseTimeSpan(text: string): number | undefined {
  const match = /^\s*(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?\s*$/.exec(text);
  if (match === null) return undefined;
  const [, days = '0', hours, minutes, seconds, fraction = '0'] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + Math.round(Number(`0.${fraction}`) * 1000);
}

/** The `slingshotresponse` envelope (`status`, `errorinfo`) in JSON or XML, if the body is one. */
function envelopeOf(body: string): { status: string; errorInfo: string | undefined } | undefined {
  const json = parseJson(body);
  if (json !== undefined && json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const status = stringOf(property(json as Record<string, unknown>, 'Status'));
    return status === undefined ? undefined : { status: status.toUpperCase(), errorInfo: stringOf(property(json as Record<string, unknown>, 'ErrorInfo')) };
  }
  const status = xmlText(body, 'status');
  return status === undefined ? undefined : { status: status.toUpperCase(), errorInfo: xmlText(body, 'errorinfo') };
}

/** What a failed answer says: the envelope's `errorinfo`, a JSON `Message`, or short plain text. */
function slingshotMessage(body: string): string | undefined {
  const envelope = envelopeOf(body);
  if (envelope?.errorInfo !== undefined) return envelope.errorInfo.slice(0, 300);
  const json = parseJson(body);
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const message = stringOf(property(json as Record<string, unknown>, 'Message'));
    if (message !== undefined) return message.slice(0, 300);
  }
  const text = body.trim();
  return text !== '' && !text.startsWith('<') && !text.startsWith('{') ? text.slice(0, 300) : undefined;
}

function isEnvelope(response: Response): boolean {
  return /json|xml/i.test(response.headers.get('content-type') ?? '');
}

async function readObject(response: Response, path: string): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ProviderError({ errorClass: 'retry_later', reason: `unreadable JSON from ${path} (${error instanceof Error ? error.message : String(error)})`, status: response.status }, { cause: error });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ProviderError({ errorClass: 'permanent', reason: `expected a JSON object from ${path}`, status: response.status });
  return body as Record<string, unknown>;
}

function jobDataOf(value: Record<string, unknown>): JobDataSummary {
  return {
    id: stringOf(property(value, 'ID')) ?? '',
    name: stringOf(property(value, 'Name')) ?? '',
    uri: stringOf(property(value, 'URI')),
    subtype: stringOf(property(value, 'SubType')),
    createdAt: stringOf(property(value, 'CreateDate')),
    updatedAt: stringOf(property(value, 'UpdateDate')),
  };
}

/** A property by name, any casing: Slingshot's JSON is PascalCase, its XML lower case (providers.md 8.1, 8.2). */
function property(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const wanted = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : object[key];
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? number : undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function xmlText(body: string, element: string): string | undefined {
  const match = new RegExp(`<${element}(?:\\s[^>]*)?>([^<]*)</${element}>`, 'i').exec(body);
  return match?.[1]?.trim();
}
