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

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it ('' for a host's root). */
function sandboxPathOf(urls: HostUrls): string {
  const path = urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
  return path === '/' ? '' : path;
}

const LOGIN = sandboxPathOf(CLIMATE_HOSTS.login);
const TOKEN = sandboxPathOf(CLIMATE_HOSTS.token);
const PLATFORM = sandboxPathOf(CLIMATE_HOSTS.platform);

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
      const results = account.fields.map((field) => ({
        id: field.id,
        name: field.name,
        // `boundaryId` joins when sandbox fields get boundaries.
        parent: { id: field.organizationId, type: 'farm' },
        resourceOwnerId: account.grower.id,
      }));
      return sendResultsPage(request, reply, results);
    });

    app.get<{ Params: { id: string } }>(`${PLATFORM}/v4/resourceOwners/:id`, { preHandler: ctx.guard('api', identify) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply, 'resourceOwners:read');
      if (account === undefined) return reply;
      if (request.params.id !== account.grower.id) return reply.code(404).send(climateError('NotFound', `No resource owner ${request.params.id}.`));
      return { id: account.grower.id, name: account.grower.name, email: account.grower.email };
    });
  },
};

/** The account behind the API key and bearer token, or `undefined` after answering 403 or 401. */
function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply, scope: string): EmulatedAccount | undefined {
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
 * Header paging (providers.md 3.2): `X-Limit` 1-100 (default 100); 304 when nothing is left, 206
 * while more remain, 200 for the last page; `X-Next-Token` on every page, usable later to poll.
 * [I] The token is the offset, opaque to clients; one that does not decode is treated as expired (409).
 */
function sendResultsPage(request: FastifyRequest, reply: FastifyReply, results: unknown[]) {
  const limitHeader = request.headers['x-limit'];
  const limit = limitHeader === undefined ? MAX_PAGE_SIZE : Number(limitHeader);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) return reply.code(400).send(climateError('BadRequest', `X-Limit must be an integer from 1 to ${MAX_PAGE_SIZE}.`));
  const given = request.headers['x-next-token'];
  let start = 0;
  if (typeof given === 'string') {
    const offset = decodeNextToken(given);
    if (offset === undefined) return reply.code(409).send(climateError('Conflict', 'The X-Next-Token has expired; list again without it.'));
    start = offset;
  }
  const page = results.slice(start, start + limit);
  if (page.length === 0) {
    if (typeof given === 'string') reply.header('x-next-token', given);
    return reply.code(304).send();
  }
  const end = start + page.length;
  return reply
    .code(end < results.length ? 206 : 200)
    .header('x-next-token', encodeNextToken(end))
    .send({ results: page });
}

function encodeNextToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeNextToken(token: string): number | undefined {
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset?: unknown }).offset;
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}

/** Climate's error body `{"error": {"id", "code", "message"}}` (providers.md 3.2). */
function climateError(code: string, message: string) {
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
