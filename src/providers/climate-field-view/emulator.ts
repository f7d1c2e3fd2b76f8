/**
 * Climate FieldView served locally (providers.md 3.9): the login page, the token endpoint with
 * rotating refresh tokens (30 days, the redeemed one valid one more hour), `X-Api-Key` enforced on
 * the platform (403 without), and header paging with 206/200/304/409. Paths are the production
 * ones (`client.ts` hosts), below `/sandbox/climate-field-view`.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import type { HostUrls } from '../provider.js';
import { CLIMATE_HOSTS, MAX_PAGE_SIZE, type ClimateFieldViewCredentialFields } from './client.js';
import { registerSyncRoutes } from './emulator-sync.js';

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it ('' for a host's root). */
function sandboxPathOf(urls: HostUrls): string {
  const path = urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
  return path === '/' ? '' : path;
}

const LOGIN = sandboxPathOf(CLIMATE_HOSTS.login);
const TOKEN = sandboxPathOf(CLIMATE_HOSTS.token);
export const PLATFORM = sandboxPathOf(CLIMATE_HOSTS.platform);

/** The scopes Leaf asks partners to have (providers.md 3.1); new sandbox grants get them all. */
const CLIMATE_SCOPES = ['asHarvested:read', 'asPlanted:read', 'asApplied:read', 'fields:read', 'resourceOwners:read', 'farmOrganizations:read'];
const FIELDS_SCOPE = 'fields:read';

/** The Climate FieldView emulator. */
export const climateFieldViewEmulator: ProviderEmulator<ClimateFieldViewCredentialFields> = {
  oauth: {
    accessTokenSeconds: 14_400, // "Access_tokens expire after 4 hours" (providers.md 3.1)
    refreshTokenSeconds: 30 * 24 * 3600, // "good for 30 days from their date of issue"
    refreshTokenLifetime: 'fixed',
    // "the refresh token that is passed to this call is immediately set to expired one hour from
    // now". [I] Inside that hour a repeated redemption gets the same new pair again (a retry after
    // a lost answer); once the new refresh token is used, or the hour is over, the old one answers
    // invalid_grant and counts as redeemed twice: the sandbox is stricter than the doc's wording
    // here, so a client that would fork the token chain finds out.
    rotation: { graceSeconds: 3600 },
    scopes: CLIMATE_SCOPES,
    essentialScope: FIELDS_SCOPE,
  },

  credentialBody: (account, grant) => ({
    clientId: account.app.clientId,
    clientSecret: account.app.clientSecret,
    apiKey: account.app.apiKey,
    refreshToken: grant.refreshToken,
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    // The gateway's 429 body and 503 "Server Busy" with Retry-After (providers.md 3.2); the 503 body is [I].
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: { message: 'Too Many Requests' } };
    return { status: 503, headers, body: climateError('ServerBusy', 'Server Busy') };
  },

  async routes(app, ctx) {
    // "Every response carries X-Http-Request-Id" (providers.md 3.2).
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-http-request-id', crypto.randomUUID());
    });

    ctx.registerAuthorizePage(app, `${LOGIN}/index.html`, { providerName: 'Climate FieldView' });

    app.post(`${TOKEN}/token`, { preHandler: ctx.guard('token', (request) => ctx.accountByBasicAuth(request.headers.authorization)) }, async (request, reply) => {
      const account = ctx.authenticateClient(request.headers.authorization);
      if (account === undefined) return oauthError(reply, 401, 'invalid_client', 'Client authentication failed.');
      const form = formOf(request.body);
      const outcome = ctx.redeemTokenRequest(account, form);
      if (!outcome.ok) return oauthError(reply, 400, outcome.error, outcome.description);
      const { tokens } = outcome;
      const [firstName = '', lastName = ''] = account.grower.name.split(' ');
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        scope: tokens.scopes.join(' '),
        // The token answer's `user` (providers.md 3.1); `id` is [I].
        user: { id: account.grower.id, email: account.grower.email, firstName, lastName, country: 'US' },
      });
    });

    // The gateway checks the API key, then the bearer token ([I] order; providers.md 3.2).
    const identify = (request: FastifyRequest) => {
      const apiKey = request.headers['x-api-key'];
      return (typeof apiKey === 'string' ? ctx.accountByApiKey(apiKey) : undefined) ?? ctx.accountByBearer(request.headers.authorization);
    };

    app.get(`${PLATFORM}/v4/fields`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply, FIELDS_SCOPE);
      if (account === undefined) return reply;
      const operation = account.operation;
      // Ordered by when each field last changed, so a token is "after this change" and polls (providers.md 3.2).
      const keyed = account.fields
        .map((field, index) => ({ key: [operation.fieldRevision(field.id), index] as const, field }))
        .sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1]);
      return sendKeyedPage(request, reply, keyed, ({ field }) => ({
        id: field.id,
        name: field.name,
        // Immutable boundaries: a redrawn field names a new boundaryId (providers.md 3.5).
        boundaryId: operation.boundaries(field.id).at(-1)?.id,
        parent: { id: field.farmId, type: 'farm' },
        resourceOwnerId: account.grower.id,
      }));
    });

    await registerSyncRoutes(app, ctx, identify);

    app.get<{ Params: { id: string } }>(`${PLATFORM}/v4/resourceOwners/:id`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply, 'resourceOwners:read');
      if (account === undefined) return reply;
      if (request.params.id !== account.grower.id) return reply.code(404).send(climateError('NotFound', `No resource owner ${request.params.id}.`));
      return { id: account.grower.id, name: account.grower.name, email: account.grower.email };
    });
  },
};

/** The account behind the API key and bearer token, or `undefined` after answering 403 or 401. */
export function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply, scope: string): EmulatedAccount | undefined {
  const apiKey = request.headers['x-api-key'];
  const keyAccount = typeof apiKey === 'string' ? ctx.accountByApiKey(apiKey) : undefined;
  if (keyAccount === undefined) {
    // [I] AWS API Gateway's answer to a missing or unknown key.
    reply.code(403).send({ message: 'Forbidden' });
    return undefined;
  }
  const check = ctx.checkAccessToken(request.headers.authorization);
  if (!check.ok) {
    reply.code(401).send(climateError('Unauthorized', check.description));
    return undefined;
  }
  if (check.account.id !== keyAccount.id) {
    reply.code(401).send(climateError('Unauthorized', 'The access token was issued to another application than the X-Api-Key names.'));
    return undefined;
  }
  if (!check.scopes.includes(scope)) {
    reply.code(403).send(climateError('Forbidden', `Permission error: the access token lacks the ${scope} scope.`));
    return undefined;
  }
  return check.account;
}

/**
 * Header paging (providers.md 3.2) over records ordered by a (revision, position) key: `X-Limit`
 * 1-100 (default 100); 304 when nothing is after the token, 206 while more remain, 200 for the
 * last page; `X-Next-Token` on every page, the key of its last record, so the last page's token
 * polls for changes ("x-next-token is based on date modified"). [I] The token's encoding is ours,
 * opaque to clients; one that does not decode is treated as expired (409).
 */
function sendKeyedPage<T extends { key: readonly [number, number] }>(request: FastifyRequest, reply: FastifyReply, keyed: readonly T[], render: (item: T) => unknown) {
  const limit = pageLimitOf(request);
  if (limit === undefined) return reply.code(400).send(climateError('BadRequest', `X-Limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`));
  const given = request.headers['x-next-token'];
  let after: readonly [number, number] = [-1, -1];
  if (typeof given === 'string') {
    const decoded = decodeNextToken(given);
    if (decoded === undefined) return reply.code(409).send(climateError('Conflict', 'The X-Next-Token has expired; list again without it.'));
    after = decoded;
  }
  const start = keyed.findIndex(({ key }) => key[0] > after[0] || (key[0] === after[0] && key[1] > after[1]));
  const page = start === -1 ? [] : keyed.slice(start, start + limit);
  if (page.length === 0) {
    if (typeof given === 'string') reply.header('x-next-token', given);
    return reply.code(304).send();
  }
  return reply
    .code(start + page.length < keyed.length ? 206 : 200)
    .header('x-next-token', encodeNextToken(page.at(-1)!.key))
    .send({ results: page.map(render) });
}

/** `X-Limit` (1-100, default 100), or `undefined` when out of range. */
export function pageLimitOf(request: FastifyRequest): number | undefined {
  const limitHeader = request.headers['x-limit'];
  const limit = limitHeader === undefined ? MAX_PAGE_SIZE : Number(limitHeader);
  return !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE ? undefined : limit;
}

export function encodeNextToken(key: readonly [number, number]): string {
  return Buffer.from(JSON.stringify({ after: key })).toString('base64url');
}

export function decodeNextToken(token: string): readonly [number, number] | undefined {
  try {
    const after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown }).after;
    return Array.isArray(after) && after.length === 2 && after.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= -1) ? [after[0] as number, after[1] as number] : undefined;
  } catch {
    return undefined;
  }
}

/** Climate's error body `{"error": {"id", "code", "message"}}` (providers.md 3.2). */
export function climateError(code: string, message: string) {
  return { error: { id: crypto.randomUUID(), code, message } };
}

/** The OAuth error body (providers.md 3.1 [3P]: `{"error":"invalid_grant","error_description":...}`). */
function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  if (status === 401) reply.header('www-authenticate', 'Basic realm="sandbox"');
  return reply.code(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({ error, error_description: description });
}

function formOf(body: unknown): Record<string, string | undefined> {
  const form: Record<string, string | undefined> = {};
  if (body === null || typeof body !== 'object') return form;
  for (const [name, value] of Object.entries(body)) {
    const first = Array.isArray(value) ? (value as unknown[])[0] : value;
    form[name] = typeof first === 'string' ? first : undefined;
  }
  return form;
}
