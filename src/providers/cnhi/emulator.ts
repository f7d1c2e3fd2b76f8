/**
 * CNH Industrial served locally (providers.md 4.8): an Auth0-like identity server (`/authorize`
 * that requires `audience` and `connection`, `/oauth/token` and `/oauth/revoke` with the client
 * secret in the body, Auth0's error statuses), and the API gateway that refuses data calls without
 * the subscription key, in front of a JSON:API user profile and companies with `links.next`
 * paging. Paths are the production ones (`client.ts` hosts), below `/sandbox/cnhi`.
 */
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmulatedAccount, EmulatorContext, InjectedFault, ProviderEmulator } from '../provider-emulator.js';
import type { HostUrls } from '../provider.js';
import { CNHI_HOSTS, JSON_API_MEDIA_TYPE, SUBSCRIPTION_KEY_HEADER, type CnhiCredentialFields } from './client.js';

/** The path a host is served at in the sandbox, as `resolveBaseUrl` maps it ('' for a host's root). */
function sandboxPathOf(urls: HostUrls): string {
  const path = urls.sandboxPath ?? new URL(urls.PRODUCTION).pathname;
  return path === '/' ? '' : path;
}

const IDENTITY = sandboxPathOf(CNHI_HOSTS.identity);
const API = sandboxPathOf(CNHI_HOSTS.api);

/**
 * [I] CNH documents only `offline_access` (providers.md 4.1): the `audience` grants the API. The
 * sandbox's access tokens also carry an Auth0 API permission, so `limitedPermission` has
 * something to take away that the API checks.
 */
export const CNHI_DATA_SCOPE = 'read:ag-data';
const CNHI_SCOPES = ['openid', 'offline_access', CNHI_DATA_SCOPE];

/** [I] Small pages, so clients must follow `links.next`; `page[size]` asks for more. */
const COMPANIES_PAGE_SIZE = 2;
const MAX_PAGE_SIZE = 100;

/** Azure API Management's answers to a missing or unknown subscription key (providers.md 4.8 [I]). */
const MISSING_KEY = 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';
const INVALID_KEY = 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.';
/** API Management's `validate-jwt` default failure message [I]. */
const INVALID_JWT = 'Unauthorized. Access token is missing or invalid.';

/** The CNH emulator. */
export const cnhiEmulator: ProviderEmulator<CnhiCredentialFields> = {
  oauth: {
    // "Default expires_in assumed 21600 s" (providers.md 4.1 [3P]).
    accessTokenSeconds: 21_600,
    // [I] Auth0's non-rotating refresh tokens live until revoked unless an inactivity lifetime is
    // set; a year of inactivity stands in for that. Not rotated: CNH documents none (4.9).
    refreshTokenSeconds: 365 * 24 * 3600,
    refreshTokenLifetime: 'sliding',
    scopes: CNHI_SCOPES,
    essentialScope: CNHI_DATA_SCOPE,
  },

  credentialBody: (account, grant) => ({
    clientId: account.app.clientId,
    clientSecret: account.app.clientSecret,
    subscriptionKey: account.app.apiKey,
    refreshToken: grant.refreshToken,
    // "While in the CNHi staging environment, only staging test accounts work" (providers.md 4.1).
    clientEnvironment: 'STAGE',
  }),

  faultAnswer(fault: InjectedFault) {
    const headers = { 'retry-after': String(fault.retryAfterSeconds) };
    if (fault.fault === 'rate_limited') return { status: 429, headers, body: gatewayError(429, `Rate limit is exceeded. Try again in ${fault.retryAfterSeconds} seconds.`) };
    if (fault.kind === 'token') return { status: 503, headers, body: { error: 'temporarily_unavailable', error_description: 'The sandbox injected a server error.' } };
    return { status: 503, headers: { ...headers, 'content-type': JSON_API_MEDIA_TYPE }, body: jsonApiError(503, 'Service Unavailable', 'The sandbox injected a server error.') };
  },

  async routes(app, ctx) {
    // Auth0 takes the client in the body (client_secret_post) or by HTTP Basic.
    const byClient = (request: FastifyRequest) => {
      const clientId = stringOf((request.body as Record<string, unknown> | null)?.['client_id']);
      return (clientId === undefined ? undefined : ctx.accountByClientId(clientId)) ?? ctx.accountByBasicAuth(request.headers.authorization);
    };
    // The gateway knows the caller by its subscription key, else by its token.
    const byKey = (request: FastifyRequest) => {
      const key = request.headers[SUBSCRIPTION_KEY_HEADER.toLowerCase()];
      return (typeof key === 'string' ? ctx.accountByApiKey(key) : undefined) ?? ctx.accountByBearer(request.headers.authorization);
    };

    app.get(`${IDENTITY}/.well-known/openid-configuration`, async (request) => {
      const base = ctx.publicUrl(request, IDENTITY);
      return {
        issuer: `${base}/`,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/oauth/token`,
        revocation_endpoint: `${base}/oauth/revoke`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: CNHI_SCOPES,
      };
    });

    // CNH's authorize URL always names the API and the enterprise connection (providers.md 4.1).
    ctx.registerAuthorizePage(app, `${IDENTITY}/authorize`, { providerName: 'CNH Industrial', requireParameters: ['audience', 'connection'] });

    app.post(`${IDENTITY}/oauth/token`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      const form = formOf(request.body);
      const account = authenticateClient(ctx, request, form);
      // Auth0 answers a bad client with 401 access_denied.
      if (account === undefined) return auth0Error(reply, 401, 'access_denied', 'Unauthorized');
      const outcome = ctx.redeemTokenRequest(account, form);
      // Auth0 answers invalid_grant ("Unknown or invalid refresh token.") and an unsupported grant type with 403.
      if (!outcome.ok) return auth0Error(reply, outcome.error === 'invalid_grant' || outcome.error === 'unsupported_grant_type' ? 403 : 400, outcome.error, outcome.description);
      const { tokens } = outcome;
      const body: Record<string, unknown> = { access_token: tokens.accessToken, scope: tokens.scopes.join(' '), expires_in: tokens.expiresIn, token_type: 'Bearer' };
      // Auth0 returns a refresh token with the code (offline_access), and on refresh only when it rotates, which it does not here.
      if (form['grant_type'] === 'authorization_code') body['refresh_token'] = tokens.refreshToken;
      return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(body);
    });

    app.post(`${IDENTITY}/oauth/revoke`, { preHandler: ctx.guard('token', byClient) }, async (request, reply) => {
      const form = formOf(request.body);
      const account = authenticateClient(ctx, request, form);
      if (account === undefined) return auth0Error(reply, 401, 'access_denied', 'Unauthorized');
      if (form['token'] === undefined) return auth0Error(reply, 400, 'invalid_request', 'Missing required parameter: token');
      ctx.revokeToken(account, form['token']);
      // RFC 7009 section 2.2: 200 whether or not the token was known.
      return reply.code(200).send();
    });

    app.get(`${API}/v2/myUserProfile`, { preHandler: ctx.guard('api', byKey) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const [firstName = '', lastName = ''] = account.grower.name.split(' ');
      return reply.type(JSON_API_MEDIA_TYPE).send({
        data: { type: 'userProfiles', id: account.grower.id, attributes: { firstName, lastName, email: account.grower.email, companyId: account.organizations[0]?.id ?? null } },
      });
    });

    app.get(`${API}/v2/companies`, { preHandler: ctx.guard('api', byKey) }, async (request, reply) => {
      const account = authorizeApi(ctx, request, reply);
      if (account === undefined) return reply;
      const query = request.query as Record<string, unknown>;
      const number = Number.parseInt(stringOf(query['page[number]']) ?? '1', 10);
      const size = Number.parseInt(stringOf(query['page[size]']) ?? String(COMPANIES_PAGE_SIZE), 10);
      if (!Number.isInteger(number) || number < 1 || !Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
        return reply.code(400).type(JSON_API_MEDIA_TYPE).send(jsonApiError(400, 'Bad Request', `page[number] must be 1 or more and page[size] 1 to ${MAX_PAGE_SIZE}.`));
      }
      // [I] Every company of the grower: CNH has no per-application connection of companies.
      const companies = account.organizations.map((o) => ({ type: 'companies', id: o.id, attributes: { name: o.name } }));
      const start = (number - 1) * size;
      const pageUrl = (n: number) => `${ctx.publicUrl(request, `${API}/v2/companies`)}?${new URLSearchParams({ 'page[number]': String(n), 'page[size]': String(size) }).toString()}`;
      const links: Record<string, string> = { self: pageUrl(number) };
      if (start + size < companies.length) links['next'] = pageUrl(number + 1);
      return reply.type(JSON_API_MEDIA_TYPE).send({ data: companies.slice(start, start + size), links, meta: { total: companies.length } });
    });
  },
};

/** The client of a token or revocation request: id and secret from the body, else from HTTP Basic. */
function authenticateClient(ctx: EmulatorContext, request: FastifyRequest, form: Record<string, string | undefined>): EmulatedAccount | undefined {
  const clientId = form['client_id'];
  if (clientId === undefined) return ctx.authenticateClient(request.headers.authorization);
  const account = ctx.accountByClientId(clientId);
  return account !== undefined && sameText(form['client_secret'] ?? '', account.app.clientSecret) ? account : undefined;
}

/**
 * The gateway, then the API: the subscription key first (401 without or with an unknown one), the
 * bearer token next (401, as `validate-jwt` answers), then the API's own permission check (403).
 */
function authorizeApi(ctx: EmulatorContext, request: FastifyRequest, reply: FastifyReply): EmulatedAccount | undefined {
  const key = request.headers[SUBSCRIPTION_KEY_HEADER.toLowerCase()];
  if (typeof key !== 'string' || key === '') {
    reply.code(401).send(gatewayError(401, MISSING_KEY));
    return undefined;
  }
  const keyAccount = ctx.accountByApiKey(key);
  if (keyAccount === undefined) {
    reply.code(401).send(gatewayError(401, INVALID_KEY));
    return undefined;
  }
  const check = ctx.checkAccessToken(request.headers.authorization);
  if (!check.ok || check.account.id !== keyAccount.id) {
    reply.code(401).header('www-authenticate', 'Bearer error="invalid_token"').send(gatewayError(401, INVALID_JWT));
    return undefined;
  }
  if (!check.scopes.includes(CNHI_DATA_SCOPE)) {
    reply.code(403).type(JSON_API_MEDIA_TYPE).send(jsonApiError(403, 'Forbidden', `The access token lacks the ${CNHI_DATA_SCOPE} permission.`));
    return undefined;
  }
  return check.account;
}

/** Azure API Management's error body `{ statusCode, message }` [I]. */
function gatewayError(statusCode: number, message: string) {
  return { statusCode, message };
}

/** A JSON:API error document. */
function jsonApiError(status: number, title: string, detail: string) {
  return { errors: [{ id: crypto.randomUUID(), status: String(status), title, detail }] };
}

/** Auth0's OAuth error body. */
function auth0Error(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({ error, error_description: description });
}

/** A form or JSON body as strings (Auth0 takes both). */
function formOf(body: unknown): Record<string, string | undefined> {
  const form: Record<string, string | undefined> = {};
  if (body === null || typeof body !== 'object') return form;
  for (const [name, value] of Object.entries(body)) form[name] = stringOf(value);
  return form;
}

function stringOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function sameText(a: string, b: string): boolean {
  const left = crypto.createHash('sha256').update(a).digest();
  const right = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(left, right);
}
