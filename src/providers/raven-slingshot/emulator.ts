/**
 * Raven Slingshot served locally (providers.md 8.8): the four `X-SS-` headers required, the API
 * key looked up, the HMAC-SHA1 signature recomputed with the Base64-decoded secret, a timestamp
 * more than 120 seconds off refused, then the access key checked; each refusal a 401 saying which
 * check failed, as Slingshot does. 30 calls a minute per API key. `/accesskey`, `/jobdata` with
 * `page`/`pagesize` paging and `date`, `/jobdata/{id}` with `format=` answered `MORE_TIME_NEEDED`;
 * JSON or XML by `Accept`. Paths are the production ones, below `/sandbox/raven-slingshot`.
 *
 * A sandbox account maps onto Slingshot like this: the app's API key is the ISV's `X-SS-APIKey`,
 * the bytes of its client secret are the shared secret, and the account's grant is the grower's
 * access key (its refresh token is the key's text). So the `revoke` fault is the grower revoking
 * the key in the Slingshot Portal, and `limitedPermission` narrows the key's delegation.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import { RATE_LIMIT_CALLS, RATE_LIMIT_WINDOW_MS, SIGNATURE_LIFETIME_SECONDS, type RavenSlingshotCredentialFields } from './client.js';

/** [I] The delegations an access key may carry; job data is what Furrow reads, so `limitedPermission` takes it. */
const DELEGATIONS = ['jobdata', 'graincart', 'prescriptionmaps'];
const JOB_DATA = 'jobdata';
/** [I] Access keys carry an `ExpirationDateTime` (providers.md 8.1); sandbox keys live a year. */
const ACCESS_KEY_SECONDS = 365 * 24 * 3600;
/** The page size of the documented sample (providers.md 8.6); [I] at most 100. */
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
/** The wait of the documented `MORE_TIME_NEEDED` example (providers.md 8.6). */
const CONVERSION_WAIT = '00:00:30';
const SUBTYPES = ['Sprayer', 'Planter', 'Spreader'];
/** [I] Sandbox job data is dated back from here, an hour apart, newest first. */
const NEWEST_JOB_DATA = Date.UTC(2024, 5, 1, 12);
/** [3P] The body community clients see with a 429 (providers.md 8.2). */
const RATE_LIMITED_BODY = 'Exceeded maximum requests.';

const INDEX_NAMESPACE = 'http://schemas.ravenslingshot.com/SlingshotIndex/2010';
const ACCESS_KEY_NAMESPACE = 'http://schemas.ravenslingshot.com/AccessKeyDetail/2010';

/** The Raven Slingshot emulator. */
export const ravenSlingshotEmulator: ProviderEmulator<RavenSlingshotCredentialFields> = {
  // The sandbox's grant is the access key: it does not rotate and lives as long as the key.
  oauth: {
    accessTokenSeconds: ACCESS_KEY_SECONDS,
    refreshTokenSeconds: ACCESS_KEY_SECONDS,
    refreshTokenLifetime: 'fixed',
    scopes: DELEGATIONS,
    essentialScope: JOB_DATA,
  },

  credentialBody: (account, grant) => ({
    apiKey: account.app.apiKey,
    accessKey: grant.refreshToken,
    sharedSecret: sharedSecretOf(account).toString('base64'),
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    if (fault.fault === 'rate_limited') return { status: 429, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: RATE_LIMITED_BODY };
    return { status: 503, headers, body: envelope('ERROR', 'The sandbox injected a server error.') };
  },

  async routes(app, ctx) {
    const activations = new AccessKeyActivations();
    const limiter = new SlidingWindow(RATE_LIMIT_CALLS, RATE_LIMIT_WINDOW_MS);
    const identify = (request: FastifyRequest) => {
      const apiKey = header(request, 'x-ss-apikey');
      return apiKey === undefined ? undefined : ctx.accountByApiKey(apiKey);
    };
    // Slingshot is served by IIS, whose paths are case-insensitive: its own links say `/JobData/11`.
    const get = (paths: string[], handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
      for (const url of paths) app.route({ method: 'GET', url, preHandler: ctx.guard('api', identify), handler });
    };

    get(['/accesskey', '/AccessKey'], async (request, reply) => {
      const caller = authenticate(ctx, limiter, request, reply);
      if (caller === undefined) return reply;
      // Checked afresh on every call: this is where a revoked or narrowed key shows.
      const key = activations.resolve(ctx, caller.account, caller.accessKey, { recheck: true });
      if (!key.ok && key.expiresAt === undefined) return refuse(request, reply, 401, 'UNAUTHORIZED', 'Invalid Access Key.');
      const detail = accessKeyDetail(caller.account, caller.accessKey, key.ok, key.expiresAt!);
      return send(request, reply, 200, detail, xmlElement('accesskeydetail', detail, ACCESS_KEY_NAMESPACE));
    });

    get(['/jobdata', '/JobData'], async (request, reply) => {
      const caller = authorize(ctx, limiter, activations, request, reply);
      if (caller === undefined) return reply;
      const query = request.query as Record<string, unknown>;
      const pageSize = Math.min(MAX_PAGE_SIZE, integerOf(query['pagesize']) ?? DEFAULT_PAGE_SIZE);
      const page = integerOf(query['page']) ?? 0;
      if (pageSize < 1 || page < 0) return refuse(request, reply, 400, 'ERROR', 'pagesize must be at least 1 and page at least 0.');
      const date = stringOf(query['date']);
      const since = date === undefined ? undefined : Date.parse(date);
      if (since !== undefined && Number.isNaN(since)) return refuse(request, reply, 400, 'ERROR', `date must be a date and time (ISO-8601); found "${date}".`);
      // "we return all results between now and the specified date", newest first.
      const all = jobDataOf(caller.account).filter((item) => since === undefined || item.created >= since);
      const items = all.slice(page * pageSize, (page + 1) * pageSize).map((item) => jobDataJson(ctx, request, item));
      const totalPages = Math.ceil(all.length / pageSize);
      const paging = { TotalCount: all.length, PageSize: pageSize, IsPreviousPage: page > 0, IsNextPage: (page + 1) * pageSize < all.length, PageIndex: page, TotalPages: totalPages };
      const xml = xmlDocument('slingshotindex', INDEX_NAMESPACE, [...Object.entries(paging).map(([name, value]) => xmlText(name.toLowerCase(), value)), ...items.map((item) => xmlElement('jobdata', item))]);
      return send(request, reply, 200, { ...paging, JobData: items }, xml);
    });

    get(['/jobdata/:id', '/JobData/:id'], async (request, reply) => {
      const caller = authorize(ctx, limiter, activations, request, reply);
      if (caller === undefined) return reply;
      const { id } = request.params as { id: string };
      const item = jobDataOf(caller.account).find((candidate) => candidate.id === id);
      if (item === undefined) return refuse(request, reply, 404, 'NOT_FOUND', `No job data ${id} is assigned to this access key.`);
      const format = stringOf((request.query as Record<string, unknown>)['format'])?.toLowerCase();
      if (format === undefined) {
        const detail = jobDataJson(ctx, request, item);
        return send(request, reply, 200, detail, xmlElement('jobdata', detail));
      }
      if (!['bin', 'shp', 'fmis'].includes(format)) return refuse(request, reply, 400, 'ERROR', `format must be bin, shp or fmis; found "${format}".`);
      // Sandbox accounts carry no machine-file contents yet (they join with downloads, SPEC
      // section 7), so every file stays in conversion: the documented 200 with a time span to wait.
      return send(request, reply, 200, envelope('MORE_TIME_NEEDED', CONVERSION_WAIT), envelopeXml('MORE_TIME_NEEDED', CONVERSION_WAIT));
    });
  },
};

/** The caller of a request whose headers, API key, signature and time all passed. */
interface Caller {
  account: EmulatedAccount;
  accessKey: string;
}

/**
 * The checks of providers.md 8.1, in the documented order: the API key, then the HMAC signature,
 * then the 120-second lifetime. Answers 401 (or 429 past the rate limit) and returns `undefined`
 * when one fails. [I] The rate limit counts every call of the API key, refused ones too.
 */
function authenticate(ctx: EmulatorContext, limiter: SlidingWindow, request: FastifyRequest, reply: FastifyReply): Caller | undefined {
  const names = ['X-SS-APIKey', 'X-SS-AccessKey', 'X-SS-TimeStamp', 'X-SS-Signature'];
  const [apiKey, accessKey, timestamp, signature] = names.map((name) => header(request, name.toLowerCase()));
  const missing = names.filter((_name, index) => [apiKey, accessKey, timestamp, signature][index] === undefined);
  if (missing.length > 0) {
    refuse(request, reply, 401, 'UNAUTHORIZED', `Missing required header${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
    return undefined;
  }
  const account = ctx.accountByApiKey(apiKey!);
  if (account === undefined) {
    refuse(request, reply, 401, 'UNAUTHORIZED', 'Invalid API Key.');
    return undefined;
  }
  const wait = limiter.admit(apiKey!, Date.now());
  if (wait !== undefined) {
    reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).type('text/plain; charset=utf-8').send(RATE_LIMITED_BODY);
    return undefined;
  }
  const path = request.url.split('?')[0]!;
  const expected = expectedSignature(sharedSecretOf(account), request.method, request.headers.host ?? '', path, timestamp!, apiKey!, accessKey!);
  if (!sameText(signature!, expected)) {
    refuse(request, reply, 401, 'UNAUTHORIZED', 'Invalid Signature: the X-SS-Signature does not match the request.');
    return undefined;
  }
  // [I] The wall clock, not the sandbox's movable one: moving the sandbox clock forward to expire
  // tokens or rate windows must not make every signature stale.
  const skew = /^\d{1,12}$/.test(timestamp!) ? Math.abs(Date.now() / 1000 - Number(timestamp)) : Number.POSITIVE_INFINITY;
  if (skew > SIGNATURE_LIFETIME_SECONDS) {
    refuse(request, reply, 401, 'UNAUTHORIZED', `Request has expired: the X-SS-TimeStamp ${timestamp} is more than ${SIGNATURE_LIFETIME_SECONDS} seconds from the server's time.`);
    return undefined;
  }
  return { account, accessKey: accessKey! };
}

/** `authenticate`, then the access key: active, and delegated job data ("an authorization check", providers.md 8.3). */
function authorize(ctx: EmulatorContext, limiter: SlidingWindow, activations: AccessKeyActivations, request: FastifyRequest, reply: FastifyReply): Caller | undefined {
  const caller = authenticate(ctx, limiter, request, reply);
  if (caller === undefined) return undefined;
  const key = activations.resolve(ctx, caller.account, caller.accessKey, { recheck: false });
  if (!key.ok) {
    refuse(request, reply, 401, 'UNAUTHORIZED', 'Invalid Access Key.');
    return undefined;
  }
  if (!key.scopes.includes(JOB_DATA)) {
    // [I] Slingshot's answer to a delegation that does not reach a resource is not documented.
    refuse(request, reply, 403, 'FORBIDDEN', "The access key's delegation does not include job data.");
    return undefined;
  }
  return caller;
}

/** An access key's standing: usable with its delegations, or refused (with its expiry if it was ever in use). */
type AccessKeyState = { ok: true; scopes: readonly string[]; expiresAt: number } | { ok: false; expiresAt: number | undefined };

/**
 * The access keys in use, each an activation of its sandbox grant: presenting the key to the
 * grant book issues a token that later calls are checked with. So a key's first use counts as a
 * refresh in the stats and a refused key as an `invalid_grant` answer; a revoke fault shows on the
 * next call; `GET /accesskey` always presents the key again, so a lifted `limitedPermission` shows
 * there at once.
 */
class AccessKeyActivations {
  private readonly byKey = new Map<string, { accessToken: string; expiresAt: number }>();

  resolve(ctx: EmulatorContext, account: EmulatedAccount, accessKey: string, options: { recheck: boolean }): AccessKeyState {
    const id = `${account.id}\u0000${accessKey}`;
    const known = this.byKey.get(id);
    if (known !== undefined && !options.recheck) {
      const check = ctx.checkAccessToken(`Bearer ${known.accessToken}`);
      if (check.ok && check.account.id === account.id) return { ok: true, scopes: check.scopes, expiresAt: known.expiresAt };
    }
    const outcome = ctx.redeemRefreshToken(account, accessKey);
    if (!outcome.ok) return { ok: false, expiresAt: known?.expiresAt };
    const expiresAt = known?.expiresAt ?? Date.now() + outcome.tokens.expiresIn * 1000;
    this.byKey.set(id, { accessToken: outcome.tokens.accessToken, expiresAt });
    return { ok: true, scopes: outcome.tokens.scopes, expiresAt };
  }
}

/** Calls admitted per key in a sliding window; `admit` answers the wait in ms when the window is full. */
class SlidingWindow {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  admit(key: string, now: number): number | undefined {
    const admitted = (this.calls.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (admitted.length >= this.limit) {
      this.calls.set(key, admitted);
      return admitted[0]! + this.windowMs - now;
    }
    admitted.push(now);
    this.calls.set(key, admitted);
    return undefined;
  }
}

/** A sandbox job data file: one as-applied file per field of the account [I], newest first. */
interface EmulatedJobData {
  id: string;
  name: string;
  subtype: string;
  created: number;
}

function jobDataOf(account: EmulatedAccount): EmulatedJobData[] {
  return account.fields.map((field, index) => {
    const subtype = SUBTYPES[index % SUBTYPES.length]!;
    return { id: String(1000 + index), name: `${field.name} ${subtype}.zip`, subtype, created: NEWEST_JOB_DATA - index * 3_600_000 };
  });
}

/** [I] JSON casing as the access-key sample (`AccessKey`, `ID`, PascalCase; providers.md 8.1). */
function jobDataJson(ctx: EmulatorContext, request: FastifyRequest, item: EmulatedJobData) {
  const date = isoSeconds(item.created);
  return { ID: item.id, Name: item.name, URI: ctx.publicUrl(request, `/JobData/${item.id}`), SubType: item.subtype, CreateDate: date, UpdateDate: isoSeconds(item.created + 12_000) };
}

/** `GET /accesskey` as the documented JSON sample (providers.md 8.1). */
function accessKeyDetail(account: EmulatedAccount, accessKey: string, active: boolean, expiresAt: number) {
  const id = crypto.createHash('sha256').update(accessKey).digest().readUInt16BE(0);
  return {
    AccessKey: accessKey,
    ID: String(id),
    FriendlyName: `${account.grower.name}'s access key`,
    Description: 'Sandbox access key',
    IsActive: active,
    Contact: account.grower.email,
    ExpirationDateTime: isoSeconds(expiresAt),
  };
}

/** The shared secret of an account: the bytes of its app's client secret. */
function sharedSecretOf(account: EmulatedAccount): Buffer {
  return Buffer.from(account.app.clientSecret, 'base64url');
}

/**
 * The signature as the server computes it (providers.md 8.1), written here apart from the
 * client's so the integration tests check one against the other.
 */
function expectedSignature(secret: Buffer, method: string, host: string, path: string, timestamp: string, apiKey: string, accessKey: string): string {
  const text = [method.toUpperCase(), host.toLowerCase(), path.toLowerCase(), timestamp, apiKey, accessKey].map((part) => `${part}\r\n`).join('');
  return crypto.createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

/** JSON when the client asks for it, else XML (providers.md 8.2: "XML or JSON (choose with Accept)"; the docs lead with XML). */
function send(request: FastifyRequest, reply: FastifyReply, status: number, json: unknown, xml: string) {
  if (/json/i.test(request.headers.accept ?? '')) return reply.code(status).type('application/json; charset=utf-8').send(json);
  return reply.code(status).type('application/xml; charset=utf-8').send(`<?xml version="1.0" encoding="utf-8"?>${xml}`);
}

/** [I] Refusals in the `slingshotresponse` envelope of the documented conversion answers (providers.md 8.6). */
function refuse(request: FastifyRequest, reply: FastifyReply, status: number, word: string, message: string) {
  return send(request, reply, status, envelope(word, message), envelopeXml(word, message));
}

function envelope(status: string, errorInfo: string) {
  return { Status: status, ErrorInfo: errorInfo, Result: null };
}

function envelopeXml(status: string, errorInfo: string): string {
  return `<slingshotresponse>${xmlText('status', status)}${xmlText('errorinfo', errorInfo)}<result>nil</result></slingshotresponse>`;
}

function xmlDocument(name: string, namespace: string, children: string[]): string {
  return `<${name} xmlns="${namespace}">${children.join('')}</${name}>`;
}

/** An object as an element with one lower-case child per property (the XML samples' casing). */
function xmlElement(name: string, object: Record<string, unknown>, namespace?: string): string {
  const children = Object.entries(object).map(([key, value]) => xmlText(key.toLowerCase(), value));
  return namespace === undefined ? `<${name}>${children.join('')}</${name}>` : xmlDocument(name, namespace, children);
}

function xmlText(name: string, value: unknown): string {
  const text = String(value ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<${name}>${text}</${name}>`;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

function stringOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function integerOf(value: unknown): number | undefined {
  const text = stringOf(value);
  return text !== undefined && /^-?\d{1,9}$/.test(text) ? Number(text) : undefined;
}

function sameText(a: string, b: string): boolean {
  const left = crypto.createHash('sha256').update(a).digest();
  const right = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(left, right);
}
